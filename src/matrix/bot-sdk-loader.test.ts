import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { RecordingLogger } from '../../test/support/recording-logger.js';
import { hasErrorCode } from '../shared/index.js';
import { loadBotSdk } from './bot-sdk-loader.js';
import type { ModuleRequire } from './bot-sdk-loader.js';

const SDK_ENTRY = '/app/node_modules/matrix-bot-sdk/lib/index.js';
const CRYPTO_ENTRY = '/app/node_modules/@matrix-org/matrix-sdk-crypto-nodejs/index.js';

interface FakeSdk {
  LogService: { setLogger: (logger: unknown) => void; setLevel: (level: unknown) => void };
  LogLevel: { DEBUG: string; WARN: string };
  /** What the fake SDK got when it required the crypto package, as the real one does at load. */
  crypto: Record<string, unknown>;
}

/**
 * A CommonJS module system with two packages. The fake SDK requires the crypto package by
 * resolved path through the same cache, as the real SDK's CryptoClient.js does.
 */
function fakeModuleSystem(crypto: 'present' | 'missing'): {
  require: ModuleRequire;
  resolveCalls: { id: string; paths: readonly string[] | undefined }[];
} {
  const cache: Record<string, NodeJS.Module | undefined> = {};
  const resolveCalls: { id: string; paths: readonly string[] | undefined }[] = [];
  const load = (id: string): unknown => {
    const cached = cache[id];
    if (cached !== undefined) return cached.exports;
    if (id === CRYPTO_ENTRY) {
      if (crypto === 'missing') {
        throw Object.assign(
          new Error(
            "Cannot find module '@matrix-org/matrix-sdk-crypto-nodejs-linux-x64-gnu'\nRequire stack:\n- x",
          ),
          { code: 'MODULE_NOT_FOUND' },
        );
      }
      return { OlmMachine: { initialize: () => 'fake machine' } };
    }
    if (id === 'matrix-bot-sdk') {
      const sdk: FakeSdk = {
        LogService: { setLogger: () => undefined, setLevel: () => undefined },
        LogLevel: { DEBUG: 'DEBUG', WARN: 'WARN' },
        crypto: load(CRYPTO_ENTRY) as Record<string, unknown>,
      };
      return sdk;
    }
    throw new Error(`unexpected require ${id}`);
  };
  const require = Object.assign(load, {
    resolve: (id: string, options?: { paths?: string[] }) => {
      resolveCalls.push({ id, paths: options?.paths });
      if (id === 'matrix-bot-sdk') return SDK_ENTRY;
      if (id === '@matrix-org/matrix-sdk-crypto-nodejs') return CRYPTO_ENTRY;
      throw new Error(`cannot resolve ${id}`);
    },
    cache,
  });
  return { require, resolveCalls };
}

describe('loadBotSdk', () => {
  it('uses the crypto module when it loads, with encryption available and no warning', () => {
    const system = fakeModuleSystem('present');
    const logger = new RecordingLogger();
    const { sdk, encryption } = loadBotSdk({ logger, require: system.require });
    expect(encryption).toEqual({ isAvailable: true });
    expect((sdk as unknown as FakeSdk).crypto['OlmMachine']).toBeDefined();
    expect(logger.at('warn')).toEqual([]);
  });

  it('resolves the crypto package from the SDK folder, where the SDK itself resolves it', () => {
    const system = fakeModuleSystem('present');
    loadBotSdk({ logger: new RecordingLogger(), require: system.require });
    expect(system.resolveCalls).toContainEqual({
      id: '@matrix-org/matrix-sdk-crypto-nodejs',
      paths: ['/app/node_modules/matrix-bot-sdk/lib'],
    });
  });

  it('installs a placeholder the SDK loads instead when the binary is missing', () => {
    const system = fakeModuleSystem('missing');
    const { sdk, encryption } = loadBotSdk({
      logger: new RecordingLogger(),
      require: system.require,
    });
    expect(encryption.isAvailable).toBe(false);
    expect(system.require.cache[CRYPTO_ENTRY]?.loaded).toBe(true);
    const crypto = (sdk as unknown as FakeSdk).crypto;
    let thrown: unknown;
    try {
      expect(crypto['OlmMachine']).toBe('never reached');
    } catch (error) {
      thrown = error;
    }
    expect(hasErrorCode(thrown, 'encryption_unavailable')).toBe(true);
  });

  it('lets module interop probe the placeholder without throwing', () => {
    const system = fakeModuleSystem('missing');
    const { sdk } = loadBotSdk({ logger: new RecordingLogger(), require: system.require });
    const crypto = (sdk as unknown as FakeSdk).crypto;
    expect(crypto['__esModule']).toBeUndefined();
    expect(crypto['then']).toBeUndefined();
    expect((crypto as Record<symbol, unknown>)[Symbol.toStringTag]).toBeUndefined();
  });

  it('only notes the missing native binary at debug level (Quorum encrypts with wasm)', () => {
    const system = fakeModuleSystem('missing');
    const logger = new RecordingLogger();
    loadBotSdk({ logger, require: system.require });
    loadBotSdk({ logger, require: system.require });
    expect(logger.at('warn')).toEqual([]);
    const notes = logger.at('debug', 'native crypto binding not loaded');
    expect(notes).toHaveLength(1);
    expect(notes[0]?.fields['missingBinary']).toBe(
      '@matrix-org/matrix-sdk-crypto-nodejs-linux-x64-gnu',
    );
  });

  it('fails clearly when the SDK is not installed at all', () => {
    const broken = Object.assign(
      () => {
        throw new Error('unreachable');
      },
      {
        resolve: () => {
          throw new Error("Cannot find module 'matrix-bot-sdk'");
        },
        cache: {},
      },
    );
    expect(() => loadBotSdk({ logger: new RecordingLogger(), require: broken })).toThrow(
      /matrix-bot-sdk is not installed/,
    );
  });

  it('loads the real SDK in this environment, with or without the binary', () => {
    const logger = new RecordingLogger();
    const realRequire = createRequire(import.meta.url) as ModuleRequire;
    const { sdk, encryption } = loadBotSdk({ logger, require: realRequire });
    expect(typeof sdk.MatrixClient).toBe('function');
    expect(logger.at('warn')).toEqual([]);
    expect(logger.at('debug', 'native crypto binding not loaded')).toHaveLength(
      encryption.isAvailable ? 0 : 1,
    );
  });
});
