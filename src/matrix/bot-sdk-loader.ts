/**
 * Loads matrix-bot-sdk whether or not its native crypto binary is installed.
 *
 * The SDK's index requires `@matrix-org/matrix-sdk-crypto-nodejs` at load time, and that
 * package throws when its platform binary (downloaded from GitHub by its postinstall) is
 * missing, so a plain `import('matrix-bot-sdk')` fails with "Cannot find module
 * '@matrix-org/matrix-sdk-crypto-nodejs-linux-x64-gnu'". The SDK only touches the crypto
 * package inside its E2EE code paths, so when the binary cannot load we put a placeholder
 * module in the CommonJS cache at the exact file the SDK will resolve; the SDK loads, and any
 * use of the placeholder throws `encryption_unavailable`. Quorum never uses the SDK's crypto:
 * end-to-end encryption runs on the WebAssembly crypto (crypto-context.ts), so a missing
 * native binary only costs a debug line. node_modules is never modified.
 */
import { createRequire, Module } from 'node:module';
import { dirname } from 'node:path';
import type * as BotSdk from 'matrix-bot-sdk';
import type { Logger } from '../shared/index.js';
import { DaemonError } from '../shared/index.js';
import { MatrixRequestError } from './errors.js';
import { routeSdkLogging } from './sdk-logging.js';

/** The runtime module object of matrix-bot-sdk. */
export type BotSdkModule = typeof BotSdk;

/**
 * The part of Node's CommonJS `require` the loader uses; `createRequire(import.meta.url)`
 * satisfies it. Tests pass a fake to exercise both branches.
 */
export interface ModuleRequire {
  (id: string): unknown;
  resolve(id: string, options?: { paths?: string[] }): string;
  readonly cache: Record<string, NodeJS.Module | undefined>;
}

/** Whether matrix-bot-sdk's native crypto binding loaded (Quorum does not use it), and if not, why. */
export type EncryptionSupport =
  | { readonly isAvailable: true }
  | {
      readonly isAvailable: false;
      /** The module or file that could not load (`@matrix-org/matrix-sdk-crypto-nodejs-linux-x64-gnu`). */
      readonly missingBinary: string;
      /** The loader's error, first line. */
      readonly reason: string;
      /** What the operator can do about it. */
      readonly fix: string;
    };

/** matrix-bot-sdk, loaded, with its logging routed into our Logger. */
export interface LoadedBotSdk {
  readonly sdk: BotSdkModule;
  readonly encryption: EncryptionSupport;
}

/** Inputs of {@link loadBotSdk}. */
export interface LoadBotSdkOptions {
  /** Receives the SDK's log lines and the one "native crypto binding not loaded" debug line. */
  readonly logger: Logger;
  /** The module system to load through; defaults to this module's own `require`. */
  readonly require?: ModuleRequire;
}

const SDK_PACKAGE = 'matrix-bot-sdk';
const CRYPTO_PACKAGE = '@matrix-org/matrix-sdk-crypto-nodejs';
/** Marks our placeholder so a second load through the same cache recognises it. */
const PLACEHOLDER = Symbol.for('quorum.matrix-crypto-placeholder');

const defaultRequire: ModuleRequire = createRequire(import.meta.url);
const loaded = new WeakMap<ModuleRequire, LoadedBotSdk>();

/**
 * Loads matrix-bot-sdk through `options.require` and routes its `LogService` into
 * `options.logger`. When the native crypto package does not load, a placeholder is installed
 * in the require cache (at the path resolved from the SDK's own folder), one debug line names
 * the missing binary, and the SDK loads. Memoised per `require`: later calls return the
 * first result without logging again.
 *
 * @throws DaemonError `sdk_unavailable` when matrix-bot-sdk or the crypto package itself is
 * not installed (a broken install, not a missing binary).
 */
