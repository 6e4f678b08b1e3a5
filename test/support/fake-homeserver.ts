import {
  AbortReason,
  asEventId,
  asRoomAlias,
  asRoomId,
  asUserId,
  linkSignal,
  systemClock,
} from '../../src/shared/index.js';
import type { Clock, EventId, RoomAlias, RoomId, UserId } from '../../src/shared/index.js';
import { MatrixRequestError } from '../../src/matrix/index.js';
import type {
  BotClient,
  CreateRoomOptions,
  DownloadedMedia,
  RawEvent,
  SyncBatch,
} from '../../src/matrix/index.js';
import { FakeBotClient } from './fake-bot-client.js';
import { backfillPage, notFound, syncBatchFor, threadReplies } from './fake-room.js';
import type { FakeMembership, FakeRoom, StoredEvent } from './fake-room.js';

/** A method of BotClient whose next calls can be made to fail. */
export type FakeOperation = Exclude<
  keyof BotClient,
  'userId' | 'deviceId' | 'isEncryptionEnabled' | 'close'
>;

/** One `setTyping` call, as recorded. */
export interface TypingRecord {
  readonly userId: UserId;
  readonly roomId: RoomId;
  readonly isTyping: boolean;
  readonly timeoutMs: number;
}

/** Options of {@link FakeHomeserver}; all optional. */
export interface FakeHomeserverOptions {
  readonly serverName?: string;
  /** Drives `origin_server_ts` and long-poll timeouts; a FakeClock makes tests instant. */
  readonly clock?: Clock;
  /** Timeline events per room per sync before the batch is `limited`; default 50. */
  readonly timelineLimit?: number;
}

/**
 * An in-memory homeserver for component tests. It hands out {@link FakeBotClient}s (the full
 * `BotClient` contract) for bots and humans alike, and routes everything between them in
 * memory: rooms, aliases, membership and invites, messages, edits, reactions and redactions as
 * events, thread relations, txnId idempotency, typing records and long-poll `/sync`.
 * Deterministic: ids come from counters and time from the injected clock.
 *
 * Sync tokens are `s<n>`: "everything up to stream position n". A timeline's `prevBatch` and
 * backfill's `end` use the same form, so `backfill({ from: prevBatch, to: since })` fills a
 * `limited` gap exactly.
 */
export class FakeHomeserver {
  readonly serverName: string;
  /** Every `setTyping` call, in order. */
  readonly typing: TypingRecord[] = [];
  private readonly clock: Clock;
  private readonly timelineLimit: number;
  private readonly rooms = new Map<RoomId, FakeRoom>();
  private readonly aliases = new Map<RoomAlias, RoomId>();
  private readonly displayNames = new Map<UserId, string>();
  private readonly transactions = new Map<string, EventId>();
  private readonly silenced = new Set<UserId>();
  private readonly lastSyncs = new Map<
    UserId,
    { readonly timeoutMs: number; readonly excludeRooms: readonly RoomId[] }
  >();
  private readonly failures: {
    userId: UserId;
    operation: FakeOperation;
    error: MatrixRequestError;
    remaining: number;
  }[] = [];
  private readonly waiters = new Set<() => void>();
  private position = 0;
  private readonly mediaStore = new Map<string, DownloadedMedia>();
  private readonly powerLevels = new Map<string, number>();
  private roomCounter = 0;
  private txnCounter = 0;

  constructor(options: FakeHomeserverOptions = {}) {
    this.serverName = options.serverName ?? 'fake.test';
    this.clock = options.clock ?? systemClock;
    this.timelineLimit = options.timelineLimit ?? 50;
  }

  /** Sets a user's power level in a room (100 is admin); default 0, the room's creator 100. */
  setPowerLevel(roomId: RoomId, userId: UserId, level: number): void {
    this.powerLevels.set(`${roomId}|${userId}`, level);
  }

  powerLevel(roomId: RoomId, userId: UserId): number {
    const set = this.powerLevels.get(`${roomId}|${userId}`);
    if (set !== undefined) return set;
    const creation = this.events({ roomId, type: 'm.room.create' })[0];
    return creation?.sender === userId ? 100 : 0;
  }

