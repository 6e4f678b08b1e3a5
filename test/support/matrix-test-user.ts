/**
 * A human test user for e2e tests: a real Matrix account driven over the Client-Server API
 * with plain `fetch`, independent of the daemon's Matrix code, so tests watch the daemon
 * from outside the way a person in Element would.
 *
 * @example
 * const alice = await MatrixTestUser.register(homeserver, { localpart: `alice-${suffix}` });
 * await alice.startSync();
 * const roomId = await alice.createRoom({ invite: [botUserId] });
 * const answered = alice.waitFor((e) => e.room_id === roomId && e.sender === botUserId);
 * const askedId = await alice.sendMention(roomId, { userId: botUserId, displayName: 'Bot' }, 'hi');
 * expect(isInThread(await answered, askedId)).toBe(true);
 */
import type { EventLog, WaitOptions } from './event-log.js';
import type { MatrixEvent, MentionTarget } from './matrix-events.js';
import {
  editContent,
  isInThread,
  latestContent,
  mentionedUserIds,
  reactionContent,
  textContent,
} from './matrix-events.js';
import type { MatrixRequest } from './matrix-http.js';
import { matrixRequest, segment } from './matrix-http.js';
import type { HomeserverInfo, MatrixSession } from './matrix-registration.js';
import { loginUser, registerUser } from './matrix-registration.js';
import type { ReceivedInvite, TypingUpdate } from './matrix-sync-loop.js';
import { SyncLoop } from './matrix-sync-loop.js';

/** Options of {@link MatrixTestUser.createRoom}. */
export interface CreateRoomOptions {
  /** Local part of an alias to publish (`#<aliasLocalpart>:<server>`). */
  readonly aliasLocalpart?: string;
  readonly name?: string;
  readonly topic?: string;
  readonly invite?: readonly string[];
  /** Default `private_chat` (invite-only, invitees get power level 0). */
  readonly preset?: 'private_chat' | 'public_chat' | 'trusted_private_chat';
  readonly isDirect?: boolean;
}

/** Options of the send methods. */
export interface SendOptions {
  readonly mentions?: readonly MentionTarget[];
  /** Makes the message a real reply to this event (inside the thread, for a thread reply). */
  readonly replyToEventId?: string;
}

const DEFAULT_PASSWORD_PREFIX = 'test-password-';

/**
 * One logged-in test user. Owns its sync loop: call {@link MatrixTestUser.close} (for example
 * in `afterAll`) to stop it; pending waits then reject.
 */
export class MatrixTestUser {
  readonly userId: string;
  readonly accessToken: string;
  readonly deviceId: string;
  readonly password: string;
  readonly homeserver: HomeserverInfo;
  private sync: SyncLoop | undefined;
  private txnCounter = 0;
  /** Content of each event this user sent, edits applied: the base of its next edit. */
  private readonly sentContents = new Map<string, Record<string, unknown>>();

  private constructor(homeserver: HomeserverInfo, session: MatrixSession, password: string) {
    this.homeserver = homeserver;
    this.userId = session.userId;
    this.accessToken = session.accessToken;
    this.deviceId = session.deviceId;
    this.password = password;
  }

  /** Registers a new account (shared-secret admin API); see {@link registerUser}. */
  static async register(
    homeserver: HomeserverInfo,
    options: { localpart: string; displayName?: string; password?: string; isAdmin?: boolean },
  ): Promise<MatrixTestUser> {
    const password = options.password ?? `${DEFAULT_PASSWORD_PREFIX}${options.localpart}`;
    const session = await registerUser(homeserver, { ...options, password });
    return new MatrixTestUser(homeserver, session, password);
  }

  /** Logs in to an existing account as a new device. */
  static async login(
    homeserver: HomeserverInfo,
    userId: string,
    password: string,
  ): Promise<MatrixTestUser> {
    const session = await loginUser(homeserver, userId, password);
    return new MatrixTestUser(homeserver, session, password);
  }

  // --- observing ---------------------------------------------------------------------------

  /** Starts the background sync loop; resolves after the initial sync. Idempotent. */
  async startSync(): Promise<void> {
    if (this.sync !== undefined) return;
    this.sync = new SyncLoop({
      baseUrl: this.homeserver.url,
      userId: this.userId,
      accessToken: this.accessToken,
    });
    await this.sync.start();
  }

  /** Stops the sync loop (pending waits reject). Idempotent; the user stays logged in. */
  async close(): Promise<void> {
    await this.sync?.stop();
  }

