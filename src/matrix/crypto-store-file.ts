/**
 * One device's crypto store on disk: the IndexedDB databases of its Rust crypto store (see
 * indexeddb-runtime.ts) plus a little state of Quorum's own (events waiting for their keys),
 * saved as one checksummed snapshot file and restored before the crypto machine opens.
 *
 * Why a snapshot file and not the store's own export: the Rust crypto can export room keys,
 * but not the device's identity, its Olm sessions or its tracked devices, which are what a
 * restart must keep. A snapshot of the whole store keeps everything, and at the sizes a bot
 * has (tens to hundreds of kilobytes) writing it whole costs about a millisecond
 * (bench/crypto-store.ts measures it).
 *
 * Format: `QCS1`, the SHA-256 of the payload (32 bytes), then the payload (`node:v8`
 * serialisation of {@link SnapshotPayload}). Writes go to a temporary file that is fsynced
 * (when durable) and renamed over the old one, so a crash leaves the old or the new snapshot,
 * never a mix. A file that fails its checksum or does not parse is moved aside as
 * `*.corrupt-<time>` by {@link CryptoStoreFile.quarantine}; the device is then replaced.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import type { DatabaseSnapshot } from './idb-snapshot.js';
import { databaseNames, dumpDatabases, restoreDatabases } from './idb-snapshot.js';
import type { IndexedDbRuntime } from './indexeddb-runtime.js';
import { MatrixRequestError } from './errors.js';

const MAGIC = Buffer.from('QCS1', 'ascii');
const HASH_BYTES = 32;

/** What a snapshot file holds. */
interface SnapshotPayload {
  readonly userId: string;
  readonly deviceId: string;
  readonly savedAt: number;
  readonly databases: readonly DatabaseSnapshot[];
  /** Quorum's own per-device state (structured-clone data). */
  readonly extra: unknown;
}

/** Where and for whom a {@link CryptoStoreFile} keeps its snapshot. */
export interface CryptoStoreFileOptions {
  readonly dir: string;
  readonly userId: string;
  readonly deviceId: string;
  readonly runtime: IndexedDbRuntime;
  readonly now?: () => number;
}

/** The outcome of {@link CryptoStoreFile.restore}. */
export type RestoreOutcome =
  | { readonly kind: 'restored'; readonly bytes: number; readonly extra: unknown }
  | { readonly kind: 'missing' };

/**
 * The snapshot file of one device. Not safe for concurrent `save` calls: the owner serialises
 * them (see `save`). Restore before the crypto machine opens its store.
 */
export class CryptoStoreFile {
  /** The file's path. */
  readonly path: string;
  /** The IndexedDB name the crypto machine must use (its databases share this prefix). */
  readonly storeName: string;
  private lastExtra: Buffer | undefined;
  private saving: Promise<boolean> = Promise.resolve(false);

  constructor(private readonly options: CryptoStoreFileOptions) {
    this.path = CryptoStoreFile.pathFor(options.dir, options.userId, options.deviceId);
    this.storeName = `quorum|${options.userId}|${options.deviceId}`;
  }

  /** The snapshot path of a device: one file per user and device in `dir`. */
  static pathFor(dir: string, userId: string, deviceId: string): string {
    return join(dir, `${safeSegment(userId)}__${safeSegment(deviceId)}.cryptostore`);
  }

  /** True when a snapshot exists for the device (it may still be corrupt). */
  static exists(dir: string, userId: string, deviceId: string): boolean {
    return existsSync(CryptoStoreFile.pathFor(dir, userId, deviceId));
  }

  /**
   * Loads the snapshot into the process's IndexedDB, unless the device's databases are already
   * there (the bot restarted inside the process: memory is at least as new as the file); the
   * saved `extra` is read back either way.
   *
   * @throws MatrixRequestError `crypto_store_corrupt` when the file is unreadable, fails its
   *   checksum, or belongs to another device; the caller quarantines it.
   */
  async restore(): Promise<RestoreOutcome> {
    const { factory } = this.options.runtime;
    // A bot restarted inside the process finds its store still in memory, newer than the file.
    const isInMemory = (await databaseNames(factory, this.storeName)).length > 0;
    let bytes: Buffer;
    try {
      bytes = await readFile(this.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw corrupt(`cannot read ${this.path}`, error);
      }
      return isInMemory ? { kind: 'restored', bytes: 0, extra: undefined } : { kind: 'missing' };
    }
    const payload = decode(bytes, this.path);
    if (payload.userId !== this.options.userId || payload.deviceId !== this.options.deviceId) {
      throw corrupt(`${this.path} belongs to ${payload.userId} ${payload.deviceId}`);
    }
    if (!isInMemory) {
      try {
        await restoreDatabases(factory, payload.databases);
      } catch (error) {
        throw corrupt(`${this.path} holds databases that cannot be restored`, error);
      }
      this.options.runtime.takeDirty(this.storeName);
    }
    this.lastExtra = serialize(payload.extra);
    return { kind: 'restored', bytes: bytes.length, extra: payload.extra };
  }

