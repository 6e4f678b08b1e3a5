/**
 * The Matrix capabilities the rest of the daemon uses. Code above `matrix/` depends on these
 * narrow interfaces, never on matrix-bot-sdk. Each method maps homeserver failures to
 * `MatrixRequestError` (see errors.ts) before they leave this folder.
 */
import type { EventId, RoomAlias, RoomId, UserId } from '../shared/index.js';
import type { MediaSource } from './media-crypto.js';

/** A client-server API event exactly as the homeserver sent it (after decryption, if any). */
export interface RawEvent {
  readonly event_id: string;
  readonly room_id?: string;
  readonly sender: string;
  readonly type: string;
  readonly origin_server_ts: number;
  readonly content: Readonly<Record<string, unknown>>;
  readonly state_key?: string;
  readonly redacts?: string;
  readonly unsigned?: Readonly<Record<string, unknown>>;
}

/** What changed in one joined room during a sync. */
export interface JoinedRoomUpdate {
  readonly roomId: RoomId;
  /**
   * Timeline events, oldest first, each with `room_id` filled in. Encrypted events are
   * decrypted when E2EE is enabled; otherwise (or when decryption fails) they stay
   * `m.room.encrypted`.
   */
  readonly timeline: readonly RawEvent[];
  /** True when the homeserver left a gap before `timeline` (see `prevBatch`). */
  readonly limited: boolean;
  /** Token to paginate backwards from the start of `timeline` (for backfilling a gap). */
  readonly prevBatch: string | undefined;
  /** State events delivered with the update (not part of the timeline), with `room_id` filled in. */
  readonly state: readonly RawEvent[];
}

/** A pending invite of this account to a room. */
export interface RoomInvite {
  readonly roomId: RoomId;
  /** Sender of our `m.room.member` invite event in the invite state. */
  readonly inviter: UserId | undefined;
  /** The invite carried `is_direct: true` (a DM). */
  readonly isDirect: boolean;
}

/** One `/sync` response, reduced to what Quorum handles. */
export interface SyncBatch {
  /** The token to pass as `since` next time; store it only after the batch is admitted. */
  readonly nextBatch: string;
  readonly joined: readonly JoinedRoomUpdate[];
  readonly invited: readonly RoomInvite[];
  /** Rooms we left or were removed from since `since`. */
  readonly left: readonly RoomId[];
  /**
   * Events that an earlier batch delivered still encrypted (their room key had not arrived)
   * and that could be decrypted now, with `room_id` set. Same event ids: the receiver replaces
   * the encrypted copy it holds.
   */
  readonly decryptedLate?: readonly RawEvent[];
  /**
   * Events still undecryptable after the client's wait (reported once each, with `room_id`
   * set). They stay waiting: a key arriving later still yields them in `decryptedLate`.
   */
  readonly undecryptable?: readonly RawEvent[];
}

/** Inputs of one `/sync` long-poll. */
export interface SyncOptions {
  /** The stored `next_batch` of the previous batch; absent for the first sync. */
  readonly since: string | undefined;
  /** Long-poll timeout sent to the homeserver (0 returns at once). */
  readonly timeoutMs: number;
  /**
   * Rooms to leave out of this sync (another bot already follows them): the homeserver then
   * does less work per event and the bot receives nothing it would only discard.
   */
  readonly excludeRooms?: readonly RoomId[];
  /** Aborting rejects the call with the signal's reason at once; a late response is dropped. */
  readonly signal: AbortSignal;
}

/** Long-polls `/sync` with Quorum's filter (lazy-loaded members, no presence, only handled types). */
export interface SyncSource {
  /**
   * One long-poll: resolves with the next batch (possibly empty after `timeoutMs`), or
   * rejects with a `MatrixRequestError`, or with the signal's reason when aborted. It never
   * stores the token itself.
   */
  sync(options: SyncOptions): Promise<SyncBatch>;
}

/** Inputs of one `/messages` page. */
export interface BackfillOptions {
  /** Pagination token to start from (a `prevBatch`). */
  readonly from: string;
  /** Stop at this token (the previous batch's `since`), when known. */
  readonly to: string | undefined;
  readonly limit: number;
  readonly signal: AbortSignal;
}