  /** Stores an attachment and returns its `mxc://` URL (what an upload would do). */
  putMedia(bytes: Buffer, contentType: string): string {
    const url = `mxc://${this.serverName}/media${this.mediaStore.size + 1}`;
    this.mediaStore.set(url, { bytes, contentType });
    return url;
  }

  /** An attachment stored with `putMedia`; `not_found` otherwise. */
  media(mxcUrl: string): DownloadedMedia {
    const media = this.mediaStore.get(mxcUrl);
    if (media === undefined)
      throw new MatrixRequestError('not_found', `no media ${mxcUrl}`, { httpStatus: 404 });
    return media;
  }

  /** `@localpart:serverName`, with a display name when given. */
  registerUser(localpart: string, displayName?: string): UserId {
    const userId = asUserId(`@${localpart}:${this.serverName}`);
    if (displayName !== undefined) this.displayNames.set(userId, displayName);
    return userId;
  }

  /** A client acting as `userId` (a bot or a human); each call returns a new client. */
  createClient(userId: UserId, deviceId = 'FAKEDEVICE'): FakeBotClient {
    return new FakeBotClient(this, userId, deviceId);
  }

  /** The next `times` calls of `operation` by `userId` reject with `error`. */
  failNext(userId: UserId, operation: FakeOperation, error: MatrixRequestError, times = 1): void {
    this.failures.push({ userId, operation, error, remaining: times });
  }

  /** The next `times` syncs of `userId` reject with `error`. */
  failNextSyncs(userId: UserId, times: number, error: MatrixRequestError): void {
    this.failNext(userId, 'sync', error, times);
  }

  /** The next `times` calls of `operation` are rate limited with `retryAfterMs`. */
  rateLimitNext(userId: UserId, operation: FakeOperation, retryAfterMs: number, times = 1): void {
    const error = new MatrixRequestError('rate_limited', `${operation} rate limited (fake)`, {
      httpStatus: 429,
      errcode: 'M_LIMIT_EXCEEDED',
      retryAfterMs,
    });
    this.failNext(userId, operation, error, times);
  }

  /** Timeline events of all rooms (or those matching `filter`), oldest first, as copies. */
  events(filter: { roomId?: RoomId; sender?: UserId; type?: string } = {}): RawEvent[] {
    return [...this.rooms.values()]
      .flatMap((room) => room.events)
      .sort((a, b) => a.pos - b.pos)
      .map((stored) => stored.raw)
      .filter(
        (raw) =>
          (filter.roomId === undefined || raw.room_id === filter.roomId) &&
          (filter.sender === undefined || raw.sender === filter.sender) &&
          (filter.type === undefined || raw.type === filter.type),
      )
      .map((raw) => structuredClone(raw));
  }

  /** Invites `invitee` as `sender`, optionally as a DM (`is_direct`), as Element does for DMs. */
  inviteAs(
    sender: UserId,
    roomId: RoomId,
    invitee: UserId,
    options: { isDirect?: boolean } = {},
  ): void {
    const room = this.joinedRoom(sender, roomId);
    const current = room.members.get(invitee);
    if (current === 'join' || current === 'ban') {
      throw new MatrixRequestError('forbidden', `${invitee} cannot be invited`, {
        httpStatus: 403,
      });
    }
    this.setMembership(
      room,
      sender,
      invitee,
      'invite',
      options.isDirect === true ? { is_direct: true } : {},
    );
  }

  // --- operations FakeBotClient delegates to (all synchronous but sync) ---

  /** A transaction id no client has used, for test helpers that send on a human's behalf. */
  freshTxnId(prefix: string): string {
    return `${prefix}-${++this.txnCounter}`;
  }

  /** Throws the next injected failure for this call, if any. */
  checkFailure(userId: UserId, operation: FakeOperation): void {
    const failure = this.failures.find(
      (f) => f.userId === userId && f.operation === operation && f.remaining > 0,
    );
    if (failure === undefined) return;
    failure.remaining--;
    throw failure.error;
  }

