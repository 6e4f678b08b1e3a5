/**
 * Room state of the {@link FakeHomeserver} and the pure functions that read it: sync batches,
 * backfill pages and threads. Tokens are `s<n>`, "everything up to stream position n".
 */
import { asUserId } from '../../src/shared/index.js';
import type { EventId, RoomId, UserId } from '../../src/shared/index.js';
import { MatrixRequestError } from '../../src/matrix/index.js';
import type { JoinedRoomUpdate, RawEvent, RoomInvite, SyncBatch } from '../../src/matrix/index.js';

/** A user's membership in a fake room. */
export type FakeMembership = 'join' | 'invite' | 'leave' | 'ban';

/** An event as the fake server keeps it. */
export interface StoredEvent {
  /** Stream position, shared by all rooms of the server. */
  readonly pos: number;
  raw: RawEvent;
}

/** One room of the fake server. */
export interface FakeRoom {
  readonly roomId: RoomId;
  readonly isPublic: boolean;
  readonly members: Map<UserId, FakeMembership>;
  readonly events: StoredEvent[];
  /** Latest state event per `type|state_key`. */
  readonly state: Map<string, StoredEvent>;
}

/**
 * What `/sync` returns to `userId` since the token `since` (`undefined` for an initial sync),
 * or `undefined` when nothing happened for this user. `position` is the server's current
 * stream position, `timelineLimit` the events per room before a batch is `limited`.
 */
export function syncBatchFor(
  rooms: Iterable<FakeRoom>,
  userId: UserId,
  since: string | undefined,
  position: number,
  timelineLimit: number,
): SyncBatch | undefined {
  const after = since === undefined ? -1 : positionOf(since);
  const joined: JoinedRoomUpdate[] = [];
  const invited: RoomInvite[] = [];
  const left: RoomId[] = [];
  for (const room of rooms) {
    const membership = room.members.get(userId);
    const own = room.state.get(`m.room.member|${userId}`);
    const changedNow = own !== undefined && own.pos > after;
    if (membership === 'join') {
      const update = joinedUpdate(
        room,
        after,
        since === undefined || changedNow,
        position,
        timelineLimit,
      );
      if (update !== undefined) joined.push(update);
    } else if (membership === 'invite' && (since === undefined || changedNow)) {
      invited.push({
        roomId: room.roomId,
        inviter: own === undefined ? undefined : asUserId(own.raw.sender),
        isDirect: own?.raw.content['is_direct'] === true,
      });
    } else if (
      (membership === 'leave' || membership === 'ban') &&
      since !== undefined &&
      changedNow
    ) {
      left.push(room.roomId);
    }
  }
  if (since !== undefined && joined.length === 0 && invited.length === 0 && left.length === 0)
    return undefined;
  return { nextBatch: `s${position}`, joined, invited, left };
}

function joinedUpdate(
  room: FakeRoom,
  after: number,
  isNewToUser: boolean,
  position: number,
  timelineLimit: number,
): JoinedRoomUpdate | undefined {
  const fresh = room.events.filter((e) => e.pos > after);
  if (fresh.length === 0 && !isNewToUser) return undefined;
  const timeline = fresh.slice(-timelineLimit);
  const first = timeline[0];
  const state = isNewToUser
    ? [...room.state.values()]
        .filter((e) => !timeline.includes(e))
        .map((e) => structuredClone(e.raw))
    : [];
  return {
    roomId: room.roomId,
    timeline: timeline.map((e) => structuredClone(e.raw)),
    limited: fresh.length > timeline.length,
    prevBatch: first === undefined ? `s${position}` : `s${first.pos - 1}`,
    state,
  };
}

/** One `/messages` page backwards from `from` (inclusive) down to `to` (exclusive), newest first. */
export function backfillPage(
  room: FakeRoom,
  from: string,
  to: string | undefined,
  limit: number,
): { events: RawEvent[]; end: string | undefined } {
  const upper = positionOf(from);
  const lower = to === undefined ? 0 : positionOf(to);
  const inRange = room.events.filter((e) => e.pos <= upper && e.pos > lower);
  const page = inRange.slice(-limit).reverse();
  const oldest = page.at(-1);
  const hasMore = oldest !== undefined && inRange.some((e) => e.pos < oldest.pos);
  return {
    events: page.map((e) => structuredClone(e.raw)),
    end: hasMore ? `s${oldest.pos - 1}` : undefined,
  };
}

/** The newest `limit` events of the thread rooted at `rootId` (`rel_type: m.thread`), oldest first. */
export function threadReplies(room: FakeRoom, rootId: EventId, limit: number): RawEvent[] {
  const replies = room.events.filter((stored) => {
    const relation = stored.raw.content['m.relates_to'] as Record<string, unknown> | undefined;
    return relation?.['rel_type'] === 'm.thread' && relation['event_id'] === rootId;
  });
  return replies.slice(-limit).map((stored) => structuredClone(stored.raw));
}

/** The stream position of a fake token `s<n>`; `bad_request` for anything else. */
export function positionOf(token: string): number {
  const match = /^s(\d+)$/.exec(token);
  if (match?.[1] === undefined) {
    throw new MatrixRequestError('bad_request', `not a fake token: ${token}`, {
      httpStatus: 400,
      errcode: 'M_INVALID_PARAM',
    });
  }
  return Number(match[1]);
}

/** A Synapse-like 404. */
export function notFound(what: string): MatrixRequestError {
  return new MatrixRequestError('not_found', `${what} not found`, {
    httpStatus: 404,
    errcode: 'M_NOT_FOUND',
  });
}