  /**
   * Writes a new snapshot when the store changed (a read-write transaction since the last
   * save) or `extra` differs from the last one saved. `durable` also fsyncs the file and its
   * directory: use it before anything that makes the change unrecoverable elsewhere (storing a
   * sync token after the batch's to-device events). Calls are queued; each waits for the one
   * before. Resolves true when it wrote.
   */
  save(extra: unknown, options: { readonly durable: boolean }): Promise<boolean> {
    const next = this.saving.then(
      () => this.saveNow(extra, options.durable),
      () => this.saveNow(extra, options.durable),
    );
    this.saving = next;
    return next;
  }

  /** Moves a corrupt snapshot aside (kept for inspection) and returns its new path. */
  quarantine(): string | undefined {
    if (!existsSync(this.path)) return undefined;
    const target = `${this.path}.corrupt-${new Date(this.now()).toISOString().replace(/[:.]/g, '-')}`;
    renameSync(this.path, target);
    return target;
  }

  private async saveNow(extra: unknown, durable: boolean): Promise<boolean> {
    const extraBytes = serialize(extra);
    const isStoreDirty = this.options.runtime.takeDirty(this.storeName);
    if (!isStoreDirty && this.lastExtra?.equals(extraBytes) === true && existsSync(this.path)) {
      return false;
    }
    const payload: SnapshotPayload = {
      userId: this.options.userId,
      deviceId: this.options.deviceId,
      savedAt: this.now(),
      databases: await dumpDatabases(this.options.runtime.factory, this.storeName),
      extra,
    };
    try {
      await writeAtomically(this.path, encode(payload), durable);
    } catch (error) {
      // Not written: the next save must try again.
      this.options.runtime.markDirty(this.storeName);
      throw new MatrixRequestError('crypto_store_failed', `cannot write ${this.path}`, {
        cause: error,
      });
    }
    this.lastExtra = extraBytes;
    return true;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}

function encode(payload: SnapshotPayload): Buffer {
  const body = serialize(payload);
  return Buffer.concat([MAGIC, createHash('sha256').update(body).digest(), body]);
}

function decode(bytes: Buffer, path: string): SnapshotPayload {
  const header = MAGIC.length + HASH_BYTES;
  if (bytes.length < header || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw corrupt(`${path} is not a Quorum crypto store`);
  }
  const body = bytes.subarray(header);
  const expected = bytes.subarray(MAGIC.length, header);
  if (!createHash('sha256').update(body).digest().equals(expected)) {
    throw corrupt(`${path} fails its checksum (truncated or damaged)`);
  }
  let payload: unknown;
  try {
    payload = deserialize(body);
  } catch (error) {
    throw corrupt(`${path} does not parse`, error);
  }
  if (!isPayload(payload)) throw corrupt(`${path} has an unknown layout`);
  return payload;
}

function isPayload(value: unknown): value is SnapshotPayload {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return (
    typeof record['userId'] === 'string' &&
    typeof record['deviceId'] === 'string' &&
    Array.isArray(record['databases'])
  );
}

async function writeAtomically(path: string, bytes: Buffer, durable: boolean): Promise<void> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.tmp-${process.pid}`;
  const file = await open(temporary, 'w', 0o600);
  try {
    await file.writeFile(bytes);
    if (durable) await file.sync();
  } finally {
    await file.close();
  }
  try {
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  if (durable) {
    // The rename itself is durable only once the directory is synced.
    const directory = await open(dirname(path), 'r');
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
  }
}

function corrupt(message: string, cause?: unknown): MatrixRequestError {
  return new MatrixRequestError(
    'crypto_store_corrupt',
    message,
    cause === undefined ? {} : { cause },
  );
}

function safeSegment(value: string): string {
  return value.replace(/[^A-Za-z0-9_.-]/g, '_');
}