  /** Appends an event sent by `sender` under `txnId`; the same txnId returns the first event id. */
  send(
    sender: UserId,
    deviceId: string,
    roomId: RoomId,
    type: string,
    content: Record<string, unknown>,
    txnId: string,
    extra: Partial<RawEvent> = {},
  ): EventId {
    const key = `${sender}|${deviceId}|${txnId}`;
    const known = this.transactions.get(key);
    if (known !== undefined) return known;
    const room = this.joinedRoom(sender, roomId);
    const eventId = this.append(room, { sender, type, content, ...extra });
    this.transactions.set(key, eventId);
    return eventId;
  }

  /** Redacts `targetId` (its content is emptied, as the redaction algorithm does) under `txnId`. */
  redact(
    sender: UserId,
    deviceId: string,
    roomId: RoomId,
    targetId: EventId,
    txnId: string,
    reason: string | undefined,
  ): EventId {
    const room = this.joinedRoom(sender, roomId);
    const target = room.events.find((stored) => stored.raw.event_id === targetId);
    if (target === undefined) throw notFound(`event ${targetId}`);
    const content = reason === undefined ? { redacts: targetId } : { redacts: targetId, reason };
    const redactionId = this.send(sender, deviceId, roomId, 'm.room.redaction', content, txnId, {
      redacts: targetId,
    });
    const kept =
      target.raw.type === 'm.room.member' ? { membership: target.raw.content['membership'] } : {};
    target.raw = {
      ...target.raw,
      content: kept,
      unsigned: { ...target.raw.unsigned, redacted_because: { event_id: redactionId, sender } },
    };
    return redactionId;
  }

  /** Creates a room with its alias, name, topic, shared history and invites; `room_in_use` if the alias exists. */
  createRoom(creator: UserId, options: CreateRoomOptions): RoomId {
    const alias = asRoomAlias(`#${options.aliasLocalpart}:${this.serverName}`);
    if (this.aliases.has(alias)) {
      throw new MatrixRequestError('room_in_use', `alias ${alias} exists`, {
        httpStatus: 400,
        errcode: 'M_ROOM_IN_USE',
      });
    }
    const roomId = asRoomId(`!room${++this.roomCounter}:${this.serverName}`);
    const room: FakeRoom = {
      roomId,
      isPublic: options.isPublic === true,
      members: new Map(),
      events: [],
      state: new Map(),
    };
    this.rooms.set(roomId, room);
    this.aliases.set(alias, roomId);
    this.append(room, {
      sender: creator,
      type: 'm.room.create',
      state_key: '',
      content: { creator },
    });
    this.setMembership(room, creator, creator, 'join', {});
    this.append(room, {
      sender: creator,
      type: 'm.room.name',
      state_key: '',
      content: { name: options.name },
    });
    if (options.topic !== undefined) {
      this.append(room, {
        sender: creator,
        type: 'm.room.topic',
        state_key: '',
        content: { topic: options.topic },
      });
    }
    this.append(room, {
      sender: creator,
      type: 'm.room.history_visibility',
      state_key: '',
      content: { history_visibility: 'shared' },
    });
    this.append(room, {
      sender: creator,
      type: 'm.room.canonical_alias',
      state_key: '',
      content: { alias },
    });
    if (options.isEncrypted === true) {
      this.append(room, {
        sender: creator,
        type: 'm.room.encryption',
        state_key: '',
        content: { algorithm: 'm.megolm.v1.aes-sha2' },
      });
    }
    for (const invitee of options.invite) this.setMembership(room, creator, invitee, 'invite', {});
    return roomId;
  }

  /** Marks a room encrypted (an `m.room.encryption` state event); false when it already was. */
  enableEncryption(roomId: RoomId): boolean {
    const room = this.rooms.get(roomId);
    if (room === undefined) throw notFound(`room ${roomId}`);
    if (room.state.has('m.room.encryption|')) return false;
    const creator = [...room.members.keys()][0];
    if (creator === undefined) throw notFound(`members of ${roomId}`);
    this.append(room, {
      sender: creator,
      type: 'm.room.encryption',
      state_key: '',
      content: { algorithm: 'm.megolm.v1.aes-sha2' },
    });
    return true;
  }