  /** Every timeline event the sync loop recorded, all rooms, in order received. */
  get timeline(): EventLog<MatrixEvent> {
    return this.syncLoop().timeline;
  }

  /** Invites this user received. */
  get invites(): EventLog<ReceivedInvite> {
    return this.syncLoop().invites;
  }

  /** Typing notifications this user saw. */
  get typing(): EventLog<TypingUpdate> {
    return this.syncLoop().typing;
  }

  /** Recorded timeline events of one room. */
  eventsIn(roomId: string): MatrixEvent[] {
    return this.timeline.all.filter((event) => event.room_id === roomId);
  }

  /** Waits for a timeline event; see {@link EventLog.waitFor}. Create it before the send. */
  waitFor(predicate: (event: MatrixEvent) => boolean, options?: WaitOptions): Promise<MatrixEvent> {
    return this.timeline.waitFor(predicate, options);
  }

  /** Waits for `count` timeline events; see {@link EventLog.waitForCount}. */
  waitForEvents(
    predicate: (event: MatrixEvent) => boolean,
    count: number,
    options?: WaitOptions,
  ): Promise<MatrixEvent[]> {
    return this.timeline.waitForCount(predicate, count, options);
  }

  /** Content of `eventId` with recorded edits applied; see {@link latestContent}. */
  latestContent(eventId: string): Record<string, unknown> | undefined {
    return latestContent(this.timeline.all, eventId);
  }

  // --- rooms -------------------------------------------------------------------------------

  /** Creates a room and returns its id. */
  async createRoom(options: CreateRoomOptions = {}): Promise<string> {
    const response = await this.request('POST', '/_matrix/client/v3/createRoom', {
      preset: options.preset ?? 'private_chat',
      invite: options.invite ?? [],
      is_direct: options.isDirect ?? false,
      ...(options.aliasLocalpart === undefined ? {} : { room_alias_name: options.aliasLocalpart }),
      ...(options.name === undefined ? {} : { name: options.name }),
      ...(options.topic === undefined ? {} : { topic: options.topic }),
    });
    return stringOf(response, 'room_id');
  }

  /** Joins a room by id or alias and returns the room id. */
  async joinRoom(roomIdOrAlias: string): Promise<string> {
    const response = await this.request(
      'POST',
      `/_matrix/client/v3/join/${segment(roomIdOrAlias)}`,
      {},
    );
    return stringOf(response, 'room_id');
  }

  /** Invites `userId` into `roomId`. */
  async invite(roomId: string, userId: string): Promise<void> {
    await this.request('POST', `${room(roomId)}/invite`, { user_id: userId });
  }

  /** Leaves `roomId`. */
  async leave(roomId: string): Promise<void> {
    await this.request('POST', `${room(roomId)}/leave`, {});
  }

  /** Resolves a room alias (`#name:server`) to a room id. */
  async resolveAlias(alias: string): Promise<string> {
    const response = await this.request(
      'GET',
      `/_matrix/client/v3/directory/room/${segment(alias)}`,
    );
    return stringOf(response, 'room_id');
  }

  /** User ids of the room's joined members. */
  async joinedMembers(roomId: string): Promise<string[]> {
    const response = await this.request('GET', `${room(roomId)}/joined_members`);
    const joined = response['joined'];
    return typeof joined === 'object' && joined !== null ? Object.keys(joined) : [];
  }

  /** Sets this user's display name. */
  async setDisplayName(displayName: string): Promise<void> {
    const path = `/_matrix/client/v3/profile/${segment(this.userId)}/displayname`;
    await this.request('PUT', path, { displayname: displayName });
  }

  // --- messages ----------------------------------------------------------------------------

  /** Sends any room event and returns its event id. */
  async sendEvent(roomId: string, type: string, content: Record<string, unknown>): Promise<string> {
    const path = `${room(roomId)}/send/${segment(type)}/${segment(this.nextTxnId())}`;
    const eventId = stringOf(await this.request('PUT', path, content), 'event_id');
    this.sentContents.set(eventId, content);
    return eventId;
  }

  /** Sends an `m.text` message (mentions become pills, see {@link textContent}). */
  sendText(roomId: string, text: string, options: SendOptions = {}): Promise<string> {
    return this.sendEvent(
      roomId,
      'm.room.message',
      textContent(text, options.mentions ?? [], placement(undefined, options.replyToEventId)),
    );
  }

