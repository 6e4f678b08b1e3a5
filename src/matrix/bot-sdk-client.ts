/**
 * `BotClient` on matrix-bot-sdk's MatrixClient. The SDK provides the HTTP layer, the crypto
 * machine and a few endpoints; Quorum runs its own single `/sync` call (the SDK's loop stores
 * its token before handlers run) and builds every send itself, so that the transaction id is
 * ours and a resend is idempotent.
 */
import type { MatrixClient } from 'matrix-bot-sdk';
import type { EventId, Logger, RoomAlias, RoomId, UserId } from '../shared/index.js';
import { AbortReason, asEventId, asRoomId, asUserId, hasErrorCode } from '../shared/index.js';
import { runAbortable } from './abortable-request.js';
import type { CryptoContext } from './crypto-context.js';
import { CryptoSession } from './crypto-session.js';
import type { DeviceCrypto } from './device-crypto.js';
import { MatrixRequestError } from './errors.js';
import { decryptAttachment, encryptAttachment } from './media-crypto.js';
import type { MediaSource } from './media-crypto.js';
import {
  buildEditContent,
  buildFileContent,
  buildMessageContent,
  buildReactionContent,
} from './message-content.js';
import type { EventContent } from './message-content.js';
import type { RoomStateReader } from './room-encryption-directory.js';
import { createRoomStateReader } from './room-state-reader.js';
import {
  buildMessagesFilter,
  buildSyncFilter,
  eventsOf,
  parseSyncResponse,
  toRawEvent,
} from './sync-response.js';
import type {
  BackfillOptions,
  BotClient,
  CreateRoomOptions,
  DownloadedMedia,
  OutgoingFile,
  OutgoingText,
  RawEvent,
  SendOptions,
  SyncBatch,
  SyncOptions,
} from './types.js';

/** How much longer than the long-poll timeout the HTTP request may take before it times out. */
export const SYNC_HTTP_MARGIN_MS = 15_000;
/** HTTP timeout of every request but `/sync` (the SDK's default). */
const DEFAULT_HTTP_TIMEOUT_MS = 60_000;
/** Thread pages requested from `/relations` (Synapse caps a page at 100). */
const RELATIONS_PAGE_SIZE = 100;

/** What a {@link BotSdkClient} is built from; `createBotSdkClient` assembles it from credentials. */
export interface BotSdkClientDeps {
  readonly userId: UserId;
  readonly deviceId: string;
  readonly logger: Logger;
  /** The process's encryption (backend, shared room directory, health board). */
  readonly crypto: CryptoContext;
  /** The account password (cross-signing's user-interactive auth); empty to skip cross-signing. */
  readonly password: string;
  readonly timelineLimit: number;
  readonly now?: () => number;
  /** Opens the device's crypto; tests inject a fake engine. */
  readonly openDevice?: () => Promise<DeviceCrypto>;
}

/**
 * {@link BotClient} on an SDK MatrixClient. Every rejection is a MatrixRequestError or an abort
 * reason. Build it with `createBotSdkClient`; the constructor is the seam tests use to inject a
 * fake crypto device. The owner calls `close()`.
 */
/**
 * Spec "Push Rules": the server-default rule that matches every event with no actions;
 * enabling it silences the account.
 */
const MASTER_PUSH_RULE_PATH = '/_matrix/client/v3/pushrules/global/override/.m.rule.master';

/** The `m.room.encryption` content Quorum creates (spec: Megolm, the only room algorithm). */
const MEGOLM_ENCRYPTION = { algorithm: 'm.megolm.v1.aes-sha2' };

export class BotSdkClient implements BotClient {
  readonly userId: UserId;
  readonly deviceId: string;
  readonly isEncryptionEnabled: boolean;
  private readonly log: Logger;
  private readonly closing = new AbortController();
  private readonly crypto: CryptoSession;
  /** Uploaded filters by the rooms they exclude (sorted, joined). */
  private readonly filterIds = new Map<string, Promise<string>>();