  /** Joins when invited or the room is public (idempotent); `forbidden` otherwise, `not_found` for unknown rooms. */
  join(userId: UserId, roomIdOrAlias: RoomId | RoomAlias): RoomId {
    const roomId = roomIdOrAlias.startsWith('#')
      ? this.aliases.get(roomIdOrAlias as RoomAlias)
      : (roomIdOrAlias as RoomId);
    const room = roomId === undefined ? undefined : this.rooms.get(roomId);
    if (room === undefined) throw notFound(`room ${roomIdOrAlias}`);
    const current = room.members.get(userId);
    if (current === 'join') return room.roomId;
    if (current !== 'invite' && !room.isPublic) {
      throw new MatrixRequestError('forbidden', `${userId} is not invited to ${room.roomId}`, {
        httpStatus: 403,
        errcode: 'M_FORBIDDEN',
      });
    }
    this.setMembership(room, userId, userId, 'join', {});
    return room.roomId;
  }

  /** Leaves a joined room or rejects an invite; `forbidden` when not in the room. */
  leave(userId: UserId, roomId: RoomId): void {
    const room = this.rooms.get(roomId);
    const current = room?.members.get(userId);
    if (room === undefined || (current !== 'join' && current !== 'invite')) {
      throw new MatrixRequestError('forbidden', `${userId} is not in ${roomId}`, {
        httpStatus: 403,
        errcode: 'M_FORBIDDEN',
      });
    }
    this.setMembership(room, userId, userId, 'leave', {});
  }

  /** Rooms `userId` is joined to, in creation order. */
  joinedRooms(userId: UserId): RoomId[] {
    return [...this.rooms.values()]
      .filter((room) => room.members.get(userId) === 'join')
      .map((room) => room.roomId);
  }

  /** Joined members of a room `userId` is joined to. */
  joinedMembers(userId: UserId, roomId: RoomId): UserId[] {
    const room = this.joinedRoom(userId, roomId);
    return [...room.members]
      .filter(([, membership]) => membership === 'join')
      .map(([member]) => member);
  }

  /** The room an alias points at, `undefined` if none. */
  resolveAlias(alias: RoomAlias): RoomId | undefined {
    return this.aliases.get(alias);
  }

  /** A copy of one event of a room `userId` is joined to; `not_found` when unknown. */
  getEvent(userId: UserId, roomId: RoomId, eventId: EventId): RawEvent {
    const stored = this.joinedRoom(userId, roomId).events.find((e) => e.raw.event_id === eventId);
    if (stored === undefined) throw notFound(`event ${eventId}`);
    return structuredClone(stored.raw);
  }

  /** The root, then the newest `limit` thread events, oldest first. */
  thread(userId: UserId, roomId: RoomId, rootId: EventId, limit: number): RawEvent[] {
    const root = this.getEvent(userId, roomId, rootId);
    return [root, ...threadReplies(this.joinedRoom(userId, roomId), rootId, limit)];
  }

  /** A `/messages` page backwards (see fake-room.ts `backfillPage`). */
  backfill(
    userId: UserId,
    roomId: RoomId,
    from: string,
    to: string | undefined,
    limit: number,
  ): { events: RawEvent[]; end: string | undefined } {
    return backfillPage(this.joinedRoom(userId, roomId), from, to, limit);
  }

  /** Sets the global display name of `userId`. */
  setDisplayName(userId: UserId, displayName: string): void {
    this.displayNames.set(userId, displayName);
  }

  /** Whether `userId` gets notifications (every account does until it turns them off). */
  notificationsEnabled(userId: UserId): boolean {
    return !this.silenced.has(userId);
  }

  setNotificationsEnabled(userId: UserId, enabled: boolean): void {
    if (enabled) this.silenced.delete(userId);
    else this.silenced.add(userId);
  }

