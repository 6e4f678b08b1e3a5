/**
 * The end-to-end encryption operations the client needs, as a small interface so the client
 * can be tested without the native crypto binary. `SdkRoomCrypto` implements it on
 * matrix-bot-sdk's CryptoClient, doing by hand what the SDK's own sync loop
 * (MatrixClient.processSync) would do, since Quorum runs its own sync.
 */
import type { MatrixClient } from 'matrix-bot-sdk';
import type { RoomId } from '../shared/index.js';
import type { BotSdkModule } from './bot-sdk-loader.js';
import type { SyncCryptoData } from './sync-response.js';
import type { RawEvent } from './types.js';

/** The end-to-end encryption operations a client needs; see the module comment. */
export interface RoomCrypto {
  /** Opens the crypto store, uploads device keys when needed and checks the joined rooms. Once. */
  prepare(joinedRoomIds: readonly RoomId[]): Promise<void>;
  /** Feeds one sync's to-device events, key counts and device list changes. Before decrypting. */
  receiveSyncData(data: SyncCryptoData): Promise<void>;
  /** A room we just joined: learn whether it is encrypted and track its members' devices. */
  onRoomJoin(roomId: RoomId): Promise<void>;
  /** A state or timeline event of a joined room (membership and encryption changes matter). */
  onRoomEvent(roomId: RoomId, event: RawEvent): Promise<void>;
  isRoomEncrypted(roomId: RoomId): Promise<boolean>;
  /** The cleartext event (same id, sender, relations) or a rejection when keys are missing. */
  decryptRoomEvent(roomId: RoomId, event: RawEvent): Promise<RawEvent>;
  /** Content for an `m.room.encrypted` event carrying `type` and `content`. */
  encryptRoomEvent(
    roomId: RoomId,
    type: string,
    content: Readonly<Record<string, unknown>>,
  ): Promise<Record<string, unknown>>;
}

type CryptoClient = MatrixClient['crypto'];
type UpdateArgs = Parameters<CryptoClient['updateSyncData']>;

/** {@link RoomCrypto} on the SDK client's CryptoClient (which exists only with a crypto store). */
export class SdkRoomCrypto implements RoomCrypto {
  constructor(
    private readonly sdk: Pick<BotSdkModule, 'EncryptedRoomEvent'>,
    private readonly crypto: CryptoClient,
  ) {}

  async prepare(joinedRoomIds: readonly RoomId[]): Promise<void> {
    await this.crypto.prepare([...joinedRoomIds]);
  }

  async receiveSyncData(data: SyncCryptoData): Promise<void> {
    await this.crypto.updateSyncData(
      data.toDeviceEvents as unknown as UpdateArgs[0],
      data.oneTimeKeyCounts,
      data.unusedFallbackKeyTypes as unknown as UpdateArgs[2],
      [...data.changedDeviceUsers],
      [...data.leftDeviceUsers],
    );
  }

  async onRoomJoin(roomId: RoomId): Promise<void> {
    await this.crypto.onRoomJoin(roomId);
  }

  async onRoomEvent(roomId: RoomId, event: RawEvent): Promise<void> {
    await this.crypto.onRoomEvent(roomId, event);
  }

  isRoomEncrypted(roomId: RoomId): Promise<boolean> {
    return this.crypto.isRoomEncrypted(roomId);
  }

  async decryptRoomEvent(roomId: RoomId, event: RawEvent): Promise<RawEvent> {
    const decrypted = await this.crypto.decryptRoomEvent(
      new this.sdk.EncryptedRoomEvent(event),
      roomId,
    );
    return decrypted.raw as RawEvent;
  }

  async encryptRoomEvent(
    roomId: RoomId,
    type: string,
    content: Readonly<Record<string, unknown>>,
  ): Promise<Record<string, unknown>> {
    const encrypted = await this.crypto.encryptRoomEvent(roomId, type, content);
    return { ...encrypted };
  }
}
