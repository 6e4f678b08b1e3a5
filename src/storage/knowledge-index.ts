/**
 * The knowledge index: chunks of the files in knowledge folders, with FTS5 and vectors, in
 * its own SQLite file beside the daemon's database (`<data dir>/knowledge.db`).
 *
 * Why a separate file: the index is a cache of the folders, rebuilt from them whenever it is
 * missing, corrupt or of an older schema, so it can simply be deleted; it is large (a vector
 * per chunk) and written in bursts while indexing. In the daemon's database those bursts
 * would contend for SQLite's single write lock with the ingress journal's admissions and
 * would make every WAL checkpoint of the journal's hot path copy index pages; they would
 * also bloat its backups. Here commits run with `synchronous=NORMAL` (no fsync per commit:
 * a power cut loses at most the last commits, which the next start re-indexes by hash).
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Db } from './database.js';
import type { HybridHit, HybridQuery } from './hybrid-search.js';
import { HybridSearch, scopeToken } from './hybrid-search.js';
import { KNOWLEDGE_SCHEMA, KNOWLEDGE_SCHEMA_VERSION } from './knowledge-schema.js';
import { vectorToBlob } from './vector-set.js';

/** What the index remembers about one file. */
export interface IndexedFile {
  readonly path: string;
  readonly hash: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly chunks: number;
  /** The chunking/embedder settings the file was indexed with. */
  readonly settings: string;
  /** Why the file is not indexed (too large, unreadable, unsupported), if so. */
  readonly error: string | undefined;
}

/** One chunk to store. Lines are 1-based and inclusive. */
export interface ChunkInput {
  readonly startLine: number;
  readonly endLine: number;
  readonly text: string;
  readonly vector?: Float32Array | undefined;
}

/** A search result. */
export interface ChunkHit {
  readonly path: string;
  readonly startLine: number;
  readonly endLine: number;
  readonly text: string;
  readonly hit: HybridHit;
}

/** The knowledge index could not be opened or read; `rebuild()` recovers. */
export function isCorruptionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    typeof code === 'string' &&
    (code.startsWith('SQLITE_CORRUPT') ||
      code.startsWith('SQLITE_NOTADB') ||
      code === 'SQLITE_IOERR_SHORT_READ')
  );
}

/**
 * Chunks of every knowledge base ("collection" = base id) in one SQLite file. Opening it
 * never fails for a bad file: a corrupt, foreign or outdated file is deleted and recreated
 * (`wasRebuilt` tells), and the caller re-indexes from the folders.
 */
export class KnowledgeIndexStore {
  private db: Db;
  private searchEngine: HybridSearch;
  /** True when opening found an unusable file and started afresh. */
  wasRebuilt = false;

  constructor(
    /** A file path, or `:memory:` (tests). */
    private readonly path: string,
    private readonly now: () => number = Date.now,
  ) {
    this.db = this.open();
    this.searchEngine = this.engineFor(this.db);
  }

  /** The search engine over the chunks. */
  get engine(): HybridSearch {
    return this.searchEngine;
  }

  /** Deletes the file and starts an empty index (after corruption was detected mid-run). */
  rebuild(): void {
    try {
      this.db.close();
    } catch {
      // Closing a corrupt handle may fail; the files are removed either way.
    }
    this.removeFiles();
    this.db = this.openFresh();
    this.searchEngine = this.engineFor(this.db);
    this.wasRebuilt = true;
  }

  /** Every indexed file of a base, by path. */
  files(collection: string): Map<string, IndexedFile> {
    const rows = this.db
      .prepare<
        [string],
        {
          path: string;
          hash: string;
          size: number;
          mtime_ms: number;
          chunks: number;
          settings: string;
          error: string | null;
        }
      >(
        'SELECT path, hash, size, mtime_ms, chunks, settings, error FROM kb_files WHERE collection = ?',
      )
      .all(collection);
    return new Map(
      rows.map((row) => [
        row.path,
        {
          path: row.path,
          hash: row.hash,
          size: row.size,
          mtimeMs: row.mtime_ms,
          chunks: row.chunks,
          settings: row.settings,
          error: row.error ?? undefined,
        },
      ]),
    );
  }

