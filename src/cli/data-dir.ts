import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { hasErrorCode } from '../shared/index.js';
import { DataDirLock, QuorumStore } from '../storage/index.js';
import { CliError } from './errors.js';

/**
 * Takes the data directory's lock (one daemon per data dir; a second one exits with code 2
 * naming the first) and opens its database (one with a newer schema is refused, untouched).
 * The caller releases the lock after closing the store.
 */
export function openDataDir(dataDir: string): { lock: DataDirLock; store: QuorumStore } {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  let lock: DataDirLock;
  try {
    lock = DataDirLock.acquire(dataDir, {
      pid: process.pid,
      hostname: hostname(),
      startedAt: new Date().toISOString(),
    });
  } catch (error: unknown) {
    if (hasErrorCode(error, 'data_dir_locked')) throw new CliError(error.message, 2);
    throw error;
  }
  try {
    return { lock, store: new QuorumStore(join(dataDir, 'quorum.db')) };
  } catch (error: unknown) {
    lock.release();
    if (hasErrorCode(error, 'schema_too_new')) throw new CliError(error.message, 2);
    throw error;
  }
}
