import { AbortReason, linkSignal } from '../../src/shared/index.js';
import type { EventId, RoomAlias, RoomId, UserId } from '../../src/shared/index.js';
import {
  MatrixRequestError,
  buildEditContent,
  buildFileContent,
  buildMessageContent,
  buildReactionContent,
} from '../../src/matrix/index.js';
import type {
  BackfillOptions,
  BotClient,
  CreateRoomOptions,
  DownloadedMedia,
  MediaSource,
  OutgoingFile,
  OutgoingText,
  RawEvent,
  SendOptions,
  SyncBatch,
  SyncOptions,
} from '../../src/matrix/index.js';
import type { FakeHomeserver, FakeOperation } from './fake-homeserver.js';

/**
 * A `BotClient` on a {@link FakeHomeserver}: every call goes to the shared in-memory server,
 * after the server's injected failures for this user are checked. Message contents are built
 * by the same functions as the real client, so assertions on them hold for both.
 */
export class FakeBotClient implements BotClient {
  readonly isEncryptionEnabled = false;
  private readonly closing = new AbortController();

  constructor(
    private readonly server: FakeHomeserver,
    readonly userId: UserId,
    readonly deviceId: string,
  ) {}

  /** Sends plain text as this user (a shortcut for tests posting as a human), each under a fresh txnId. */
  async say(roomId: RoomId, body: string, extra: Partial<OutgoingText> = {}): Promise<EventId> {
    return this.sendText(
      roomId,
      { body, format: 'plain', ...extra },
      { txnId: this.server.freshTxnId('say') },
    );
  }

  async sync(options: SyncOptions): Promise<SyncBatch> {
    await this.guard('sync');
    const linked = linkSignal(this.closing.signal, options.signal);
    try {
      return await this.server.sync(
        this.userId,
        options.since,
        options.timeoutMs,
        linked.signal,
        options.excludeRooms ?? [],
      );
    } finally {
      linked.cleanup();
    }
  }

  async backfill(
    roomId: RoomId,
    options: BackfillOptions,
  ): Promise<{ events: readonly RawEvent[]; end: string | undefined }> {
    await this.guard('backfill');
    options.signal.throwIfAborted();
    return this.server.backfill(this.userId, roomId, options.from, options.to, options.limit);
  }

  async getEvent(roomId: RoomId, eventId: EventId): Promise<RawEvent> {
    await this.guard('getEvent');
    return this.server.getEvent(this.userId, roomId, eventId);
  }

  async getThread(
    roomId: RoomId,
    rootId: EventId,
    options: { limit: number; signal?: AbortSignal },
  ): Promise<readonly RawEvent[]> {
    await this.guard('getThread');
    options.signal?.throwIfAborted();
    return this.server.thread(this.userId, roomId, rootId, options.limit);
  }

  /** Posts the file as an `m.image`/`m.file` pointing at a fake `mxc://` URL (bytes not kept). */
  async sendFile(roomId: RoomId, file: OutgoingFile, options: SendOptions): Promise<EventId> {
    await this.guard('sendFile');
    const url = `mxc://${this.userId.split(':')[1] ?? 'hs'}/${options.txnId}`;
    return this.server.send(
      this.userId,
      this.deviceId,
      roomId,
      'm.room.message',
      buildFileContent(file, { url }),
      options.txnId,
    );
  }

  async sendText(roomId: RoomId, message: OutgoingText, options: SendOptions): Promise<EventId> {
    await this.guard('sendText');
    return this.server.send(
      this.userId,
      this.deviceId,
      roomId,
      'm.room.message',
      buildMessageContent(message),
      options.txnId,
    );
  }

  async editText(
    roomId: RoomId,
    targetId: EventId,
    message: OutgoingText,
    options: SendOptions,
  ): Promise<EventId> {
    await this.guard('editText');
    return this.server.send(
      this.userId,
      this.deviceId,
      roomId,
      'm.room.message',
      buildEditContent(targetId, message),
      options.txnId,
    );
  }

