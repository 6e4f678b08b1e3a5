/**
 * What `matrix_message` does as one agent's Matrix account (`AgentMessaging`), built from small
 * ports: the agent's outbox (posts, thread replies, reactions), the rooms it is in with the
 * names Quorum knows them by, the ingress journal (reading messages back, only from senders
 * allowed to talk to the agent), and the direct-message check its approval rule needs.
 */
import { randomUUID } from 'node:crypto';
import { asEventId, asRoomId } from '../shared/index.js';
import type { JournalEntry } from '../storage/index.js';
import type { AgentMessaging, KnownRoom, ReadMessage } from '../tools/index.js';
import { latestText } from './thread-history.js';
import type { Responders } from './turn-ports.js';

/** The rooms an agent is in, and the alias Quorum knows for each. */
export interface MessagingRooms {
  roomsOf(entity: string): readonly string[];
  /** `#lobby:example.org` for a room Quorum joined by alias (a configured room). */
  aliasOf(roomId: string): string | undefined;
}

/** Reading messages back from the ingress journal (`IngressJournal` implements it). */
export interface MessageTimeline {
  /** The thread's root and its events, oldest first (the newest `limit`). */
  thread(roomId: string, rootId: string, limit: number): readonly JournalEntry[];
  /** The room's latest messages (not edits), oldest first (the newest `limit`). */
  recentMessages(roomId: string, limit: number): readonly JournalEntry[];
  /** Events relating to `targetId` (edits with `m.replace`), oldest first. */
  related(targetId: string, relType?: string): readonly JournalEntry[];
}

/** The ports {@link createAgentMessaging} builds on. */
export interface AgentMessagingPorts {
  readonly responders: Responders;
  readonly rooms: MessagingRooms;
  readonly timeline: MessageTimeline;
  /**
   * Whether `sender`'s messages may reach `agent` in `roomId` (Quorum's own accounts, and
   * people the room's authorization and the agent's reply permissions admit): `read` shows
   * nobody else's words, as thread history does not.
   */
  readonly isTrusted: (roomId: string, agent: string, sender: string) => boolean;
  /** Whether `roomId` is a direct-message room (`is_direct` invite, or two members). */
  readonly isDirectRoom: (
    agent: string,
    roomId: string,
    options: { readonly signal: AbortSignal },
  ) => Promise<boolean>;
}

/** How far back `read` looks in the room timeline to find enough main-timeline messages. */
const ROOM_SCAN_FACTOR = 5;
const MAX_SCANNED = 500;

/**
 * `AgentMessaging` for `agent`: every action goes through the agent's own outbox (its account,
 * rate limits and transaction ids), and fails with a clear error while the agent's account is
 * not connected. Reading is from the journal, so it never asks the homeserver.
 */
export function createAgentMessaging(agent: string, ports: AgentMessagingPorts): AgentMessaging {
  const outboxOf = (signal: AbortSignal) => {
    signal.throwIfAborted();
    const handle = ports.responders.get(agent);
    if (handle === undefined) throw new Error(`${agent} is not connected to Matrix right now`);
    return handle.outbox;
  };
  return {
    joinedRooms: () => ports.rooms.roomsOf(agent).map((roomId) => knownRoom(ports.rooms, roomId)),
    postMessage: async (roomId, markdown, options) => {
      const root = options.target?.threadRoot;
      const replyTo = options.target?.replyTo;
      return outboxOf(options.signal).sendText(
        asRoomId(roomId),
        {
          body: markdown,
          format: 'markdown',
          // Matrix replies outside a thread are not offered: `matrix_message` replies in threads.
          ...(root === undefined
            ? {}
            : {
                thread: {
                  rootId: asEventId(root),
                  ...(replyTo === undefined ? {} : { replyToId: asEventId(replyTo) }),
                },
              }),
        },
        `qt.${randomUUID()}`,
      );
    },
    react: async (roomId, eventId, key, options) =>
      outboxOf(options.signal).react(
        asRoomId(roomId),
        asEventId(eventId),
        key,
        `qr.${randomUUID()}`,
      ),
    readMessages: (roomId, options) => {
      options.signal.throwIfAborted();
      return Promise.resolve(readMessages(agent, ports, roomId, options));
    },
    isDirectRoom: (roomId, options) => ports.isDirectRoom(agent, roomId, options),
  };
}

/** The room with its alias and config room key (`#lobby:example.org` and `lobby`). */
function knownRoom(rooms: MessagingRooms, roomId: string): KnownRoom {
  const alias = rooms.aliasOf(roomId);
  if (alias === undefined) return { roomId, aliases: [] };
  const colon = alias.indexOf(':');
  const key = colon > 1 ? alias.slice(1, colon) : undefined;
  return { roomId, aliases: key === undefined ? [alias] : [alias, key] };
}

/**
 * The newest `limit` messages of the thread (root included) or of the main timeline, oldest
 * first: no edits (a message shows its latest text), nothing redacted, only trusted senders.
 */
function readMessages(
  agent: string,
  ports: AgentMessagingPorts,
  roomId: string,
  options: { readonly threadRoot?: string | undefined; readonly limit: number },
): ReadMessage[] {
  const { timeline } = ports;
  const scanned =
    options.threadRoot === undefined
      ? timeline
          .recentMessages(roomId, Math.min(MAX_SCANNED, options.limit * ROOM_SCAN_FACTOR))
          .filter((entry) => entry.threadRoot === undefined)
      : timeline.thread(roomId, options.threadRoot, MAX_SCANNED);
  const verdicts = new Map<string, boolean>();
  const isTrusted = (sender: string): boolean => {
    let verdict = verdicts.get(sender);
    if (verdict === undefined) {
      verdict = ports.isTrusted(roomId, agent, sender);
      verdicts.set(sender, verdict);
    }
    return verdict;
  };
  return scanned
    .filter(
      (entry) =>
        entry.type === 'm.room.message' &&
        entry.relType !== 'm.replace' &&
        !isRedacted(entry) &&
        isTrusted(entry.sender),
    )
    .slice(-options.limit)
    .map((entry) => ({
      eventId: entry.eventId,
      sender: entry.sender,
      body: latestText(entry, timeline.related(entry.eventId, 'm.replace')),
      timestampMs: entry.originTs,
    }));
}

function isRedacted(entry: JournalEntry): boolean {
  const unsigned = entry.event.unsigned;
  return unsigned?.['redacted_because'] !== undefined;
}
