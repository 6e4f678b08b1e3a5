/**
 * One client's end-to-end encryption, in the order the crypto relies on: open the device
 * (store restored, keys uploaded) before the first sync, feed each sync's to-device data
 * before decrypting its timeline, save the store durably before the batch is handed on (the
 * homeserver deletes to-device messages once the next sync acknowledges them, so room keys
 * must be on disk before the sync token is), retry waiting events when keys come in, and
 * encrypt every send into an encrypted room. Quorum runs its own `/sync`, so this does by
 * hand what an SDK's sync loop would.
 *
 * Without a crypto backend (or with a device that failed to open) the session still knows
 * which rooms are encrypted, and refuses to send there: never plaintext into an encrypted room.
 */
import type { Logger, RoomId, UserId } from '../shared/index.js';
import { describeError, runTask } from '../shared/index.js';
import { runAbortable } from './abortable-request.js';
import type { CryptoContext } from './crypto-context.js';
import { DeviceCrypto } from './device-crypto.js';
import { MatrixRequestError } from './errors.js';
import type { CryptoEngine, CryptoHttp } from './olm-crypto-engine.js';
import type { EventContent } from './message-content.js';
import type { RoomStateReader } from './room-encryption-directory.js';
import type { ParsedSync } from './sync-response.js';
import type { JoinedRoomUpdate, RawEvent, SyncBatch } from './types.js';

/** What a {@link CryptoSession} needs from its client. */
export interface CryptoSessionDeps {
  readonly context: CryptoContext;
  readonly userId: UserId;
  readonly deviceId: string;
  /** The account password, for cross-signing's user-interactive auth; empty to skip it. */
  readonly password: string;
  readonly http: CryptoHttp;
  readonly rooms: RoomStateReader;
  readonly log: Logger;
  /** Aborts pending crypto work when the client closes. */
  readonly closed: AbortSignal;
  readonly now: () => number;
  /** Opens the device; tests inject one with a fake engine. */
  readonly openDevice?: () => Promise<DeviceCrypto>;
}

/** See the module comment. */
export class CryptoSession {
  private device: Promise<DeviceCrypto> | undefined;
  private opened: DeviceCrypto | undefined;
  private isClosed = false;
  /** Rooms whose refusal was already logged at error level (later ones go to debug). */
  private readonly refusedLogged = new Set<string>();

  constructor(private readonly deps: CryptoSessionDeps) {
    const backend = deps.context.backend;
    deps.context.health.update(deps.userId, {
      state: backend === undefined ? 'disabled' : 'starting',
      backend: backend?.name ?? null,
      device_id: deps.deviceId,
      last_error: deps.context.unavailableReason ?? null,
    });
  }

  /** True when this session can encrypt (a backend is loaded). */
  get isEnabled(): boolean {
    return this.deps.context.backend !== undefined;
  }

  /**
   * Opens the device once (restore store, upload keys, cross-signing); a failed open is
   * retried by the next call. Without a backend it resolves at once.
   */
  async ensureReady(signal: AbortSignal | undefined): Promise<void> {
    if (this.deps.context.backend === undefined) return;
    if (this.device === undefined) {
      const opening = this.open();
      opening.catch((error: unknown) => {
        this.device = undefined;
        this.deps.context.health.update(this.deps.userId, {
          state: 'failed',
          last_error: describeError(error),
        });
      });
      this.device = opening;
    }
    const device = this.device;
    await runAbortable('prepare encryption', () => device, [signal, this.deps.closed]);
  }

  /**
   * Feeds the sync's crypto data, decrypts each joined room's timeline, retries waiting
   * events when keys arrived, and saves the store durably; resolves with the batch to hand on.
   */
  async processSync(parsed: ParsedSync): Promise<SyncBatch> {
    const { directory } = this.deps.context;
    for (const room of parsed.batch.joined) {
      for (const event of [...room.state, ...room.timeline]) directory.observe(room.roomId, event);
    }
    const device = this.deps.context.backend === undefined ? undefined : await this.ready();
    if (device === undefined) return parsed.batch;
    await this.run('receive sync crypto data', () => device.engine.receiveSyncData(parsed.crypto));
    const joined: JoinedRoomUpdate[] = [];
    for (const room of parsed.batch.joined) {
      const timeline: RawEvent[] = [];
      for (const event of room.timeline) timeline.push(await this.decryptOne(room.roomId, event));
      joined.push({ ...room, timeline });
    }
    const hasNewKeys = parsed.crypto.toDeviceEvents.length > 0;
    const decryptedLate =
      device.pending.takeRetryRequest() || hasNewKeys ? await this.retryWaiting(device) : [];
    const undecryptable = device.pending.takeOverdue().map((pending) => pending.event);
    // Room keys and Olm sessions must be on disk before the caller stores the sync token.
    await this.run('save crypto store', () => device.save(true));
    this.afterSync(device);
    return { ...parsed.batch, joined, decryptedLate, undecryptable };
  }

