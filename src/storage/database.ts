import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { StorageError } from './errors.js';
import { MIGRATIONS } from './migrations.js';

/** The better-sqlite3 handle type, re-exported so repositories name it without importing the SDK. */
export type Db = Database.Database;

export interface OpenDatabaseOptions {
  /** A file path, or `:memory:` for tests. */
  readonly path: string;
  /**
   * `FULL` (default) makes every commit durable against power loss; `NORMAL` (in WAL mode)
   * against a process crash only, and spares the fsync. Quorum writes records it can
   * rebuild or afford to lose (usage, decision marks, thread settings) through a `NORMAL`
   * connection, and everything that guarantees exactly-once replies through `FULL`.
   */
  readonly synchronous?: 'FULL' | 'NORMAL';
}

/**
 * Opens (creating if needed) Quorum's SQLite database and brings its schema up to date.
 *
 * The file holds access tokens and passwords, so it is created with mode 0600 (and its
 * WAL/SHM siblings are tightened too). The journal runs WAL with `synchronous=FULL`, so a
 * committed admission survives power loss, not only a process crash.
 * The caller owns the handle and must `close()` it.
 *
 * @throws StorageError `schema_too_new` when a newer Quorum wrote the database: it is closed
 *   again untouched, since writing to a schema this version does not know could lose data.
 */
export function openDatabase(options: OpenDatabaseOptions): Db {
  const isMemory = options.path === ':memory:';
  if (!isMemory) {
    mkdirSync(dirname(options.path), { recursive: true, mode: 0o700 });
    if (!existsSync(options.path)) closeSync(openSync(options.path, 'a', 0o600));
    chmodSync(options.path, 0o600);
  }
  const db = new Database(options.path);
  // Before anything writes (WAL mode rewrites the header): a newer schema is left untouched.
  try {
    refuseNewerSchema(db, options.path);
  } catch (error: unknown) {
    db.close();
    throw error;
  }
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  reusePreparedStatements(db);
  if (!isMemory) {
    for (const suffix of ['-wal', '-shm']) {
      if (existsSync(options.path + suffix)) chmodSync(options.path + suffix, 0o600);
    }
  }
  return db;
}

/**
 * Makes `db.prepare` return the statement compiled the first time for the same SQL text, so
 * repositories can write their queries inline where they are used and still compile each one
 * once (compiling is most of the cost of a small query). Safe because no repository changes
 * a statement's modes (`pluck`, `raw`, `expand`) or iterates one statement re-entrantly.
 */
function reusePreparedStatements(db: Db): void {
  const MAX_CACHED_STATEMENTS = 500;
  const compile = db.prepare.bind(db);
  const compiled = new Map<string, Database.Statement>();
  const prepare = (sql: string): Database.Statement => {
    let statement = compiled.get(sql);
    if (statement === undefined) {
      statement = compile(sql);
      // Bounded in case a query is ever built from data: beyond the cap, compile each time.
      if (compiled.size < MAX_CACHED_STATEMENTS) compiled.set(sql, statement);
    }
    return statement;
  };
  db.prepare = prepare as Db['prepare'];
}

/** Throws `schema_too_new` when the database's `user_version` is above the newest migration. */
function refuseNewerSchema(db: Db, path: string): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new StorageError(
      'schema_too_new',
      `the database ${path} has schema version ${current}, but this Quorum knows versions up to ${MIGRATIONS.length}: a newer Quorum wrote it. Run that newer version again (or restore a backup from before the upgrade); this one leaves the database untouched.`,
      { version: current, knownVersion: MIGRATIONS.length },
    );
  }
}

/** Applies every migration newer than the database's `user_version`, each in its own transaction. */
function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  MIGRATIONS.forEach((sql, index) => {
    const version = index + 1;
    if (version <= current) return;
    db.transaction(() => {
      db.exec(sql);
      db.pragma(`user_version = ${version}`);
    })();
  });
}