  constructor(
    private readonly client: MatrixClient,
    private readonly deps: BotSdkClientDeps,
  ) {
    this.userId = deps.userId;
    this.deviceId = deps.deviceId;
    this.isEncryptionEnabled = deps.crypto.backend !== undefined;
    this.log = deps.logger.child({ userId: deps.userId });
    this.crypto = new CryptoSession({
      context: deps.crypto,
      userId: deps.userId,
      deviceId: deps.deviceId,
      password: deps.password,
      http: (method, path, body) => this.http(`${method} ${path}`, method, path, { body }),
      rooms: this.roomStateReader(),
      log: this.log,
      closed: this.closing.signal,
      now: deps.now ?? Date.now,
      ...(deps.openDevice === undefined ? {} : { openDevice: deps.openDevice }),
    });
  }

  // --- sync and history ---

  async sync(options: SyncOptions): Promise<SyncBatch> {
    await this.crypto.ensureReady(options.signal);
    const filter = await this.ensureFilter(options.signal, options.excludeRooms ?? []);
    const query: Record<string, unknown> = { filter, timeout: Math.max(0, options.timeoutMs) };
    if (options.since !== undefined) query['since'] = options.since;
    const raw = await this.http('GET /sync', 'GET', '/_matrix/client/v3/sync', {
      query,
      // Longer than the long-poll, or every quiet sync would end as a timeout.
      timeoutMs: Math.max(0, options.timeoutMs) + SYNC_HTTP_MARGIN_MS,
      signal: options.signal,
    });
    const parsed = parseSyncResponse(raw, this.userId);
    if (parsed.droppedEvents > 0) {
      this.log.debug('sync events dropped as malformed', { count: parsed.droppedEvents });
    }
    return this.crypto.processSync(parsed);
  }

  async backfill(
    roomId: RoomId,
    options: BackfillOptions,
  ): Promise<{ events: readonly RawEvent[]; end: string | undefined }> {
    const query: Record<string, unknown> = {
      dir: 'b',
      from: options.from,
      limit: options.limit,
      filter: JSON.stringify(buildMessagesFilter()),
    };
    if (options.to !== undefined) query['to'] = options.to;
    const raw = await this.http('GET /messages', 'GET', `${roomPath(roomId)}/messages`, {
      query,
      signal: options.signal,
    });
    const body = asRecord(raw, 'GET /messages');
    const events = await this.decryptAll(roomId, eventsOf(body, roomId, { dropped: 0 }, 'chunk'));
    const end = typeof body['end'] === 'string' && events.length > 0 ? body['end'] : undefined;
    return { events, end };
  }

  async getEvent(roomId: RoomId, eventId: EventId): Promise<RawEvent> {
    const path = `${roomPath(roomId)}/event/${encodeURIComponent(eventId)}`;
    const raw = await this.http('GET /event', 'GET', path);
    const event = toRawEvent(asRecord(raw, 'GET /event'), roomId);
    if (event === undefined) {
      throw new MatrixRequestError('invalid_response', 'GET /event answered a malformed event');
    }
    const [decrypted] = await this.decryptAll(roomId, [event]);
    return decrypted ?? event;
  }