export function loadBotSdk(options: LoadBotSdkOptions): LoadedBotSdk {
  const moduleRequire = options.require ?? defaultRequire;
  const previous = loaded.get(moduleRequire);
  if (previous !== undefined) return previous;

  const cryptoPath = resolveCryptoFrom(moduleRequire);
  const encryption = ensureCryptoLoads(moduleRequire, cryptoPath);
  if (!encryption.isAvailable) {
    // Not a problem: encryption runs on the WebAssembly crypto, not on this binding.
    options.logger.debug('native crypto binding not loaded (not used: Quorum encrypts with wasm)', {
      missingBinary: encryption.missingBinary,
      reason: encryption.reason,
    });
  }
  const sdk = moduleRequire(SDK_PACKAGE) as BotSdkModule;
  routeSdkLogging(sdk, options.logger);
  const result: LoadedBotSdk = { sdk, encryption };
  loaded.set(moduleRequire, result);
  return result;
}

/** The file the SDK will get for `require('@matrix-org/matrix-sdk-crypto-nodejs')`. */
function resolveCryptoFrom(moduleRequire: ModuleRequire): string {
  let sdkEntry: string;
  try {
    sdkEntry = moduleRequire.resolve(SDK_PACKAGE);
  } catch (error) {
    throw new DaemonError('sdk_unavailable', 'config', `${SDK_PACKAGE} is not installed`, {
      cause: error,
    });
  }
  try {
    return moduleRequire.resolve(CRYPTO_PACKAGE, { paths: [dirname(sdkEntry)] });
  } catch (error) {
    throw new DaemonError(
      'sdk_unavailable',
      'config',
      `${CRYPTO_PACKAGE} (a dependency of ${SDK_PACKAGE}) is not installed; run npm install`,
      { cause: error },
    );
  }
}

function ensureCryptoLoads(moduleRequire: ModuleRequire, cryptoPath: string): EncryptionSupport {
  const cached = moduleRequire.cache[cryptoPath];
  if (cached !== undefined && isPlaceholder(cached.exports)) {
    return {
      isAvailable: false,
      missingBinary: `the native binary of ${CRYPTO_PACKAGE}`,
      reason: 'an earlier load installed the placeholder',
      fix: 'see the first "end-to-end encryption disabled" warning',
    };
  }
  try {
    moduleRequire(cryptoPath);
    return { isAvailable: true };
  } catch (error) {
    // Node drops a module from the cache when its body throws, so the slot is free.
    moduleRequire.cache[cryptoPath] = placeholderModule(cryptoPath);
    return describeMissingBinary(error);
  }
}

function describeMissingBinary(error: unknown): EncryptionSupport {
  const message = error instanceof Error ? error.message : String(error);
  const missing = /Cannot find module '([^']+)'/.exec(message)?.[1];
  return {
    isAvailable: false,
    missingBinary: missing ?? `the native binary of ${CRYPTO_PACKAGE}`,
    reason: message.split('\n')[0] ?? message,
    fix:
      `fetch the binary with "node node_modules/${CRYPTO_PACKAGE}/download-lib.js" (it ` +
      `downloads from github.com, as the package's postinstall does) or run ` +
      `"npm rebuild ${CRYPTO_PACKAGE}", then restart`,
  };
}

function placeholderModule(path: string): NodeJS.Module {
  const module = new Module(path);
  module.filename = path;
  module.loaded = true;
  module.exports = createPlaceholderExports();
  return module;
}

/**
 * Exports whose every property read throws `encryption_unavailable`. Symbols, `__esModule`
 * and `then` answer `undefined` because module interop and promise resolution probe them
 * without meaning to use the module.
 */
export function createPlaceholderExports(): object {
  return new Proxy(
    {},
    {
      get(_target, key) {
        if (key === PLACEHOLDER) return true;
        if (typeof key === 'symbol' || key === '__esModule' || key === 'then') return undefined;
        throw new MatrixRequestError(
          'encryption_unavailable',
          `end-to-end encryption is disabled (${CRYPTO_PACKAGE} could not load its native ` +
            `binary), so ${key} cannot be used`,
        );
      },
    },
  );
}

function isPlaceholder(exports: unknown): boolean {
  return (
    typeof exports === 'object' &&
    exports !== null &&
    (exports as Record<symbol, unknown>)[PLACEHOLDER] === true
  );
}
