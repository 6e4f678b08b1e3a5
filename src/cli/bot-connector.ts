import {
  createBotSdkClient,
  hasCryptoStore,
  provisionAccount,
  type CryptoContext,
  type loadBotSdk,
} from '../matrix/index.js';
import type { MatrixConnector } from '../orchestrator/index.js';
import { withScrubbedSends } from '../outbox/index.js';
import type { Logger, SecretScrubber } from '../shared/index.js';
import { readSecret } from './secrets.js';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Bot accounts on the homeserver through matrix-bot-sdk, registered as the environment allows
 * (shared secret or registration token). Every account's token and password go to the
 * scrubber, and every send passes it.
 */
export function botConnector(
  sdk: ReturnType<typeof loadBotSdk>,
  options: {
    readonly homeserverUrl: string;
    /** End-to-end encryption for every bot (one device store each). */
    readonly crypto: CryptoContext;
    readonly env: Env;
    readonly log: Logger;
    readonly scrubber: SecretScrubber;
  },
): MatrixConnector {
  const { homeserverUrl, env, log, scrubber } = options;
  const sharedSecret = readSecret(env, 'MATRIX_REGISTRATION_SHARED_SECRET');
  const token = readSecret(env, 'MATRIX_REGISTRATION_TOKEN');
  const registration = {
    ...(sharedSecret === undefined ? {} : { sharedSecret }),
    ...(token === undefined ? {} : { token }),
  };
  return {
    provision: async (request) => {
      const { credentials } = await provisionAccount({
        homeserverUrl,
        localpart: request.localpart,
        displayName: request.displayName,
        stored: request.stored,
        registration,
        signal: request.signal,
        logger: log.child({ component: 'accounts' }),
        // A device whose crypto store is gone is replaced (its keys are known to peers).
        keepDevice: (userId, deviceId) => hasCryptoStore(options.crypto, userId, deviceId),
      });
      // Bot tokens and passwords are secrets like any other: never in a log, room or prompt.
      scrubber.addSecret('accounts', credentials.accessToken);
      scrubber.addSecret('accounts', credentials.password);
      return credentials;
    },
    connect: (credentials) =>
      withScrubbedSends(
        createBotSdkClient(sdk, {
          homeserverUrl,
          credentials,
          logger: log.child({ component: 'matrix', userId: credentials.userId }),
          crypto: options.crypto,
        }),
        scrubber,
      ),
  };
}