  /** Decrypts the `m.room.encrypted` events it can; the others pass through unchanged. */
  async decryptAll(roomId: RoomId, events: readonly RawEvent[]): Promise<RawEvent[]> {
    if (!events.some((event) => event.type === 'm.room.encrypted')) return [...events];
    const device = this.deps.context.backend === undefined ? undefined : await this.ready();
    if (device === undefined) return [...events];
    const out: RawEvent[] = [];
    for (const event of events) {
      if (event.type !== 'm.room.encrypted') {
        out.push(event);
        continue;
      }
      const outcome = await this.run('decrypt event', () => device.engine.decrypt(roomId, event));
      out.push(outcome.kind === 'decrypted' ? outcome.event : event);
    }
    return out;
  }

  /** Whether `roomId` is encrypted (from any bot's sync, or the room state). */
  isRoomEncrypted(roomId: RoomId): Promise<boolean> {
    return this.run('check room encryption', async () => {
      const encryption = await this.deps.context.directory.encryptionOf(roomId, this.deps.rooms);
      return encryption !== null;
    });
  }

  /**
   * The type and content to send: encrypted as `m.room.encrypted` when the room is encrypted.
   *
   * @throws MatrixRequestError `encryption_unavailable` when the room is encrypted and this
   *   client cannot encrypt, `encryption_failed` when encrypting failed on the way; nothing is
   *   sent in either case.
   */
  async prepareOutgoing(
    roomId: RoomId,
    type: string,
    content: EventContent,
  ): Promise<{ type: string; content: EventContent }> {
    const { directory, health } = this.deps.context;
    const encryption = await this.run('check room encryption', () =>
      directory.encryptionOf(roomId, this.deps.rooms),
    );
    if (encryption === null) return { type, content };
    try {
      if (this.deps.context.backend === undefined) {
        throw new MatrixRequestError(
          'encryption_unavailable',
          `room ${roomId} is encrypted and this process has no crypto backend ` +
            `(${this.deps.context.unavailableReason ?? 'unknown reason'})`,
        );
      }
      await this.ensureReady(undefined);
      const device = await this.ready();
      const members = await this.run('read room members', () =>
        directory.membersOf(roomId, this.deps.rooms),
      );
      const encrypted = await this.run('encrypt event', () =>
        device.engine.encrypt(roomId, type, content, { encryption, members }),
      );
      // The outbound session's message index moved: keep it, or a restart would reuse it.
      await this.run('save crypto store', () => device.save(false));
      health.sentEncrypted(this.deps.userId, roomId);
      return { type: 'm.room.encrypted', content: encrypted };
    } catch (error) {
      throw this.refuse(roomId, error);
    }
  }

