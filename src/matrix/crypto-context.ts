/**
 * The process's end-to-end encryption: which crypto backend runs (decided here, in one
 * place), where device stores live, and the state the bots share (room encryption directory,
 * health board). Built once by the CLI and handed to every client.
 *
 * Backend: the Rust crypto compiled to WebAssembly (`@matrix-org/matrix-sdk-crypto-wasm`),
 * on an in-process IndexedDB (`fake-indexeddb`) persisted by crypto-store-file.ts. It is an
 * npm package with no download step, so it installs in locked-down networks. The native
 * binding (`@matrix-org/matrix-sdk-crypto-nodejs`, which matrix-bot-sdk depends on) is not
 * used: its binary is downloaded from GitHub at install, which fails offline, and where it
 * is missing nothing can be measured against it. A bot's crypto work is a few milliseconds
 * per message in either (bench/latency.ts measures the whole reply path), so one backend
 * keeps one code path.
 */
import type { Logger } from '../shared/index.js';
import { describeError } from '../shared/index.js';
import { CryptoStoreFile } from './crypto-store-file.js';
import { EncryptionHealthBoard } from './encryption-health.js';
import type { IndexedDbRuntime } from './indexeddb-runtime.js';
import { installIndexedDb } from './indexeddb-runtime.js';
import type { WasmCrypto } from './olm-crypto-engine.js';
import { RoomEncryptionDirectory } from './room-encryption-directory.js';

/** A loaded crypto backend. */
export interface CryptoBackend {
  readonly name: 'rust-wasm';
  readonly wasm: WasmCrypto;
  readonly runtime: IndexedDbRuntime;
}

/** What every client of the process shares about encryption. */
export interface CryptoContext {
  /** The backend, or `undefined` when none could load (then nothing is sent into encrypted rooms). */
  readonly backend: CryptoBackend | undefined;
  /** Why there is no backend. */
  readonly unavailableReason: string | undefined;
  /** Directory of the device stores (one snapshot file per bot device). */
  readonly storeDir: string;
  readonly directory: RoomEncryptionDirectory;
  readonly health: EncryptionHealthBoard;
  /** Bootstrap cross-signing for each bot (needs its password); default true. */
  readonly crossSigning: boolean;
  /** Report an undecryptable event after this long; default 30 s. */
  readonly undecryptableNoteAfterMs: number;
}

/** Inputs of {@link createCryptoContext}. */
export interface CryptoContextOptions {
  readonly storeDir: string;
  readonly log: Logger;
  readonly crossSigning?: boolean;
  readonly undecryptableNoteAfterMs?: number;
  /** Loads the wasm module; tests inject a failing one. */
  readonly loadWasm?: () => Promise<WasmCrypto>;
}

/**
 * Loads the crypto backend (the WebAssembly module and the in-process IndexedDB). Never
 * throws: when the backend cannot load, the context has none, one error says why, and
 * clients refuse to post into encrypted rooms.
 */
export async function createCryptoContext(options: CryptoContextOptions): Promise<CryptoContext> {
  let backend: CryptoBackend | undefined;
  let unavailableReason: string | undefined;
  try {
    const wasm = await (options.loadWasm ?? loadWasm)();
    const runtime = await installIndexedDb();
    backend = { name: 'rust-wasm', wasm, runtime };
  } catch (error) {
    unavailableReason = describeError(error);
    options.log.error(
      'end-to-end encryption unavailable: the crypto module did not load; ' +
        'Quorum will not read or answer in encrypted rooms',
      { error },
    );
  }
  return {
    backend,
    unavailableReason,
    storeDir: options.storeDir,
    directory: new RoomEncryptionDirectory(),
    health: new EncryptionHealthBoard(),
    crossSigning: options.crossSigning ?? true,
    undecryptableNoteAfterMs: options.undecryptableNoteAfterMs ?? 30_000,
  };
}

/**
 * A context without a crypto backend: clients built on it cannot read encrypted rooms and
 * refuse to send into them (never plaintext). For tools and tests that need no encryption.
 */
export function disabledCryptoContext(reason = 'encryption is not enabled'): CryptoContext {
  return {
    backend: undefined,
    unavailableReason: reason,
    storeDir: '',
    directory: new RoomEncryptionDirectory(),
    health: new EncryptionHealthBoard(),
    crossSigning: false,
    undecryptableNoteAfterMs: 30_000,
  };
}

/** True when a crypto store exists on disk for the device (see `provisionAccount`'s `keepDevice`). */
export function hasCryptoStore(context: CryptoContext, userId: string, deviceId: string): boolean {
  return CryptoStoreFile.exists(context.storeDir, userId, deviceId);
}

async function loadWasm(): Promise<WasmCrypto> {
  const wasm = await import('@matrix-org/matrix-sdk-crypto-wasm');
  await wasm.initAsync();
  return wasm;
}
