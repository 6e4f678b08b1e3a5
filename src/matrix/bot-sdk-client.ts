/**
 * `BotClient` on matrix-bot-sdk's MatrixClient. The SDK provides the HTTP layer, the crypto
 * machine and a few endpoints; Quorum runs its own single `/sync` call (the SDK's loop stores
 * its token before handlers run) and builds every send itself, so that the transaction id is
 * ours and a resend is idempotent. This class owns the lifecycle, sync and sends; history
 * reads (timeline-reader.ts), room operations (room-operations.ts), profile settings
 * (profile-settings.ts), media (media-transfer.ts) and encryption (crypto-session.ts) are
 * delegated.
 */
import type { MatrixClient } from 'matrix-bot-sdk';
import type { EventId, Logger, RoomAlias, RoomId, UserId } from '../shared/index.js';
import { AbortReason } from '../shared/index.js';
import { createClientRequest, eventIdOf, roomPath, type ClientRequest } from './client-request.js';
import type { CryptoContext } from './crypto-context.js';
import { CryptoSession } from './crypto-session.js';
import type { DeviceCrypto } from './device-crypto.js';
import { encryptAttachment } from './media-crypto.js';
import type { MediaSource } from './media-crypto.js';
import { MediaTransfer } from './media-transfer.js';
import {
  buildEditContent,
  buildFileContent,
  buildMessageContent,
  buildReactionContent,
} from './message-content.js';
import type { EventContent } from './message-content.js';
import { ProfileSettings } from './profile-settings.js';
import { RoomOperations } from './room-operations.js';
import { createRoomStateReader } from './room-state-reader.js';
import { parseSyncResponse } from './sync-response.js';
import { SyncFilters } from './sync-filters.js';
import { TimelineReader } from './timeline-reader.js';
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
export class BotSdkClient implements BotClient {
  readonly userId: UserId;
  readonly deviceId: string;
  readonly isEncryptionEnabled: boolean;
  private readonly log: Logger;
  private readonly closing = new AbortController();
  private readonly http: ClientRequest;
  private readonly crypto: CryptoSession;
  private readonly filters: SyncFilters;
  private readonly timeline: TimelineReader;
  private readonly rooms: RoomOperations;
  private readonly profile: ProfileSettings;
  private readonly media: MediaTransfer;

  /** @param client the SDK client; kept as a field, where a test spies on its `doRequest`. */
  constructor(
    private readonly client: MatrixClient,
    deps: BotSdkClientDeps,
  ) {
    this.userId = deps.userId;
    this.deviceId = deps.deviceId;
    this.isEncryptionEnabled = deps.crypto.backend !== undefined;
    this.log = deps.logger.child({ userId: deps.userId });
    const http = createClientRequest(this.client, this.closing.signal);
    this.http = http;
    this.crypto = new CryptoSession({
      context: deps.crypto,
      userId: deps.userId,
      deviceId: deps.deviceId,
      password: deps.password,
      http: (method, path, body) => http(`${method} ${path}`, method, path, { body }),
      // Room state reads for the shared encryption directory (see room-encryption-directory.ts).
      rooms: createRoomStateReader((what, path, query) =>
        http(what, 'GET', path, query === undefined ? {} : { query }),
      ),
      log: this.log,
      closed: this.closing.signal,
      now: deps.now ?? Date.now,
      ...(deps.openDevice === undefined ? {} : { openDevice: deps.openDevice }),
    });
    this.filters = new SyncFilters(http, deps.userId, deps.timelineLimit);
    this.timeline = new TimelineReader(http, (roomId, events) =>
      this.crypto.decryptAll(roomId, events),
    );
    this.rooms = new RoomOperations(http);
    this.profile = new ProfileSettings(http, deps.userId);
    this.media = new MediaTransfer(this.client, this.closing.signal);
  }

  // --- sync and history ---

  async sync(options: SyncOptions): Promise<SyncBatch> {
    await this.crypto.ensureReady(options.signal);
    const filter = await this.filters.ensure(options.signal, options.excludeRooms ?? []);
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

  backfill(
    roomId: RoomId,
    options: BackfillOptions,
  ): Promise<{ events: readonly RawEvent[]; end: string | undefined }> {
    return this.timeline.backfill(roomId, options);
  }

  getEvent(roomId: RoomId, eventId: EventId): Promise<RawEvent> {
    return this.timeline.getEvent(roomId, eventId);
  }

  getThread(
    roomId: RoomId,
    rootId: EventId,
    options: { limit: number; signal?: AbortSignal },
  ): Promise<readonly RawEvent[]> {
    return this.timeline.getThread(roomId, rootId, options);
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
      const url = await this.media.upload(
        sealed.ciphertext,
        'application/octet-stream',
        file.filename,
      );
      const content = buildFileContent(file, { file: { ...sealed.fileContent(url) } });
      return this.sendEvent(roomId, 'm.room.message', content, options.txnId);
    }
    const url = await this.media.upload(file.bytes, file.mimetype, file.filename);
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

  // --- rooms (room-operations.ts) ---

  joinRoom(roomIdOrAlias: RoomId | RoomAlias): Promise<RoomId> {
    return this.rooms.joinRoom(roomIdOrAlias);
  }

  leaveRoom(roomId: RoomId): Promise<void> {
    return this.rooms.leaveRoom(roomId);
  }

  invite(roomId: RoomId, userId: UserId): Promise<void> {
    return this.rooms.invite(roomId, userId);
  }

  getJoinedRooms(): Promise<readonly RoomId[]> {
    return this.rooms.getJoinedRooms();
  }

  getJoinedMembers(roomId: RoomId): Promise<readonly UserId[]> {
    return this.rooms.getJoinedMembers(roomId);
  }

  getUserPowerLevel(roomId: RoomId, userId: UserId): Promise<number> {
    return this.rooms.getUserPowerLevel(roomId, userId);
  }

  resolveAlias(alias: RoomAlias): Promise<RoomId | undefined> {
    return this.rooms.resolveAlias(alias);
  }

  createRoom(options: CreateRoomOptions): Promise<RoomId> {
    return this.rooms.createRoom(options);
  }

  enableEncryption(roomId: RoomId): Promise<boolean> {
    return this.rooms.enableEncryption(roomId);
  }

  // --- profile (profile-settings.ts), media and lifecycle ---

  setDisplayName(displayName: string): Promise<void> {
    return this.profile.setDisplayName(displayName);
  }

  getNotificationsEnabled(): Promise<boolean> {
    return this.profile.getNotificationsEnabled();
  }

  setNotificationsEnabled(enabled: boolean): Promise<void> {
    return this.profile.setNotificationsEnabled(enabled);
  }

  getDisplayName(userId: UserId): Promise<string | undefined> {
    return this.profile.getDisplayName(userId);
  }

  downloadMedia(
    source: string | MediaSource,
    options: { readonly maxBytes: number; readonly signal?: AbortSignal },
  ): Promise<DownloadedMedia> {
    return this.media.download(source, options);
  }

  async close(): Promise<void> {
    if (!this.closing.signal.aborted) {
      this.closing.abort(new AbortReason('shutdown', 'Matrix client closed'));
    }
    // Saves the crypto store durably (its own calls are not tied to the closing signal).
    await this.crypto.close();
  }

  // --- internals ---

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
}
