/**
 * One bot device's end-to-end encryption on the Rust crypto compiled to WebAssembly
 * (`@matrix-org/matrix-sdk-crypto-wasm`): its `OlmMachine` plus the HTTP calls the machine
 * asks for (its "outgoing requests": device and one-time key uploads, key queries and claims,
 * to-device messages, signature uploads). See the matrix-rust-sdk guide to "the sync loop"
 * that the calls here follow: feed each sync's to-device events, device list changes and
 * key counts to the machine, then send whatever it asks.
 */
import type * as Wasm from '@matrix-org/matrix-sdk-crypto-wasm';
import type { Logger, RoomId, UserId } from '../shared/index.js';
import { AbortReason } from '../shared/index.js';
import { MatrixRequestError } from './errors.js';
import { clearEventOf, encryptionSettings, machineLogger, parse } from './olm-conversions.js';
import type { WasmCrypto } from './olm-conversions.js';
import type { RoomEncryption } from './room-encryption-directory.js';
import type { SyncCryptoData } from './sync-response.js';
import type { RawEvent } from './types.js';

export type { WasmCrypto } from './olm-conversions.js';

/** A homeserver call for the machine's requests (JSON body in, parsed JSON out). */
export type CryptoHttp = (
  method: 'POST' | 'PUT',
  path: string,
  body: Readonly<Record<string, unknown>>,
) => Promise<unknown>;

/** The outcome of one decryption attempt. */
export type DecryptOutcome =
  | { readonly kind: 'decrypted'; readonly event: RawEvent }
  /** The room key has not arrived (yet): worth retrying when keys come in. */
  | { readonly kind: 'missing_key'; readonly reason: string }
  /** Any other failure (tampered, wrong sender, unknown algorithm): retrying will not help. */
  | { readonly kind: 'failed'; readonly reason: string };

/** The encryption operations a client needs; implemented on the wasm machine below. */
export interface CryptoEngine {
  readonly deviceId: string;
  /** The device's Ed25519 fingerprint key (shown by clients as the session key). */
  readonly ed25519Key: string;
  /** Feeds one sync's crypto data; resolves once the machine stored what it brought. */
  receiveSyncData(data: SyncCryptoData): Promise<void>;
  /** Sends every request the machine has queued (coalesced: one run at a time). */
  sendOutgoingRequests(): Promise<void>;
  decrypt(roomId: RoomId, event: RawEvent): Promise<DecryptOutcome>;
  /**
   * Content of an `m.room.encrypted` event carrying `type`/`content`, after making sure every
   * device of `members` holds the current room key (querying and claiming keys as needed).
   */
  encrypt(
    roomId: RoomId,
    type: string,
    content: Readonly<Record<string, unknown>>,
    room: { readonly encryption: RoomEncryption; readonly members: readonly UserId[] },
  ): Promise<Record<string, unknown>>;
  /**
   * Creates and uploads cross-signing keys when the account has none, signing this device,
   * so clients show the bot's device as verified by its owner. `password` answers the
   * homeserver's user-interactive auth. Resolves `false` when the account already had keys.
   */
  bootstrapCrossSigning(password: string): Promise<boolean>;
  /** Frees the machine once the calls in flight settled; later calls reject. Idempotent. */
  close(): Promise<void>;
}

/** Inputs of {@link OlmCryptoEngine.open}. */
export interface OlmCryptoEngineOptions {
  readonly wasm: WasmCrypto;
  readonly userId: UserId;
  readonly deviceId: string;
  /** The IndexedDB name of the device's store (see CryptoStoreFile.storeName). */
  readonly storeName: string;
  readonly http: CryptoHttp;
  readonly log: Logger;
}

const MEGOLM = 'm.megolm.v1.aes-sha2';

