/**
 * One bot device's crypto, opened: its store file restored into the process's IndexedDB,
 * its engine (OlmMachine) on it, and its waiting undecryptable events. Saving writes the
 * store file back; closing saves durably and frees the machine.
 */
import type { Logger, UserId } from '../shared/index.js';
import { hasErrorCode } from '../shared/index.js';
import type { CryptoBackend } from './crypto-context.js';
import { CryptoStoreFile } from './crypto-store-file.js';
import { MatrixRequestError } from './errors.js';
import type { CryptoEngine, CryptoHttp } from './olm-crypto-engine.js';
import { OlmCryptoEngine } from './olm-crypto-engine.js';
import { PendingDecryptions } from './pending-decryptions.js';

/** Inputs of {@link DeviceCrypto.open}. */
export interface DeviceCryptoOptions {
  readonly backend: CryptoBackend;
  readonly storeDir: string;
  readonly userId: UserId;
  readonly deviceId: string;
  readonly http: CryptoHttp;
  readonly log: Logger;
  readonly now: () => number;
  readonly noteAfterMs: number;
  /** Opens the engine; tests inject a fake. Default: the wasm OlmMachine. */
  readonly openEngine?: (storeName: string) => Promise<CryptoEngine>;
}

/** See the module comment. The owner calls `close()`. */
export class DeviceCrypto {
  private isClosed = false;

  private constructor(
    readonly engine: CryptoEngine,
    readonly pending: PendingDecryptions,
    private readonly file: CryptoStoreFile,
    /** True when this device had no store yet (a new device, or the first encrypted run). */
    readonly isNew: boolean,
  ) {}

  /**
   * Restores the device's store and opens its engine.
   *
   * @throws MatrixRequestError `crypto_store_corrupt` after moving a damaged store aside (the
   *   caller restarts the bot, which then gets a new device): never a crash loop on the same file.
   */
  static async open(options: DeviceCryptoOptions): Promise<DeviceCrypto> {
    const file = new CryptoStoreFile({
      dir: options.storeDir,
      userId: options.userId,
      deviceId: options.deviceId,
      runtime: options.backend.runtime,
      now: options.now,
    });
    const pending = new PendingDecryptions({ now: options.now, noteAfterMs: options.noteAfterMs });
    let isNew = false;
    try {
      const restored = await file.restore();
      if (restored.kind === 'restored') {
        pending.restore((restored.extra as { pending?: unknown } | undefined)?.pending);
        options.log.debug('crypto store restored', { bytes: restored.bytes });
      } else {
        isNew = true;
      }
      const engine = await (options.openEngine ?? openWasmEngine(options))(file.storeName);
      return new DeviceCrypto(engine, pending, file, isNew);
    } catch (error) {
      if (!isNew || hasErrorCode(error, 'crypto_store_corrupt')) {
        const movedTo = file.quarantine();
        options.log.error(
          'crypto store unusable: moved aside; the bot starts again on a new device',
          { deviceId: options.deviceId, movedTo, error },
        );
        throw hasErrorCode(error, 'crypto_store_corrupt')
          ? error
          : new MatrixRequestError('crypto_store_corrupt', 'the crypto store did not open', {
              cause: error,
            });
      }
      throw error;
    }
  }

  /** Writes the store file when something changed (see `CryptoStoreFile.save`). */
  save(durable: boolean): Promise<boolean> {
    return this.file.save({ pending: this.pending.toSaved() }, { durable });
  }

  /**
   * Saves durably and frees the engine. Idempotent. The store stays in the process's memory,
   * so a restarted bot on the same device continues from it.
   */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    try {
      await this.save(true);
    } finally {
      await this.engine.close();
    }
  }
}

function openWasmEngine(
  options: DeviceCryptoOptions,
): (storeName: string) => Promise<CryptoEngine> {
  return (storeName) =>
    OlmCryptoEngine.open({
      wasm: options.backend.wasm,
      userId: options.userId,
      deviceId: options.deviceId,
      storeName,
      http: options.http,
      log: options.log,
    });
}
