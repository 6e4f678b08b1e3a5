/**
 * Builds a {@link BotSdkClient} from an account's credentials on the loaded SDK.
 */
import type { IStorageProvider } from 'matrix-bot-sdk';
import type { Logger } from '../shared/index.js';
import { BotSdkClient } from './bot-sdk-client.js';
import type { LoadedBotSdk } from './bot-sdk-loader.js';
import { disabledCryptoContext } from './crypto-context.js';
import type { CryptoContext } from './crypto-context.js';
import { DEFAULT_TIMELINE_LIMIT } from './sync-response.js';
import type { AccountCredentials } from './types.js';

/** Inputs of {@link createBotSdkClient}. */
export interface BotSdkClientOptions {
  /** Client-server API base URL, e.g. `https://matrix.example.org`. */
  readonly homeserverUrl: string;
  /** The password is used only for cross-signing's user-interactive auth (may be empty). */
  readonly credentials: Pick<AccountCredentials, 'userId' | 'accessToken' | 'deviceId'> &
    Partial<Pick<AccountCredentials, 'password'>>;
  readonly logger: Logger;
  /**
   * The process's end-to-end encryption (see `createCryptoContext`): the device's crypto
   * store lives in its `storeDir`. Every client of a process shares one. Default: none (the
   * client cannot read encrypted rooms and refuses to send into them).
   */
  readonly crypto?: CryptoContext;
  /** Timeline events per room per sync; default {@link DEFAULT_TIMELINE_LIMIT}. */
  readonly timelineLimit?: number;
}

/**
 * A {@link BotSdkClient} for one account. It encrypts and decrypts when the context has a
 * crypto backend, and never sends plaintext into an encrypted room either way. No request is
 * made until the first call. The caller owns the client and closes it.
 */
export function createBotSdkClient(
  loaded: LoadedBotSdk,
  options: BotSdkClientOptions,
): BotSdkClient {
  const { credentials } = options;
  // The SDK's own crypto (native binding) stays off: encryption is the context's (wasm).
  const matrixClient = new loaded.sdk.MatrixClient(
    options.homeserverUrl,
    credentials.accessToken,
    unusedSdkStorage(),
  );
  return new BotSdkClient(matrixClient, {
    userId: credentials.userId,
    deviceId: credentials.deviceId,
    logger: options.logger,
    crypto: options.crypto ?? disabledCryptoContext(),
    password: credentials.password ?? '',
    timelineLimit: options.timelineLimit ?? DEFAULT_TIMELINE_LIMIT,
  });
}

/**
 * The SDK wants a storage provider for its own sync loop, which Quorum does not run (its
 * tokens live in Quorum's database).
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
