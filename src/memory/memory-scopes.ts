/**
 * Memory scopes. A memory belongs to exactly one collection:
 * - `person`: one agent (or team) × one person: what the agent knows about that person. The
 *   default, and the only scope a person's facts are ever written to.
 * - `room`: one agent × one room, shared with everyone in that room (only when
 *   `memory.room_memories` is on).
 * A team's own memories use the owner `team:<members sorted, joined by +>` (MindRoom's
 * `team_<a>+<b>`), so a team with the same members shares them.
 *
 * One person's memories never reach another person's prompt: every readable collection of a
 * request is keyed by that request's requester (person scope) or its room (room scope).
 */
import type { ContextRequest } from './context-provider.js';

const TEAM_PREFIX = 'team:';

/** The owner key of a team's memories. */
export function teamOwner(members: readonly string[]): string {
  return `${TEAM_PREFIX}${[...members].sort().join('+')}`;
}

/** The members of a team owner key from {@link teamOwner}; undefined for an agent's name. */
export function teamMembersOf(owner: string): string[] | undefined {
  return owner.startsWith(TEAM_PREFIX) ? owner.slice(TEAM_PREFIX.length).split('+') : undefined;
}

/** The collection of `owner`'s memories about `userId`. */
export function personCollection(owner: string, userId: string): string {
  return `person\u0000${owner}\u0000${userId}`;
}

/** The collection of `owner`'s memories of `roomId`. */
export function roomCollection(owner: string, roomId: string): string {
  return `room\u0000${owner}\u0000${roomId}`;
}

/** Which memory scopes a deployment offers. */
export interface ScopePolicy {
  /** `memory.room_memories`. */
  readonly roomMemories: boolean;
  /** `memory.team_reads_member_memory`. */
  readonly teamReadsMemberMemory: boolean;
}

/** One collection a request may read, with a label for the prompt. */
export interface ReadableCollection {
  readonly collection: string;
  readonly label: string;
}

/**
 * The collections a request may read: the answering agent's (or team's) memories about the
 * requester, its room memories when enabled, and for a team turn with
 * `team_reads_member_memory` its members' memories about the requester.
 */
export function readableCollections(
  request: Pick<ContextRequest, 'agentName' | 'requester' | 'roomId' | 'team'>,
  policy: ScopePolicy,
): ReadableCollection[] {
  const owner = request.team === undefined ? request.agentName : teamOwner(request.team.members);
  const out: ReadableCollection[] = [
    { collection: personCollection(owner, request.requester), label: 'about this person' },
  ];
  if (policy.roomMemories) {
    out.push({ collection: roomCollection(owner, request.roomId), label: 'about this room' });
  }
  if (request.team !== undefined && policy.teamReadsMemberMemory) {
    for (const member of request.team.members) {
      out.push({
        collection: personCollection(member, request.requester),
        label: `${member}'s, about this person`,
      });
    }
  }
  return out;
}