/** Reads history: gaps, single events, threads. */
export interface TimelineSource {
  /**
   * One page of `/messages` backwards from `from`: up to `limit` events, newest first, with
   * the same types the sync filter admits (decrypted like sync events). `end` is the token for
   * the next (older) page, `undefined` once the start of the room or `to` is reached.
   */
  backfill(
    roomId: RoomId,
    options: BackfillOptions,
  ): Promise<{ events: readonly RawEvent[]; end: string | undefined }>;
  /** One event by id (`/rooms/{roomId}/event/{eventId}`); `not_found` when unknown. */
  getEvent(roomId: RoomId, eventId: EventId): Promise<RawEvent>;
  /**
   * A thread: its root event first, then the newest `limit` events of the thread
   * (`/relations/{root}/m.thread`), oldest first. Edits of thread events are not included
   * (they relate to their target, not the root).
   */
  getThread(
    roomId: RoomId,
    rootId: EventId,
    options: { limit: number; signal?: AbortSignal },
  ): Promise<readonly RawEvent[]>;
}

/** Text to send. `body` is Markdown when `format` is `markdown`; it is rendered to sanitised HTML. */
export interface OutgoingText {
  readonly body: string;
  readonly format: 'markdown' | 'plain';
  /** `m.notice` for bot status lines; default `m.text`. */
  readonly msgtype?: 'm.text' | 'm.notice';
  /** Put the message in this thread (`m.thread`), with a reply fallback to `replyToId` (or the root). */
  readonly thread?: { readonly rootId: EventId; readonly replyToId?: EventId };
  /** Users to mention (`m.mentions.user_ids` plus a pill for each that appears in the body). */
  readonly mentions?: readonly UserId[];
  /**
   * Extra content keys (namespaced, e.g. `io.quorum.stream_status`). They never override the
   * keys Quorum builds; on an edit they go both at the top level and in `m.new_content`.
   */
  readonly extraContent?: Readonly<Record<string, unknown>>;
  /**
   * Collapsible blocks shown before the body (HTML `<details>`; the plain body gets them as
   * text): long tool output, for example. Summary and text are escaped, never raw HTML.
   */
  readonly details?: readonly { readonly summary: string; readonly text: string }[];
}

/** A transaction id: the same id for the same logical send makes a resend idempotent at the homeserver. */
export interface SendOptions {
  /**
   * Sent as the `{txnId}` path segment. The homeserver scopes it to the device, so a resend
   * after a crash must use the same persisted device (see `AccountCredentials.deviceId`).
   */
  readonly txnId: string;
}

/** Sends new messages. */
export interface MessageSender {
  sendText(roomId: RoomId, message: OutgoingText, options: SendOptions): Promise<EventId>;
}

/** A file to post (an image, a generated report). */
export interface OutgoingFile {
  readonly bytes: Buffer;
  /** Shown as the message body and offered as the download name. */
  readonly filename: string;
  /** `image/png`, `text/markdown`, ...: `image/*` posts an `m.image`, anything else an `m.file`. */
  readonly mimetype: string;
  readonly thread?: { readonly rootId: EventId; readonly replyToId?: EventId };
}

/** Posts files. */
export interface MediaSender {
  /**
   * Uploads `file` and posts it. In an encrypted room the bytes are encrypted before the
   * upload (the homeserver only ever holds ciphertext) and the event is encrypted too; the
   * same refusal as for text applies when the client cannot encrypt. The upload is repeated
   * on a resend; the event is idempotent by `txnId`.
   */
  sendFile(roomId: RoomId, file: OutgoingFile, options: SendOptions): Promise<EventId>;
}

/** Edits messages this account sent. */
export interface MessageEditor {
  /**
   * Replaces `targetId`'s content (`m.replace` with the full `m.new_content` and a `* `
   * fallback). `message.thread` is not needed and is ignored: an edit stays in its target's
   * thread, and the spec ignores relations inside `m.new_content`.
   */
  editText(
    roomId: RoomId,
    targetId: EventId,
    message: OutgoingText,
    options: SendOptions,
  ): Promise<EventId>;
}

/** Reacts to and redacts events. */
export interface Reactor {
  react(roomId: RoomId, targetId: EventId, key: string, options: SendOptions): Promise<EventId>;
  redact(
    roomId: RoomId,
    eventId: EventId,
    options: SendOptions & { readonly reason?: string },
  ): Promise<EventId>;
}

/** Shows that the account is typing. */
export interface TypingIndicator {
  /** Shows (or clears) the typing notification for `timeoutMs` milliseconds. */
  setTyping(roomId: RoomId, isTyping: boolean, timeoutMs: number): Promise<void>;
}