/** {@link CryptoEngine} on the wasm `OlmMachine`. Build with {@link OlmCryptoEngine.open}. */
export class OlmCryptoEngine implements CryptoEngine {
  private running: Promise<void> | undefined;
  private again = false;
  private isClosed = false;
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Per room: serialises key sharing and encryption (the machine's outbound session). */
  private readonly roomLocks = new Map<string, Promise<unknown>>();
  private readonly settingsApplied = new Map<string, string>();

  private constructor(
    private readonly wasm: WasmCrypto,
    private readonly machine: Wasm.OlmMachine,
    private readonly options: OlmCryptoEngineOptions,
  ) {}

  /** Opens (or creates) the device's machine on its IndexedDB store. */
  static async open(options: OlmCryptoEngineOptions): Promise<OlmCryptoEngine> {
    const { wasm } = options;
    const machine = await wasm.OlmMachine.initialize(
      new wasm.UserId(options.userId),
      new wasm.DeviceId(options.deviceId),
      options.storeName,
      undefined,
      machineLogger(options.log),
    );
    return new OlmCryptoEngine(wasm, machine, options);
  }

  get deviceId(): string {
    return this.options.deviceId;
  }

  get ed25519Key(): string {
    return this.machine.identityKeys.ed25519.toBase64();
  }

  receiveSyncData(data: SyncCryptoData): Promise<void> {
    return this.guard(() => this.receiveSyncDataNow(data));
  }

  private async receiveSyncDataNow(data: SyncCryptoData): Promise<void> {
    const { wasm } = this;
    const counts = new Map(Object.entries(data.oneTimeKeyCounts));
    await this.machine.receiveSyncChanges(
      JSON.stringify(data.toDeviceEvents),
      new wasm.DeviceLists(
        data.changedDeviceUsers.map((user) => new wasm.UserId(user)),
        data.leftDeviceUsers.map((user) => new wasm.UserId(user)),
      ),
      counts,
      new Set(data.unusedFallbackKeyTypes),
      new wasm.DecryptionSettings(wasm.TrustRequirement.Untrusted),
    );
  }

  sendOutgoingRequests(): Promise<void> {
    return this.guard(() => this.sendOutgoingRequestsNow());
  }

  private sendOutgoingRequestsNow(): Promise<void> {
    if (this.running !== undefined) {
      // A run is in flight: one more after it picks up whatever was queued meanwhile.
      this.again = true;
      return this.running;
    }
    const run = (async () => {
      try {
        do {
          this.again = false;
          for (const request of await this.machine.outgoingRequests()) {
            await this.send(request);
          }
        } while (this.shouldRunAgain());
      } finally {
        this.running = undefined;
      }
    })();
    this.running = run;
    return run;
  }

  /** A request for another run arrived during this one (and the engine is still open). */
  private shouldRunAgain(): boolean {
    return this.again && !this.isClosed;
  }

  decrypt(roomId: RoomId, event: RawEvent): Promise<DecryptOutcome> {
    return this.guard(() => this.decryptNow(roomId, event));
  }

  private async decryptNow(roomId: RoomId, event: RawEvent): Promise<DecryptOutcome> {
    const { wasm } = this;
    try {
      const decrypted = await this.machine.decryptRoomEvent(
        JSON.stringify(event),
        new wasm.RoomId(roomId),
        new wasm.DecryptionSettings(wasm.TrustRequirement.Untrusted),
      );
      return { kind: 'decrypted', event: clearEventOf(event, decrypted.event) };
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      const reason = error instanceof Error ? error.message : String(error);
      const isMissingKey =
        code === wasm.DecryptionErrorCode.MissingRoomKey ||
        code === wasm.DecryptionErrorCode.UnknownMessageIndex;
      return { kind: isMissingKey ? 'missing_key' : 'failed', reason };
    }
  }

  encrypt(
    roomId: RoomId,
    type: string,
    content: Readonly<Record<string, unknown>>,
    room: { readonly encryption: RoomEncryption; readonly members: readonly UserId[] },
  ): Promise<Record<string, unknown>> {
    return this.guard(() =>
      this.withRoomLock(roomId, () => this.encryptNow(roomId, type, content, room)),
    );
  }

  private async encryptNow(
    roomId: RoomId,
    type: string,
    content: Readonly<Record<string, unknown>>,
    room: { readonly encryption: RoomEncryption; readonly members: readonly UserId[] },
  ): Promise<Record<string, unknown>> {
    if (room.encryption.algorithm !== MEGOLM) {
      throw new MatrixRequestError(
        'encryption_unavailable',
        `room ${roomId} uses ${room.encryption.algorithm}, which Quorum cannot encrypt with`,
      );
    }
    const { wasm } = this;
    const wasmRoom = new wasm.RoomId(roomId);
    await this.applyRoomSettings(wasmRoom, room.encryption);
    // The machine takes ownership of the ids it is given: a fresh list for every call.
    const users = (): Wasm.UserId[] => room.members.map((user) => new wasm.UserId(user));
    await this.machine.updateTrackedUsers(users());
    // Device lists of new members first, then Olm sessions, then the room key itself.
    await this.sendOutgoingRequestsNow();
    const claim = await this.machine.getMissingSessions(users());
    if (claim !== null) await this.send(claim);
    const shares = await this.machine.shareRoomKey(
      wasmRoom,
      users(),
      encryptionSettings(wasm, room.encryption),
    );
    for (const request of shares) await this.send(request);
    const encrypted = await this.machine.encryptRoomEvent(wasmRoom, type, JSON.stringify(content));
    return JSON.parse(encrypted) as Record<string, unknown>;
  }

  bootstrapCrossSigning(password: string): Promise<boolean> {
    return this.guard(() => this.bootstrapCrossSigningNow(password));
  }

  private async bootstrapCrossSigningNow(password: string): Promise<boolean> {
    const status = await this.machine.crossSigningStatus();
    if (status.hasMaster && status.hasSelfSigning) return false;
    const requests = await this.machine.bootstrapCrossSigning(true);
    const userId = this.options.userId;
    const signingKeys = JSON.parse(requests.uploadSigningKeysRequest.body) as Record<
      string,
      unknown
    >;
    await this.uploadSigningKeys(signingKeys, userId, password);
    const uploadKeys: unknown = requests.uploadKeysRequest;
    if (uploadKeys !== undefined && uploadKeys !== null)
      await this.send(uploadKeys as OutgoingRequest);
    await this.send(requests.uploadSignaturesRequest);
    return true;
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    // Freeing the machine while a call borrows it would throw inside the wasm.
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    this.machine.close();
  }

  /** Runs a public operation: refused once closed, tracked so `close` can wait for it. */
  private guard<T>(operation: () => Promise<T>): Promise<T> {
    if (this.isClosed) {
      return Promise.reject(new AbortReason('shutdown', 'crypto engine closed'));
    }
    const running = operation();
    this.inFlight.add(running);
    void running.then(
      () => this.inFlight.delete(running),
      () => this.inFlight.delete(running),
    );
    return running;
  }

  /**
   * `/keys/device_signing/upload` (spec "Cross-signing"), answering user-interactive auth with
   * the password up front: Synapse accepts an auth dict without a session on the first call.
   */
  private async uploadSigningKeys(
    keys: Readonly<Record<string, unknown>>,
    userId: UserId,
    password: string,
  ): Promise<void> {
    await this.options.http('POST', '/_matrix/client/v3/keys/device_signing/upload', {
      ...keys,
      auth: {
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: userId },
        password,
      },
    });
  }

