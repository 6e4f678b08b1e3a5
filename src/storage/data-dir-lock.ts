/**
 * One daemon per data directory. Two Quorums on one data dir would both sync, both claim
 * turns and both answer every message, and would corrupt each other's crypto store.
 *
 * The lock is an exclusive SQLite lock on `<dataDir>/quorum.lock`, held for the life of the
 * process: the operating system releases it when the process ends in any way (a crash,
 * SIGKILL, a power cut), so a lock can never go stale. Beside it, `quorum.pid` says who holds
 * it (pid, host, start time), for the error message of a second daemon; a `quorum.pid` left
 * by a process that died is simply overwritten by the next one to take the lock.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { StorageError } from './errors.js';

/** Who holds (or last held) a data directory's lock, as written to `quorum.pid`. */
export interface LockOwner {
  readonly pid: number;
  readonly hostname: string;
  /** ISO time the lock was taken. */
  readonly startedAt: string;
}

/** The lock file and the owner file in `dataDir`. */
export function lockPaths(dataDir: string): { readonly lock: string; readonly owner: string } {
  return { lock: join(dataDir, 'quorum.lock'), owner: join(dataDir, 'quorum.pid') };
}

/** A held data-directory lock; `release()` it on shutdown (idempotent). */
export class DataDirLock {
  private isReleased = false;

  private constructor(
    private readonly db: Database.Database,
    private readonly ownerPath: string,
    /** The process that holds the lock (this one). */
    readonly owner: LockOwner,
  ) {}

  /**
   * Takes the lock of `dataDir` (which must exist) for `owner`.
   * @throws StorageError `data_dir_locked` when another process holds it, naming that process.
   */
  static acquire(dataDir: string, owner: LockOwner): DataDirLock {
    const paths = lockPaths(dataDir);
    const db = new Database(paths.lock);
    try {
      db.pragma('busy_timeout = 0');
      db.pragma('journal_mode = DELETE');
      // In exclusive locking mode the lock taken by the first write is kept until close.
      db.pragma('locking_mode = EXCLUSIVE');
      db.exec('BEGIN EXCLUSIVE');
      db.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER, hostname TEXT, started_at TEXT)');
      db.exec('DELETE FROM holder');
      db.prepare('INSERT INTO holder VALUES (?, ?, ?)').run(
        owner.pid,
        owner.hostname,
        owner.startedAt,
      );
      db.exec('COMMIT');
    } catch (error: unknown) {
      db.close();
      if (isBusy(error)) throw lockedError(dataDir, readOwner(paths.owner));
      throw error;
    }
    writeFileSync(paths.owner, `${JSON.stringify(owner)}\n`, { mode: 0o600 });
    return new DataDirLock(db, paths.owner, owner);
  }

  /** Releases the lock and removes `quorum.pid`. Idempotent. */
  release(): void {
    if (this.isReleased) return;
    this.isReleased = true;
    rmSync(this.ownerPath, { force: true });
    this.db.close();
  }
}

/** What `quorum.pid` says, if it is readable. */
export function readOwner(path: string): LockOwner | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockOwner>;
    if (
      typeof parsed.pid === 'number' &&
      typeof parsed.hostname === 'string' &&
      typeof parsed.startedAt === 'string'
    ) {
      return { pid: parsed.pid, hostname: parsed.hostname, startedAt: parsed.startedAt };
    }
  } catch {
    // Unreadable or half-written: the message just cannot name the other process.
  }
  return undefined;
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}

function lockedError(dataDir: string, owner: LockOwner | undefined): StorageError {
  const who =
    owner === undefined
      ? 'another Quorum process'
      : `another Quorum (pid ${owner.pid} on ${owner.hostname}, running since ${owner.startedAt})`;
  return new StorageError(
    'data_dir_locked',
    `${who} is using the data directory ${dataDir}. Stop it first, or give this one its own --data-dir; two daemons on one data directory would answer every message twice.`,
    owner === undefined ? {} : { owner },
  );
}