  /** Saves the store durably and frees the machine. Idempotent. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    const device = this.device;
    if (device === undefined) return;
    try {
      await (await device).close();
    } catch (error) {
      this.deps.log.warn('could not close the crypto store cleanly', { error });
    }
  }

  private async open(): Promise<DeviceCrypto> {
    const { context, userId, deviceId, log } = this.deps;
    const backend = context.backend;
    if (backend === undefined) throw new Error('no crypto backend');
    const device = await (
      this.deps.openDevice ??
      (() =>
        DeviceCrypto.open({
          backend,
          storeDir: context.storeDir,
          userId,
          deviceId,
          http: this.deps.http,
          log,
          now: this.deps.now,
          noteAfterMs: context.undecryptableNoteAfterMs,
        }))
    )();
    if (device.isNew) log.info('new crypto store for this device', { deviceId });
    // Device keys and one-time keys go up before the first sync.
    await device.engine.sendOutgoingRequests();
    await device.save(true);
    this.opened = device;
    context.health.update(userId, {
      state: 'ready',
      device_key: device.engine.ed25519Key,
      last_error: null,
    });
    log.info('end-to-end encryption ready', {
      deviceId,
      deviceKey: device.engine.ed25519Key,
      waitingForKeys: device.pending.size,
    });
    // Cross-signing only changes how clients show the device (a password check and three
    // uploads on the first start): it does not hold the bot's start back.
    runTask(
      (async () => {
        if (!(await this.bootstrapCrossSigning(device.engine))) return;
        context.health.update(userId, { cross_signed: true });
        await device.save(false);
      })(),
      { log, what: 'cross-signing bootstrap' },
    );
    return device;
  }

  private async bootstrapCrossSigning(engine: CryptoEngine): Promise<boolean> {
    if (!this.deps.context.crossSigning || this.deps.password === '') return false;
    try {
      if (await engine.bootstrapCrossSigning(this.deps.password)) {
        this.deps.log.info('cross-signing keys created; this device is signed by its account');
      }
      return true;
    } catch (error) {
      // Encryption works without it; clients only show the device as unverified.
      this.deps.log.warn('cross-signing bootstrap failed', { error });
      return false;
    }
  }

  private async ready(): Promise<DeviceCrypto> {
    await this.ensureReady(undefined);
    const opened = this.openedDevice();
    if (opened === undefined) throw new Error('crypto device did not open');
    return opened;
  }

  private openedDevice(): DeviceCrypto | undefined {
    return this.opened;
  }

  private async decryptOne(roomId: RoomId, event: RawEvent): Promise<RawEvent> {
    if (event.type !== 'm.room.encrypted') return event;
    const device = await this.ready();
    const outcome = await this.run('decrypt event', () => device.engine.decrypt(roomId, event));
    if (outcome.kind === 'decrypted') return outcome.event;
    // Kept encrypted rather than dropped: the journal records that it arrived, and the event
    // waits for its key (a failure for good is reported at once, after the same wait).
    device.pending.add(roomId, event);
    this.deps.log.debug('event not decrypted yet', {
      roomId,
      eventId: event.event_id,
      outcome: outcome.kind,
      reason: outcome.reason,
    });
    return event;
  }

  private async retryWaiting(device: DeviceCrypto): Promise<RawEvent[]> {
    const out: RawEvent[] = [];
    for (const waiting of device.pending.list()) {
      const outcome = await this.run('decrypt event', () =>
        device.engine.decrypt(waiting.roomId, waiting.event),
      );
      if (outcome.kind !== 'decrypted') continue;
      device.pending.markResolved(waiting.event.event_id);
      out.push({ ...outcome.event, room_id: waiting.roomId });
    }
    if (out.length > 0)
      this.deps.log.info('late room keys decrypted waiting events', { count: out.length });
    return out;
  }

  /** Keys the sync asked for (uploads, queries) go out without holding the batch back. */
  private afterSync(device: DeviceCrypto): void {
    runTask(
      (async () => {
        await device.engine.sendOutgoingRequests();
        await device.save(false);
      })(),
      { log: this.deps.log, what: 'send crypto requests after sync' },
    );
  }

  private refuse(roomId: RoomId, caught: unknown): unknown {
    if (!(caught instanceof MatrixRequestError)) return caught;
    // The crypto itself failed (not the homeserver): a refusal to send, worth a retry.
    const error =
      caught.code === 'unexpected'
        ? new MatrixRequestError('encryption_failed', `encrypting for ${roomId} failed`, {
            cause: caught,
          })
        : caught;
    if (error.code !== 'encryption_unavailable' && error.code !== 'encryption_failed') {
      return error;
    }
    this.deps.context.health.refused(this.deps.userId, roomId, describeError(error));
    const fields = { roomId, error };
    if (this.refusedLogged.has(roomId)) {
      this.deps.log.debug('not sending into an encrypted room: cannot encrypt', fields);
    } else {
      this.refusedLogged.add(roomId);
      this.deps.log.error('not sending into an encrypted room: cannot encrypt', fields);
    }
    return error;
  }

  private run<T>(what: string, operation: () => Promise<T>): Promise<T> {
    return runAbortable(what, operation, [this.deps.closed]);
  }
}