  private async applyRoomSettings(room: Wasm.RoomId, encryption: RoomEncryption): Promise<void> {
    const key = JSON.stringify(encryption);
    if (this.settingsApplied.get(room.toString()) === key) return;
    const settings = new this.wasm.RoomSettings();
    settings.algorithm = this.wasm.EncryptionAlgorithm.MegolmV1AesSha2;
    settings.onlyAllowTrustedDevices = false;
    if (encryption.rotationPeriodMs !== undefined) {
      settings.sessionRotationPeriodMs = encryption.rotationPeriodMs;
    }
    if (encryption.rotationPeriodMessages !== undefined) {
      settings.sessionRotationPeriodMessages = encryption.rotationPeriodMessages;
    }
    await this.machine.setRoomSettings(room, settings);
    this.settingsApplied.set(room.toString(), key);
  }

  /** Sends one request the machine asked for and reports the response back to it. */
  private async send(request: OutgoingRequest): Promise<void> {
    const { RequestType } = this.wasm;
    const http = this.options.http;
    let response: unknown;
    switch (request.type) {
      case RequestType.KeysUpload:
        response = await http('POST', '/_matrix/client/v3/keys/upload', parse(request.body));
        break;
      case RequestType.KeysQuery:
        response = await http('POST', '/_matrix/client/v3/keys/query', parse(request.body));
        break;
      case RequestType.KeysClaim:
        response = await http('POST', '/_matrix/client/v3/keys/claim', parse(request.body));
        break;
      case RequestType.ToDevice: {
        const path =
          `/_matrix/client/v3/sendToDevice/${encodeURIComponent(request.event_type ?? '')}/` +
          encodeURIComponent(request.txn_id ?? request.id ?? '');
        response = await http('PUT', path, parse(request.body));
        break;
      }
      case RequestType.SignatureUpload:
        response = await http(
          'POST',
          '/_matrix/client/v3/keys/signatures/upload',
          parse(request.body),
        );
        break;
      case RequestType.RoomMessage: {
        // Only interactive verification sends these; a bot takes part in none.
        this.options.log.debug('crypto room message request skipped', { roomId: request.room_id });
        response = { event_id: '$skipped' };
        break;
      }
      case RequestType.KeysBackup:
        response = {};
        break;
      default:
        return;
    }
    if (request.id !== undefined) {
      await this.machine.markRequestAsSent(request.id, request.type, JSON.stringify(response));
    }
  }

  private withRoomLock<T>(roomId: RoomId, task: () => Promise<T>): Promise<T> {
    const previous = this.roomLocks.get(roomId) ?? Promise.resolve();
    const next = previous.then(task, task);
    const settled = next.catch(() => undefined);
    this.roomLocks.set(roomId, settled);
    void settled.then(() => {
      if (this.roomLocks.get(roomId) === settled) this.roomLocks.delete(roomId);
    });
    return next;
  }
}

/** The fields of the machine's request classes that `send` reads. */
interface OutgoingRequest {
  readonly type: Wasm.RequestType;
  readonly id?: string | undefined;
  readonly body: string;
  readonly event_type?: string;
  readonly txn_id?: string;
  readonly room_id?: string;
}