  /** Replaces a file's chunks (one transaction: readers see the old or the new file, never half). */
  replaceFile(
    collection: string,
    file: Omit<IndexedFile, 'chunks' | 'error'> & { readonly error?: string | undefined },
    chunks: readonly ChunkInput[],
    vectorModel: string | undefined,
  ): void {
    const removed = this.chunkIds(collection, file.path);
    const inserted: { id: number; vector: Float32Array | undefined }[] = [];
    const insert = this.db.prepare(
      `INSERT INTO kb_chunks (collection, fts_scope, path, ordinal, start_line, end_line, text, vector, vector_model)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.db.transaction(() => {
      this.db
        .prepare('DELETE FROM kb_chunks WHERE collection = ? AND path = ?')
        .run(collection, file.path);
      chunks.forEach((chunk, ordinal) => {
        const vector = vectorModel === undefined ? undefined : chunk.vector;
        const result = insert.run(
          collection,
          scopeToken(collection),
          file.path,
          ordinal,
          chunk.startLine,
          chunk.endLine,
          chunk.text,
          vector === undefined ? null : vectorToBlob(vector),
          vector === undefined ? null : (vectorModel ?? null),
        );
        inserted.push({
          id: Number(result.lastInsertRowid),
          vector,
        });
      });
      this.db
        .prepare(
          `INSERT INTO kb_files (collection, path, hash, size, mtime_ms, chunks, settings, error, indexed_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (collection, path) DO UPDATE SET hash = excluded.hash, size = excluded.size,
             mtime_ms = excluded.mtime_ms, chunks = excluded.chunks, settings = excluded.settings,
             error = excluded.error, indexed_at = excluded.indexed_at`,
        )
        .run(
          collection,
          file.path,
          file.hash,
          file.size,
          file.mtimeMs,
          chunks.length,
          file.settings,
          file.error ?? null,
          this.now(),
        );
    })();
    for (const id of removed) this.engine.noteDeleted(collection, id);
    for (const chunk of inserted)
      this.engine.noteVector(collection, chunk.id, chunk.vector, vectorModel);
  }

  /** Records a new size and mtime for a file whose content (hash) did not change. */
  touchFile(collection: string, path: string, size: number, mtimeMs: number): void {
    this.db
      .prepare('UPDATE kb_files SET size = ?, mtime_ms = ? WHERE collection = ? AND path = ?')
      .run(size, mtimeMs, collection, path);
  }

  /**
   * The chunks of a base in file and line order, until `maxChars` of text (for putting a small
   * base into a prompt whole).
   */
  chunksOf(
    collection: string,
    maxChars: number,
  ): { path: string; startLine: number; endLine: number; text: string }[] {
    const out: { path: string; startLine: number; endLine: number; text: string }[] = [];
    let used = 0;
    const rows = this.db
      .prepare<[string], { path: string; start_line: number; end_line: number; text: string }>(
        'SELECT path, start_line, end_line, text FROM kb_chunks WHERE collection = ? ORDER BY path, ordinal',
      )
      .iterate(collection);
    for (const row of rows) {
      used += row.text.length;
      if (used > maxChars) break;
      out.push({
        path: row.path,
        startLine: row.start_line,
        endLine: row.end_line,
        text: row.text,
      });
    }
    return out;
  }

  /** Forgets a file and its chunks. */
  removeFile(collection: string, path: string): void {
    const removed = this.chunkIds(collection, path);
    this.db.transaction(() => {
      this.db
        .prepare('DELETE FROM kb_chunks WHERE collection = ? AND path = ?')
        .run(collection, path);
      this.db
        .prepare('DELETE FROM kb_files WHERE collection = ? AND path = ?')
        .run(collection, path);
    })();
    for (const id of removed) this.engine.noteDeleted(collection, id);
  }

  /** Forgets a whole base. */
  removeCollection(collection: string): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM kb_chunks WHERE collection = ?').run(collection);
      this.db.prepare('DELETE FROM kb_files WHERE collection = ?').run(collection);
    })();
    this.engine.dropCollection(collection);
  }

  /** Files (indexed without error) and chunks of a base. */
  counts(collection: string): { files: number; chunks: number; failedFiles: number } {
    const row = this.db
      .prepare<[string], { files: number; failed: number; chunks: number | null }>(
        `SELECT SUM(error IS NULL) AS files, SUM(error IS NOT NULL) AS failed, SUM(chunks) AS chunks
         FROM kb_files WHERE collection = ?`,
      )
      .get(collection);
    return { files: row?.files ?? 0, failedFiles: row?.failed ?? 0, chunks: row?.chunks ?? 0 };
  }

  /** Hybrid search over one base. */
  search(query: HybridQuery): ChunkHit[] {
    const hits = this.engine.search(query);
    if (hits.length === 0) return [];
    const rows = this.db
      .prepare<
        string[],
        { id: number; path: string; start_line: number; end_line: number; text: string }
      >(
        `SELECT id, path, start_line, end_line, text FROM kb_chunks WHERE id IN (${hits.map(() => '?').join(',')})`,
      )
      .all(...hits.map((hit) => String(hit.id)));
    const byId = new Map(rows.map((row) => [row.id, row]));
    return hits.flatMap((hit) => {
      const row = byId.get(hit.id);
      return row === undefined
        ? []
        : [
            {
              path: row.path,
              startLine: row.start_line,
              endLine: row.end_line,
              text: row.text,
              hit,
            },
          ];
    });
  }

  /** Chunks of a base without a vector of `model`, oldest first. */
  unembedded(
    collection: string,
    model: string,
    limit: number,
  ): { id: number; path: string; text: string }[] {
    return this.db
      .prepare<[string, string, number], { id: number; path: string; text: string }>(
        `SELECT id, path, text FROM kb_chunks WHERE collection = ? AND (vector IS NULL OR vector_model IS NOT ?)
         ORDER BY id LIMIT ?`,
      )
      .all(collection, model, limit);
  }

  /** Stores vectors of existing chunks (backfill); chunks replaced meanwhile are skipped. */
  setVectors(
    collection: string,
    vectors: readonly { id: number; vector: Float32Array }[],
    model: string,
  ): void {
    const update = this.db.prepare(
      'UPDATE kb_chunks SET vector = ?, vector_model = ? WHERE id = ?',
    );
    const written: { id: number; vector: Float32Array }[] = [];
    this.db.transaction(() => {
      for (const entry of vectors) {
        if (update.run(vectorToBlob(entry.vector), model, entry.id).changes > 0)
          written.push(entry);
      }
    })();
    for (const entry of written) this.engine.noteVector(collection, entry.id, entry.vector, model);
  }

  /** Closes the file. Idempotent. */
  close(): void {
    if (this.db.open) this.db.close();
  }

  private chunkIds(collection: string, path: string): number[] {
    return this.db
      .prepare<[string, string], { id: number }>(
        'SELECT id FROM kb_chunks WHERE collection = ? AND path = ?',
      )
      .all(collection, path)
      .map((row) => row.id);
  }

  private engineFor(db: Db): HybridSearch {
    return new HybridSearch({ db, table: 'kb_chunks', ftsTable: 'kb_chunks_fts' });
  }

  private open(): Db {
    const hadFile = this.path !== ':memory:' && existsSync(this.path);
    try {
      const db = this.connect();
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version === KNOWLEDGE_SCHEMA_VERSION) return db;
      db.close();
    } catch {
      // Not a database, or a corrupt one: start afresh below.
    }
    this.wasRebuilt = hadFile;
    this.removeFiles();
    return this.openFresh();
  }

  private openFresh(): Db {
    const db = this.connect();
    db.transaction(() => {
      db.exec(KNOWLEDGE_SCHEMA);
      db.pragma(`user_version = ${KNOWLEDGE_SCHEMA_VERSION}`);
    })();
    return db;
  }

  private connect(): Db {
    if (this.path !== ':memory:') mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const db = new Database(this.path);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 5000');
      // Touch the schema so a file that is not a database fails here, not on first use.
      db.prepare('SELECT COUNT(*) FROM sqlite_master').get();
      return db;
    } catch (error: unknown) {
      db.close();
      throw error;
    }
  }

  private removeFiles(): void {
    if (this.path === ':memory:') return;
    for (const suffix of ['', '-wal', '-shm']) rmSync(this.path + suffix, { force: true });
  }
}