  /** `userId`'s latest sync request: its long-poll timeout and the rooms it left out. */
  lastSync(
    userId: UserId,
  ): { readonly timeoutMs: number; readonly excludeRooms: readonly RoomId[] } | undefined {
    return this.lastSyncs.get(userId);
  }

  /** The display name of `userId`, `undefined` when unset. */
  displayName(userId: UserId): string | undefined {
    return this.displayNames.get(userId);
  }

  /**
   * Long-polls for `userId`: resolves at once when something happened since `since`, else
   * when an event arrives, or empty after `timeoutMs` on the clock. Rejects with the signal's
   * reason on abort.
   */
  async sync(
    userId: UserId,
    since: string | undefined,
    timeoutMs: number,
    signal: AbortSignal,
    excludeRooms: readonly RoomId[] = [],
  ): Promise<SyncBatch> {
    this.lastSyncs.set(userId, { timeoutMs, excludeRooms });
    const excluded = new Set<string>(excludeRooms);
    const visibleRooms = (): FakeRoom[] =>
      [...this.rooms.values()].filter((room) => !excluded.has(room.roomId));
    signal.throwIfAborted();
    const immediate = syncBatchFor(
      visibleRooms(),
      userId,
      since,
      this.position,
      this.timelineLimit,
    );
    if (immediate !== undefined || timeoutMs <= 0) return immediate ?? this.emptyBatch();
    const linked = linkSignal(signal);
    let wake: () => void = () => undefined;
    const arrived = new Promise<void>((resolve) => (wake = resolve));
    this.waiters.add(wake);
    try {
      await Promise.race([arrived, this.clock.sleep(timeoutMs, linked.signal)]);
    } catch (error) {
      // A clock may reject with its own AbortError; callers expect the signal's reason.
      signal.throwIfAborted();
      throw error;
    } finally {
      this.waiters.delete(wake);
      // Ends the sleep so no timer outlives the call.
      if (!linked.signal.aborted) linked.abort(new AbortReason('stopped', 'sync returned'));
      linked.cleanup();
    }
    signal.throwIfAborted();
    return (
      syncBatchFor(visibleRooms(), userId, since, this.position, this.timelineLimit) ??
      this.emptyBatch()
    );
  }

  // --- internals ---

  private emptyBatch(): SyncBatch {
    return { nextBatch: `s${this.position}`, joined: [], invited: [], left: [] };
  }

  private joinedRoom(userId: UserId, roomId: RoomId): FakeRoom {
    const room = this.rooms.get(roomId);
    if (room === undefined) throw notFound(`room ${roomId}`);
    if (room.members.get(userId) !== 'join') {
      throw new MatrixRequestError('forbidden', `${userId} is not joined to ${roomId}`, {
        httpStatus: 403,
        errcode: 'M_FORBIDDEN',
      });
    }
    return room;
  }

  private setMembership(
    room: FakeRoom,
    sender: UserId,
    target: UserId,
    membership: FakeMembership,
    extra: Record<string, unknown>,
  ): void {
    const displayname = this.displayNames.get(target);
    room.members.set(target, membership);
    this.append(room, {
      sender,
      type: 'm.room.member',
      state_key: target,
      content: { membership, ...(displayname === undefined ? {} : { displayname }), ...extra },
    });
  }

  private append(
    room: FakeRoom,
    event: Omit<RawEvent, 'event_id' | 'origin_server_ts' | 'room_id'>,
  ): EventId {
    const pos = ++this.position;
    const eventId = asEventId(`$ev${pos}:${this.serverName}`);
    const stored: StoredEvent = {
      pos,
      raw: {
        ...event,
        event_id: eventId,
        room_id: room.roomId,
        origin_server_ts: this.clock.now(),
      },
    };
    room.events.push(stored);
    if (event.state_key !== undefined) room.state.set(`${event.type}|${event.state_key}`, stored);
    for (const wake of this.waiters) wake();
    return eventId;
  }
}
