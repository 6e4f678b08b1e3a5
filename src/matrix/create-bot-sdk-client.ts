/**
 * Builds a {@link BotSdkClient} from an account's credentials on the loaded SDK.
 */
import { join } from 'node:path';
import type { IStorageProvider, RustSdkCryptoStoreType } from 'matrix-bot-sdk';
import type { Logger } from '../shared/index.js';
import { BotSdkClient } from './bot-sdk-client.js';
import type { LoadedBotSdk } from './bot-sdk-loader.js';
import { SdkRoomCrypto } from './room-crypto.js';
import { DEFAULT_TIMELINE_LIMIT } from './sync-response.js';
import type { AccountCredentials } from './types.js';

// eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment -- StoreType is a const enum, unusable under isolatedModules; 1 is StoreType.Sqlite in crypto-nodejs 0.1.0-beta.6
const SQLITE_CRYPTO_STORE = 1 as RustSdkCryptoStoreType;

/** Inputs of {@link createBotSdkClient}. */
export interface BotSdkClientOptions {
  /** Client-server API base URL, e.g. `https://matrix.example.org`. */
  readonly homeserverUrl: string;
  readonly credentials: Pick<AccountCredentials, 'userId' | 'accessToken' | 'deviceId'>;
  readonly logger: Logger;
  /**
   * Directory for this account's crypto store (a subfolder per device is made inside, since a
   * store belongs to one device). Without it, or when the crypto binary is missing, the client
   * runs without E2EE.
   */
  readonly cryptoStoreDir?: string;
  /** Timeline events per room per sync; default {@link DEFAULT_TIMELINE_LIMIT}. */
  readonly timelineLimit?: number;
}

/**
 * A {@link BotSdkClient} for one account. E2EE is on when the SDK loaded its crypto binary and
 * `cryptoStoreDir` is given. No request is made until the first call. The caller owns the
 * client and closes it.
 */
export function createBotSdkClient(
  loaded: LoadedBotSdk,
  options: BotSdkClientOptions,
): BotSdkClient {
  const { sdk } = loaded;
  const { credentials } = options;
  const cryptoDir = loaded.encryption.isAvailable ? options.cryptoStoreDir : undefined;
  const cryptoStore =
    cryptoDir === undefined
      ? undefined
      : new sdk.RustSdkCryptoStorageProvider(
          join(cryptoDir, safePathSegment(credentials.deviceId)),
          SQLITE_CRYPTO_STORE,
        );
  const matrixClient = new sdk.MatrixClient(
    options.homeserverUrl,
    credentials.accessToken,
    unusedSdkStorage(),
    cryptoStore,
  );
  return new BotSdkClient(matrixClient, {
    userId: credentials.userId,
    deviceId: credentials.deviceId,
    logger: options.logger,
    crypto: cryptoStore === undefined ? undefined : new SdkRoomCrypto(sdk, matrixClient.crypto),
    timelineLimit: options.timelineLimit ?? DEFAULT_TIMELINE_LIMIT,
  });
}

function safePathSegment(value: string): string {
  return value.replace(/[^A-Za-z0-9_.-]/g, '_');
}

/**
 * The SDK wants a storage provider for its own sync loop, which Quorum does not run (its
 * tokens live in Quorum's database). A plain object rather than MemoryStorageProvider also
 * avoids the SDK's "encryption with a memory store" warning, which does not apply here.
 */
function unusedSdkStorage(): IStorageProvider {
  const values = new Map<string, string>();
  return {
    setSyncToken: () => undefined,
    getSyncToken: () => null,
    setFilter: () => undefined,
    getFilter: () => ({ id: 0, filter: {} }),
    storeValue: (key, value) => {
      values.set(key, value);
    },
    readValue: (key) => values.get(key),
  };
}