  async react(
    roomId: RoomId,
    targetId: EventId,
    key: string,
    options: SendOptions,
  ): Promise<EventId> {
    await this.guard('react');
    return this.server.send(
      this.userId,
      this.deviceId,
      roomId,
      'm.reaction',
      buildReactionContent(targetId, key),
      options.txnId,
    );
  }

  async redact(
    roomId: RoomId,
    eventId: EventId,
    options: SendOptions & { readonly reason?: string },
  ): Promise<EventId> {
    await this.guard('redact');
    return this.server.redact(
      this.userId,
      this.deviceId,
      roomId,
      eventId,
      options.txnId,
      options.reason,
    );
  }

  async setTyping(roomId: RoomId, isTyping: boolean, timeoutMs: number): Promise<void> {
    await this.guard('setTyping');
    this.server.typing.push({ userId: this.userId, roomId, isTyping, timeoutMs });
  }

  async joinRoom(roomIdOrAlias: RoomId | RoomAlias): Promise<RoomId> {
    await this.guard('joinRoom');
    return this.server.join(this.userId, roomIdOrAlias);
  }

  async leaveRoom(roomId: RoomId): Promise<void> {
    await this.guard('leaveRoom');
    this.server.leave(this.userId, roomId);
  }

  async invite(roomId: RoomId, userId: UserId): Promise<void> {
    await this.guard('invite');
    this.server.inviteAs(this.userId, roomId, userId);
  }

  async getJoinedRooms(): Promise<readonly RoomId[]> {
    await this.guard('getJoinedRooms');
    return this.server.joinedRooms(this.userId);
  }

  async getJoinedMembers(roomId: RoomId): Promise<readonly UserId[]> {
    await this.guard('getJoinedMembers');
    return this.server.joinedMembers(this.userId, roomId);
  }

  async resolveAlias(alias: RoomAlias): Promise<RoomId | undefined> {
    await this.guard('resolveAlias');
    return this.server.resolveAlias(alias);
  }

  async createRoom(options: CreateRoomOptions): Promise<RoomId> {
    await this.guard('createRoom');
    return this.server.createRoom(this.userId, options);
  }

  /** Records the room as encrypted on the fake homeserver (nothing is actually encrypted). */
  async enableEncryption(roomId: RoomId): Promise<boolean> {
    await this.guard('enableEncryption');
    return this.server.enableEncryption(roomId);
  }

  async setDisplayName(displayName: string): Promise<void> {
    await this.guard('setDisplayName');
    this.server.setDisplayName(this.userId, displayName);
  }

  async getNotificationsEnabled(): Promise<boolean> {
    await this.guard('getNotificationsEnabled');
    return this.server.notificationsEnabled(this.userId);
  }

  async setNotificationsEnabled(enabled: boolean): Promise<void> {
    await this.guard('setNotificationsEnabled');
    this.server.setNotificationsEnabled(this.userId, enabled);
  }

  async getDisplayName(userId: UserId): Promise<string | undefined> {
    await this.guard('getDisplayName');
    return this.server.displayName(userId);
  }

  async getUserPowerLevel(roomId: RoomId, userId: UserId): Promise<number> {
    await this.guard('getUserPowerLevel');
    return this.server.powerLevel(roomId, userId);
  }

  async downloadMedia(
    source: string | MediaSource,
    options: { readonly maxBytes: number },
  ): Promise<DownloadedMedia> {
    await this.guard('downloadMedia');
    const media = this.server.media(typeof source === 'string' ? source : source.mxcUrl);
    if (media.bytes.length > options.maxBytes) {
      throw new MatrixRequestError('bad_request', 'media too large', { httpStatus: 413 });
    }
    return media;
  }

  close(): Promise<void> {
    if (!this.closing.signal.aborted) {
      this.closing.abort(new AbortReason('shutdown', 'Matrix client closed'));
    }
    return Promise.resolve();
  }

  /**
   * Yields once (so calls are asynchronous, like real I/O), rejects calls after close, then
   * applies the server's injected failures.
   */
  private async guard(operation: FakeOperation): Promise<void> {
    await Promise.resolve();
    this.closing.signal.throwIfAborted();
    this.server.checkFailure(this.userId, operation);
  }
}