/** Joins, leaves and invites; lists rooms and members. */
export interface RoomMembership {
  /** Joins a room we are invited to (or a public one) and returns its id. */
  joinRoom(roomIdOrAlias: RoomId | RoomAlias): Promise<RoomId>;
  leaveRoom(roomId: RoomId): Promise<void>;
  invite(roomId: RoomId, userId: UserId): Promise<void>;
  getJoinedRooms(): Promise<readonly RoomId[]>;
  getJoinedMembers(roomId: RoomId): Promise<readonly UserId[]>;
  /** The user's power level in the room (`m.room.power_levels`; 100 is admin). */
  getUserPowerLevel(roomId: RoomId, userId: UserId): Promise<number>;
}

/** What {@link RoomDirectory.createRoom} creates. */
export interface CreateRoomOptions {
  /** Local part of the alias to create (`lobby` for `#lobby:server`). */
  readonly aliasLocalpart: string;
  readonly name: string;
  readonly topic?: string;
  readonly invite: readonly UserId[];
  /** Public rooms are joinable by anyone on the server; default private (invite only). */
  readonly isPublic?: boolean;
  /** Create the room end-to-end encrypted (`m.room.encryption` in its initial state). */
  readonly isEncrypted?: boolean;
}

/** Aliases and room creation. */
export interface RoomDirectory {
  /** The room an alias points at, or `undefined` when the alias does not exist. */
  resolveAlias(alias: RoomAlias): Promise<RoomId | undefined>;
  /**
   * Creates a room with `#aliasLocalpart:server`, the `private_chat` preset (or `public_chat`
   * when `isPublic`) and `shared` history visibility. Rejects with `room_in_use` when the
   * alias already exists.
   */
  createRoom(options: CreateRoomOptions): Promise<RoomId>;
  /**
   * Turns end-to-end encryption on in a room (Megolm). Irreversible. Resolves `false` when
   * the room was already encrypted (nothing sent).
   */
  enableEncryption(roomId: RoomId): Promise<boolean>;
}

/** Display names and the account's notification setting. */
export interface ProfileEditor {
  setDisplayName(displayName: string): Promise<void>;
  /**
   * Whether the homeserver computes notifications for this account. Quorum turns them off for
   * its bots: nobody reads their unread counts, and each bot member with notifications on
   * costs the homeserver push-rule work and a stored push action on every message in its rooms.
   */
  getNotificationsEnabled(): Promise<boolean>;
  setNotificationsEnabled(enabled: boolean): Promise<void>;
  /** The user's global display name, or `undefined` when unset or the user is unknown. */
  getDisplayName(userId: UserId): Promise<string | undefined>;
}

/** A downloaded attachment. */
export interface DownloadedMedia {
  readonly bytes: Buffer;
  /** The `Content-Type` the homeserver served, e.g. `image/png`. */
  readonly contentType: string;
}

/** Reads attachments (`mxc://` URLs) through the authenticated media API. */
export interface MediaReader {
  /**
   * Downloads an attachment: an `mxc://` URL, or a message's {@link MediaSource} (see
   * `mediaSourceOf`), which also covers attachments of encrypted rooms: those are decrypted
   * and checked against their hash. Rejects with `MatrixRequestError` (`not_found`,
   * `forbidden`, ...), or `bad_request` when the media is larger than `maxBytes` or fails
   * its hash.
   */
  downloadMedia(
    source: string | MediaSource,
    options: { readonly maxBytes: number; readonly signal?: AbortSignal },
  ): Promise<DownloadedMedia>;
}

/** Everything one bot account can do; most code should take only the capability it needs. */
export interface BotClient
  extends
    SyncSource,
    TimelineSource,
    MessageSender,
    MessageEditor,
    Reactor,
    TypingIndicator,
    RoomMembership,
    RoomDirectory,
    ProfileEditor,
    MediaReader,
    MediaSender {
  readonly userId: UserId;
  readonly deviceId: string;
  /**
   * True when this client encrypts and decrypts (a crypto backend is loaded). Either way it
   * never sends plaintext into an encrypted room: such a send rejects with
   * `encryption_unavailable`.
   */
  readonly isEncryptionEnabled: boolean;
  /**
   * Stops the client: pending calls (a long-poll included) reject with a `shutdown`
   * AbortReason and later calls reject the same way. Idempotent.
   */
  close(): Promise<void>;
}

/** Credentials of one bot account, as persisted by storage. */
export interface AccountCredentials {
  readonly userId: UserId;
  readonly accessToken: string;
  readonly deviceId: string;
  readonly password: string;
}