  /** Sends a message mentioning `target` with a real pill and `m.mentions`. */
  sendMention(
    roomId: string,
    target: MentionTarget,
    text: string,
    options: SendOptions = {},
  ): Promise<string> {
    return this.sendText(roomId, text, {
      ...options,
      mentions: [target, ...(options.mentions ?? [])],
    });
  }

  /**
   * Sends a message into the thread of `threadRootId`. Without `replyToEventId` the reply
   * fallback points at the latest thread event this user has seen (the root if none).
   */
  sendThreadReply(
    roomId: string,
    threadRootId: string,
    text: string,
    options: SendOptions = {},
  ): Promise<string> {
    const latest = this.sync?.timeline.all.filter((e) => isInThread(e, threadRootId)).at(-1);
    return this.sendEvent(
      roomId,
      'm.room.message',
      textContent(text, options.mentions ?? [], {
        ...placement(threadRootId, options.replyToEventId),
        ...(latest === undefined ? {} : { fallbackEventId: latest.event_id }),
      }),
    );
  }

  /**
   * Edits `eventId` (an `m.replace` with `m.new_content`). Users mentioned by the current
   * version are not mentioned again in the outer content. The current version is the one this
   * user sent (its own record, which needs no sync round trip), else the one its sync saw.
   */
  async edit(
    roomId: string,
    eventId: string,
    text: string,
    options: SendOptions = {},
  ): Promise<string> {
    const current =
      this.sentContents.get(eventId) ??
      (this.sync === undefined ? undefined : this.latestContent(eventId));
    const previous = current === undefined ? [] : mentionedUserIds(current);
    const content = editContent(eventId, text, options.mentions ?? [], previous);
    const editId = await this.sendEvent(roomId, 'm.room.message', content);
    this.sentContents.set(eventId, content['m.new_content'] as Record<string, unknown>);
    return editId;
  }

  /** Reacts to `eventId` with `key` (an `m.annotation`). */
  react(roomId: string, eventId: string, key: string): Promise<string> {
    return this.sendEvent(roomId, 'm.reaction', reactionContent(eventId, key));
  }

  /** Redacts `eventId`; returns the redaction's event id. */
  async redact(roomId: string, eventId: string, reason?: string): Promise<string> {
    const path = `${room(roomId)}/redact/${segment(eventId)}/${segment(this.nextTxnId())}`;
    const response = await this.request('PUT', path, reason === undefined ? {} : { reason });
    return stringOf(response, 'event_id');
  }

  /** Starts (for `timeoutMs`) or stops this user's typing notification in `roomId`. */
  async setTyping(roomId: string, isTyping: boolean, timeoutMs = 30_000): Promise<void> {
    const path = `${room(roomId)}/typing/${segment(this.userId)}`;
    await this.request(
      'PUT',
      path,
      isTyping ? { typing: true, timeout: timeoutMs } : { typing: false },
    );
  }

  /** Fetches one event from the server (not from the sync record). */
  async fetchEvent(roomId: string, eventId: string): Promise<Record<string, unknown>> {
    return this.request('GET', `${room(roomId)}/event/${segment(eventId)}`);
  }

  /**
   * Sends an authenticated Client-Server (or Synapse admin) API request as this user.
   * Rejects with MatrixHttpError on a non-2xx answer.
   */
  request(
    method: MatrixRequest['method'],
    path: string,
    body?: unknown,
  ): Promise<Record<string, unknown>> {
    return matrixRequest(this.homeserver.url, {
      method,
      path,
      accessToken: this.accessToken,
      ...(body === undefined ? {} : { body }),
    });
  }

  private syncLoop(): SyncLoop {
    if (this.sync === undefined) {
      throw new Error(`${this.userId} is not syncing: call startSync() before observing`);
    }
    return this.sync;
  }

  private nextTxnId(): string {
    this.txnCounter += 1;
    return `quorum-test-${Date.now()}-${this.txnCounter}`;
  }
}

function room(roomId: string): string {
  return `/_matrix/client/v3/rooms/${segment(roomId)}`;
}

function placement(threadRootId: string | undefined, replyToEventId: string | undefined) {
  return {
    ...(threadRootId === undefined ? {} : { threadRootId }),
    ...(replyToEventId === undefined ? {} : { replyToEventId }),
  };
}

function stringOf(response: Record<string, unknown>, key: string): string {
  const value = response[key];
  if (typeof value !== 'string')
    throw new Error(`expected "${key}" in ${JSON.stringify(response)}`);
  return value;
}
