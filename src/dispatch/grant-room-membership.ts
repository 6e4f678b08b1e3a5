/**
 * Who is joined to the grant rooms of `agent_reply_permissions` (`joined_rooms`): learned once
 * per room from the homeserver (the router's joined-members list), then kept current from the
 * membership events every bot's sync admits. A room whose membership is unknown (not fetched
 * yet, the fetch failed, the router is not in it) grants nobody, as MindRoom fails closed.
 */
import type { GrantRoomMembers } from '../routing/index.js';
import { describeError, type Logger } from '../shared/index.js';
import type { GrantRooms } from './dispatch-ports.js';

export interface GrantRoomMembershipDeps {
  /** The grant room keys the current config's policies name (changes on reload). */
  readonly refs: () => readonly string[];
  /** The room id a grant room key stands for, when known. */
  readonly roomIdOf: (ref: string) => string | undefined;
  /** The room's joined members, from the homeserver; undefined when it cannot be read. */
  readonly fetchMembers: (
    roomId: string,
    signal: AbortSignal,
  ) => Promise<readonly string[] | undefined>;
  readonly now: () => number;
  readonly log: Logger;
  /** Longest one lookup may take (default 5 s). */
  readonly fetchTimeoutMs?: number;
  /** How long after a failed lookup the next is tried (default 30 s). */
  readonly retryAfterMs?: number;
}

/** The membership changes that grant or revoke: a join grants, everything else revokes. */
function isJoined(membership: string): boolean {
  return membership === 'join';
}

/**
 * {@link GrantRooms} over the homeserver and the admitted membership events. Lookups are
 * shared (one per room at a time); events that arrive while a room is being looked up are
 * applied on top of the answer, so a leave is never lost to a slow lookup.
 */
export class GrantRoomMembership implements GrantRooms {
  private readonly known = new Map<string, Set<string>>();
  private readonly lookups = new Map<string, Promise<void>>();
  /** Membership events seen while a room's lookup was in flight. */
  private readonly pending = new Map<string, [string, string][]>();
  private readonly failedAt = new Map<string, number>();

  constructor(private readonly deps: GrantRoomMembershipDeps) {}

  async members(): Promise<GrantRoomMembers> {
    const rooms = this.roomsByRef();
    const missing = [...new Set(rooms.values())].filter((roomId) => this.shouldLookUp(roomId));
    if (missing.length > 0) await Promise.all(missing.map((roomId) => this.lookUp(roomId)));
    this.forgetOthers(new Set(rooms.values()));
    return this.membersOf(rooms);
  }

  snapshot(): GrantRoomMembers {
    return this.membersOf(this.roomsByRef());
  }

  onMembership(roomId: string, userId: string, membership: string): void {
    const queued = this.pending.get(roomId);
    if (queued !== undefined) queued.push([userId, membership]);
    const members = this.known.get(roomId);
    if (members === undefined) return;
    if (isJoined(membership)) members.add(userId);
    else members.delete(userId);
  }

  /** Grant room key → room id, for the keys whose room id is known. */
  private roomsByRef(): Map<string, string> {
    const rooms = new Map<string, string>();
    for (const ref of this.deps.refs()) {
      const roomId = this.deps.roomIdOf(ref);
      if (roomId !== undefined) rooms.set(ref, roomId);
    }
    return rooms;
  }

  private membersOf(rooms: ReadonlyMap<string, string>): GrantRoomMembers {
    const out = new Map<string, ReadonlySet<string>>();
    for (const [ref, roomId] of rooms) {
      const members = this.known.get(roomId);
      if (members !== undefined) out.set(ref, members);
    }
    return out;
  }

  private shouldLookUp(roomId: string): boolean {
    if (this.known.has(roomId)) return false;
    const failed = this.failedAt.get(roomId);
    return failed === undefined || this.deps.now() - failed >= (this.deps.retryAfterMs ?? 30_000);
  }

  private lookUp(roomId: string): Promise<void> {
    const running = this.lookups.get(roomId);
    if (running !== undefined) return running;
    this.pending.set(roomId, []);
    const lookup = this.fetch(roomId).finally(() => {
      this.lookups.delete(roomId);
      this.pending.delete(roomId);
    });
    this.lookups.set(roomId, lookup);
    return lookup;
  }

  private async fetch(roomId: string): Promise<void> {
    const timeoutMs = this.deps.fetchTimeoutMs ?? 5_000;
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new Error(`no answer within ${timeoutMs} ms`));
      }, timeoutMs);
    });
    try {
      const members = await Promise.race([
        this.deps.fetchMembers(roomId, controller.signal),
        timeout,
      ]);
      if (members === undefined) throw new Error('the router cannot read its members');
      const set = new Set(members);
      for (const [userId, membership] of this.pending.get(roomId) ?? []) {
        if (isJoined(membership)) set.add(userId);
        else set.delete(userId);
      }
      this.known.set(roomId, set);
      this.failedAt.delete(roomId);
    } catch (error: unknown) {
      this.failedAt.set(roomId, this.deps.now());
      this.deps.log.warn('cannot read a grant room’s members; it grants nobody for now', {
        roomId,
        error: describeError(error),
      });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Drops rooms no policy names any more (a reload), so memory follows the config. */
  private forgetOthers(wanted: ReadonlySet<string>): void {
    for (const roomId of this.known.keys()) if (!wanted.has(roomId)) this.known.delete(roomId);
    for (const roomId of this.failedAt.keys())
      if (!wanted.has(roomId)) this.failedAt.delete(roomId);
  }
}