  async getThread(
    roomId: RoomId,
    rootId: EventId,
    options: { limit: number; signal?: AbortSignal },
  ): Promise<readonly RawEvent[]> {
    const root = await this.getEvent(roomId, rootId);
    const newestFirst: RawEvent[] = [];
    let from: string | undefined;
    while (newestFirst.length < options.limit) {
      const query: Record<string, unknown> = {
        dir: 'b',
        limit: Math.min(RELATIONS_PAGE_SIZE, options.limit - newestFirst.length),
      };
      if (from !== undefined) query['from'] = from;
      const path =
        `/_matrix/client/v1/rooms/${encodeURIComponent(roomId)}/relations/` +
        `${encodeURIComponent(rootId)}/m.thread`;
      const raw = await this.http('GET /relations', 'GET', path, {
        query,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
      const body = asRecord(raw, 'GET /relations');
      const page = eventsOf(body, roomId, { dropped: 0 }, 'chunk');
      newestFirst.push(...page);
      const next = body['next_batch'];
      if (typeof next !== 'string' || page.length === 0) break;
      from = next;
    }
    const replies = await this.decryptAll(roomId, newestFirst.slice(0, options.limit).reverse());
    return [root, ...replies];
  }

  // --- sending ---

  sendText(roomId: RoomId, message: OutgoingText, options: SendOptions): Promise<EventId> {
    return this.sendEvent(roomId, 'm.room.message', buildMessageContent(message), options.txnId);
  }

  editText(
    roomId: RoomId,
    targetId: EventId,
    message: OutgoingText,
    options: SendOptions,
  ): Promise<EventId> {
    const content = buildEditContent(targetId, message);
    return this.sendEvent(roomId, 'm.room.message', content, options.txnId);
  }

  async sendFile(roomId: RoomId, file: OutgoingFile, options: SendOptions): Promise<EventId> {
    // Encrypted rooms get an encrypted upload: the homeserver never holds the clear bytes.
    if (await this.crypto.isRoomEncrypted(roomId)) {
      const sealed = encryptAttachment(file.bytes);
      const url = await this.upload(sealed.ciphertext, 'application/octet-stream', file.filename);
      const content = buildFileContent(file, { file: { ...sealed.fileContent(url) } });
      return this.sendEvent(roomId, 'm.room.message', content, options.txnId);
    }
    const url = await this.upload(file.bytes, file.mimetype, file.filename);
    return this.sendEvent(roomId, 'm.room.message', buildFileContent(file, { url }), options.txnId);
  }

  react(roomId: RoomId, targetId: EventId, key: string, options: SendOptions): Promise<EventId> {
    return this.sendEvent(roomId, 'm.reaction', buildReactionContent(targetId, key), options.txnId);
  }

  async redact(
    roomId: RoomId,
    eventId: EventId,
    options: SendOptions & { readonly reason?: string },
  ): Promise<EventId> {
    const body = options.reason === undefined ? {} : { reason: options.reason };
    const path =
      `${roomPath(roomId)}/redact/${encodeURIComponent(eventId)}/` +
      encodeURIComponent(options.txnId);
    const raw = await this.http('PUT /redact', 'PUT', path, { body });
    return eventIdOf(raw, 'PUT /redact');
  }

  async setTyping(roomId: RoomId, isTyping: boolean, timeoutMs: number): Promise<void> {
    const path = `${roomPath(roomId)}/typing/${encodeURIComponent(this.userId)}`;
    const body = isTyping ? { typing: true, timeout: timeoutMs } : { typing: false };
    await this.http('PUT /typing', 'PUT', path, { body });
  }

  // --- rooms ---
  // Raw calls rather than the SDK's helpers, which start with a hidden whoami request.

  async joinRoom(roomIdOrAlias: RoomId | RoomAlias): Promise<RoomId> {
    const path = `/_matrix/client/v3/join/${encodeURIComponent(roomIdOrAlias)}`;
    const raw = await this.http('POST /join', 'POST', path, { body: {} });
    return branded(asRecord(raw, 'POST /join')['room_id'], asRoomId, 'POST /join');
  }

  async leaveRoom(roomId: RoomId): Promise<void> {
    await this.http('POST /leave', 'POST', `${roomPath(roomId)}/leave`, { body: {} });
  }

  async invite(roomId: RoomId, userId: UserId): Promise<void> {
    await this.http('POST /invite', 'POST', `${roomPath(roomId)}/invite`, {
      body: { user_id: userId },
    });
  }

  async getJoinedRooms(): Promise<readonly RoomId[]> {
    const raw = await this.http('GET /joined_rooms', 'GET', '/_matrix/client/v3/joined_rooms');
    const rooms = asRecord(raw, 'GET /joined_rooms')['joined_rooms'];
    if (!Array.isArray(rooms)) {
      throw new MatrixRequestError('invalid_response', 'GET /joined_rooms answered no list');
    }
    return rooms.map((roomId: unknown) => branded(roomId, asRoomId, 'GET /joined_rooms'));
  }

  async getJoinedMembers(roomId: RoomId): Promise<readonly UserId[]> {
    const raw = await this.http('GET /joined_members', 'GET', `${roomPath(roomId)}/joined_members`);
    const joined = asRecord(asRecord(raw, 'GET /joined_members')['joined'], 'GET /joined_members');
    return Object.keys(joined).map((userId) => branded(userId, asUserId, 'GET /joined_members'));
  }

  async getUserPowerLevel(roomId: RoomId, userId: UserId): Promise<number> {
    const raw = await this.http(
      'GET power_levels',
      'GET',
      `${roomPath(roomId)}/state/m.room.power_levels/`,
    );
    const levels = asRecord(raw, 'GET power_levels');
    const users = levels['users'];
    const own =
      typeof users === 'object' && users !== null
        ? (users as Record<string, unknown>)[userId]
        : undefined;
    if (typeof own === 'number') return own;
    const fallback = levels['users_default'];
    return typeof fallback === 'number' ? fallback : 0;
  }

  async resolveAlias(alias: RoomAlias): Promise<RoomId | undefined> {
    try {
      const path = `/_matrix/client/v3/directory/room/${encodeURIComponent(alias)}`;
      const raw = await this.http('GET /directory/room', 'GET', path);
      const roomId = asRecord(raw, 'GET /directory/room')['room_id'];
      return branded(roomId, asRoomId, 'GET /directory/room');
    } catch (error) {
      if (hasErrorCode(error, 'not_found')) return undefined;
      throw error;
    }
  }

  async createRoom(options: CreateRoomOptions): Promise<RoomId> {
    const raw = await this.http('POST /createRoom', 'POST', '/_matrix/client/v3/createRoom', {
      body: {
        preset: options.isPublic === true ? 'public_chat' : 'private_chat',
        room_alias_name: options.aliasLocalpart,
        name: options.name,
        ...(options.topic === undefined ? {} : { topic: options.topic }),
        invite: [...options.invite],
        initial_state: [
          {
            type: 'm.room.history_visibility',
            state_key: '',
            content: { history_visibility: 'shared' },
          },
          ...(options.isEncrypted === true
            ? [{ type: 'm.room.encryption', state_key: '', content: MEGOLM_ENCRYPTION }]
            : []),
        ],
      },
    });
    return branded(asRecord(raw, 'POST /createRoom')['room_id'], asRoomId, 'POST /createRoom');
  }

  async enableEncryption(roomId: RoomId): Promise<boolean> {
    const current = await this.http(
      'GET m.room.encryption',
      'GET',
      `${roomPath(roomId)}/state/m.room.encryption/`,
    ).catch((error: unknown) => {
      if (hasErrorCode(error, 'not_found')) return undefined;
      throw error;
    });
    if (
      current !== undefined &&
      typeof asRecord(current, 'GET m.room.encryption')['algorithm'] === 'string'
    ) {
      return false;
    }
    await this.http(
      'PUT m.room.encryption',
      'PUT',
      `${roomPath(roomId)}/state/m.room.encryption/`,
      {
        body: MEGOLM_ENCRYPTION,
      },
    );
    return true;
  }

  // --- profile and lifecycle ---

  async setDisplayName(displayName: string): Promise<void> {
    const path = `/_matrix/client/v3/profile/${encodeURIComponent(this.userId)}/displayname`;
    await this.http('PUT /displayname', 'PUT', path, { body: { displayname: displayName } });
  }

  async getNotificationsEnabled(): Promise<boolean> {
    const raw = await this.http('GET /pushrules', 'GET', `${MASTER_PUSH_RULE_PATH}/enabled`);
    return asRecord(raw, 'GET /pushrules')['enabled'] !== true;
  }

  async setNotificationsEnabled(enabled: boolean): Promise<void> {
    await this.http('PUT /pushrules', 'PUT', `${MASTER_PUSH_RULE_PATH}/enabled`, {
      body: { enabled: !enabled },
    });
  }

  async getDisplayName(userId: UserId): Promise<string | undefined> {
    try {
      const path = `/_matrix/client/v3/profile/${encodeURIComponent(userId)}/displayname`;
      const raw = await this.http('GET /displayname', 'GET', path);
      const name = asRecord(raw, 'GET /displayname')['displayname'];
      return typeof name === 'string' ? name : undefined;
    } catch (error) {
      if (hasErrorCode(error, 'not_found')) return undefined;
      throw error;
    }
  }

  async downloadMedia(
    source: string | MediaSource,
    options: { readonly maxBytes: number; readonly signal?: AbortSignal },
  ): Promise<DownloadedMedia> {
    const mxcUrl = typeof source === 'string' ? source : source.mxcUrl;
    const match = /^mxc:\/\/([^/]+)\/([^/?#]+)$/.exec(mxcUrl);
    if (match === null) {
      throw new MatrixRequestError('bad_request', `not an mxc:// URL: ${mxcUrl}`, {
        httpStatus: 400,
      });
    }
    const [, server = '', mediaId = ''] = match;
    // Authenticated media (spec v1.11): Synapse refuses unauthenticated downloads of new media.
    const path = `/_matrix/client/v1/media/download/${encodeURIComponent(server)}/${encodeURIComponent(mediaId)}`;
    const response = (await runAbortable(
      'GET /media/download',
      () =>
        this.client.doRequest(
          'GET',
          path,
          null,
          null,
          DEFAULT_HTTP_TIMEOUT_MS,
          true,
          undefined,
          true,
        ) as Promise<unknown>,
      [this.closing.signal, options.signal],
    )) as { body?: unknown; headers?: Record<string, unknown> };
    const bytes = Buffer.isBuffer(response.body) ? response.body : Buffer.from([]);
    if (bytes.length > options.maxBytes) {
      throw new MatrixRequestError(
        'bad_request',
        `media is ${bytes.length} bytes, over ${options.maxBytes}`,
        {
          httpStatus: 413,
        },
      );
    }
    const contentType = response.headers?.['content-type'];
    if (typeof source !== 'string' && source.encryption !== undefined) {
      // The server only holds ciphertext (served as octet-stream); the event names the type.
      return {
        bytes: decryptAttachment(bytes, source.encryption),
        contentType: source.mimetype ?? 'application/octet-stream',
      };
    }
    return {
      bytes,
      contentType: typeof contentType === 'string' ? contentType : 'application/octet-stream',
    };
  }

  async close(): Promise<void> {
    if (!this.closing.signal.aborted) {
      this.closing.abort(new AbortReason('shutdown', 'Matrix client closed'));
    }
    // Saves the crypto store durably (its own calls are not tied to the closing signal).
    await this.crypto.close();
  }

  // --- internals ---

  /** A raw client-server API call through the SDK's `doRequest` (auth header, JSON, its HTTP agent). */
  private http(
    what: string,
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    options: {
      readonly query?: Record<string, unknown>;
      readonly body?: Record<string, unknown>;
      readonly timeoutMs?: number;
      readonly signal?: AbortSignal;
    } = {},
  ): Promise<unknown> {
    // Every call goes through here: abortable (by `signal` and by close) and error-mapped.
    return runAbortable(
      what,
      () =>
        this.client.doRequest(
          method,
          path,
          options.query ?? null,
          options.body ?? null,
          options.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS,
        ) as Promise<unknown>,
      [this.closing.signal, options.signal],
    );
  }

  private async sendEvent(
    roomId: RoomId,
    type: string,
    content: EventContent,
    txnId: string,
  ): Promise<EventId> {
    const outgoing = await this.crypto.prepareOutgoing(roomId, type, content);
    const path =
      `${roomPath(roomId)}/send/${encodeURIComponent(outgoing.type)}/` + encodeURIComponent(txnId);
    const raw = await this.http(`PUT /send/${type}`, 'PUT', path, { body: outgoing.content });
    return eventIdOf(raw, `PUT /send/${type}`);
  }

  /** `POST /_matrix/media/v3/upload` through the SDK (raw body); resolves with the `mxc://` URL. */
  private async upload(bytes: Buffer, contentType: string, filename: string): Promise<string> {
    const url = await runAbortable(
      'POST /upload',
      () => this.client.uploadContent(bytes, contentType, filename),
      [this.closing.signal],
    );
    if (typeof url !== 'string' || !url.startsWith('mxc://')) {
      throw new MatrixRequestError('invalid_response', 'media upload answered no mxc:// URL');
    }
    return url;
  }

  /**
   * Uploads Quorum's filter once per client and set of excluded rooms; a failed upload is
   * retried by the next sync.
   */
  private ensureFilter(signal: AbortSignal, excludeRooms: readonly string[]): Promise<string> {
    const sorted = [...excludeRooms].sort();
    const key = sorted.join(',');
    let pending = this.filterIds.get(key);
    if (pending === undefined) {
      pending = this.uploadFilter(sorted);
      this.filterIds.set(key, pending);
      pending.catch(() => {
        this.filterIds.delete(key);
      });
    }
    const upload = pending;
    return runAbortable('POST /filter', () => upload, [signal]);
  }

  private uploadFilter(excludeRooms: readonly string[]): Promise<string> {
    const path = `/_matrix/client/v3/user/${encodeURIComponent(this.userId)}/filter`;
    const upload = (async () => {
      const raw = await this.http('POST /filter', 'POST', path, {
        body: buildSyncFilter(this.deps.timelineLimit, excludeRooms),
      });
      const filterId = asRecord(raw, 'POST /filter')['filter_id'];
      if (typeof filterId !== 'string') {
        throw new MatrixRequestError(
          'invalid_response',
          'filter upload answered without filter_id',
        );
      }
      return filterId;
    })();
    return upload;
  }

  private decryptAll(roomId: RoomId, events: RawEvent[]): Promise<RawEvent[]> {
    return this.crypto.decryptAll(roomId, events);
  }

  /** Room state reads for the shared encryption directory (see room-encryption-directory.ts). */
  private roomStateReader(): RoomStateReader {
    return createRoomStateReader((what, path, query) =>
      this.http(what, 'GET', path, query === undefined ? {} : { query }),
    );
  }
}

function roomPath(roomId: RoomId): string {
  return `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}`;
}

function eventIdOf(raw: unknown, what: string): EventId {
  return branded(asRecord(raw, what)['event_id'], asEventId, what);
}

/** `value` as a branded id, or `invalid_response` when the server sent something else. */
function branded<T>(value: unknown, brand: (raw: string) => T, what: string): T {
  if (typeof value === 'string') {
    try {
      return brand(value);
    } catch {
      // Falls through to the error below.
    }
  }
  throw new MatrixRequestError(
    'invalid_response',
    `${what} answered an invalid id: ${typeof value === 'string' ? value.slice(0, 100) : typeof value}`,
  );
}

function asRecord(raw: unknown, what: string): Readonly<Record<string, unknown>> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new MatrixRequestError(
      'invalid_response',
      `${what} answered a body that is not an object`,
    );
  }
  return raw as Readonly<Record<string, unknown>>;
}
