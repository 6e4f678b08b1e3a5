import { randomBytes } from 'node:crypto';
import type { Db } from './database.js';
import type { HybridHit } from './hybrid-search.js';
import { HybridSearch, scopeToken } from './hybrid-search.js';
import { blobToVector, vectorToBlob } from './vector-set.js';

/** Where a memory belongs: `person` (owner × user), `room` (owner × room). */
export type MemoryScopeKind = 'person' | 'room';

/** How a memory was written: by the `add_memory` tool, or by automatic extraction. */
export type MemoryOrigin = 'tool' | 'extraction';

/** A memory to store. `collection` is the scope key `memory/` derives; the rest is metadata. */
export interface NewMemory {
  readonly collection: string;
  readonly scopeKind: MemoryScopeKind;
  /** The agent (or team) that keeps it. */
  readonly owner: string;
  /** The person it is about (person scope) or who told it (room scope). */
  readonly userId: string | undefined;
  /** The room it belongs to (room scope). */
  readonly roomId: string | undefined;
  readonly text: string;
  readonly origin: MemoryOrigin;
  readonly source?: {
    readonly roomId?: string | undefined;
    readonly threadRoot?: string | undefined;
    readonly eventId?: string | undefined;
  };
  readonly vector?: Float32Array | undefined;
  readonly vectorModel?: string | undefined;
}

/** A stored memory. Times are milliseconds since the epoch. */
export interface StoredMemory {
  /** The stable id shown to models and people (`m…`). */
  readonly id: string;
  readonly collection: string;
  readonly scopeKind: MemoryScopeKind;
  readonly owner: string;
  readonly userId: string | undefined;
  readonly roomId: string | undefined;
  readonly text: string;
  readonly origin: MemoryOrigin;
  readonly sourceRoomId: string | undefined;
  readonly sourceThreadRoot: string | undefined;
  readonly sourceEventId: string | undefined;
  readonly hasVector: boolean;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** A search result: the memory and how it ranked. */
export interface MemoryHit {
  readonly memory: StoredMemory;
  readonly hit: HybridHit;
}

/** A conversation waiting for extraction. */
export interface ExtractionKey {
  readonly owner: string;
  readonly userId: string;
  readonly roomId: string;
  readonly threadRoot: string;
}

/** A conversation due for extraction, as the queue had it when it was read. */
export interface DueExtraction extends ExtractionKey {
  readonly attempts: number;
  readonly lastActivityAt: number;
}

interface Row {
  id: number;
  memory_id: string;
  collection: string;
  scope_kind: string;
  owner: string;
  user_id: string | null;
  room_id: string | null;
  text: string;
  origin: string;
  source_room_id: string | null;
  source_thread_root: string | null;
  source_event_id: string | null;
  has_vector: number;
  created_at: number;
  updated_at: number;
}

const COLUMNS = `id, memory_id, collection, scope_kind, owner, user_id, room_id, text, origin,
  source_room_id, source_thread_root, source_event_id, vector IS NOT NULL AS has_vector,
  created_at, updated_at`;

function fromRow(row: Row): StoredMemory {
  return {
    id: row.memory_id,
    collection: row.collection,
    scopeKind: row.scope_kind === 'room' ? 'room' : 'person',
    owner: row.owner,
    userId: row.user_id ?? undefined,
    roomId: row.room_id ?? undefined,
    text: row.text,
    origin: row.origin === 'extraction' ? 'extraction' : 'tool',
    sourceRoomId: row.source_room_id ?? undefined,
    sourceThreadRoot: row.source_thread_root ?? undefined,
    sourceEventId: row.source_event_id ?? undefined,
    hasVector: row.has_vector === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/**
 * Memories in the daemon's database (durable: `synchronous=FULL`, as a person's fact must not
 * vanish with a power cut; writes are rare and small, so the fsync costs nothing that
 * matters). Searched by the {@link HybridSearch} engine. The store trusts its caller for
 * scoping: `memory/` decides which collections a request may read.
 */
export class MemoryStore {
  readonly engine: HybridSearch;

  constructor(
    private readonly db: Db,
    private readonly now: () => number,
    options: { readonly maxCacheBytes?: number } = {},
  ) {
    this.engine = new HybridSearch({
      db,
      table: 'memories',
      ftsTable: 'memories_fts',
      maxCacheBytes: options.maxCacheBytes ?? 128 * 1024 * 1024,
    });
  }

  /** Stores a memory and returns it with its new id. */
  add(memory: NewMemory): StoredMemory {
    const at = this.now();
    const memoryId = `m${randomBytes(6).toString('hex')}`;
    const vector = memory.vector;
    const result = this.db
      .prepare(
        `INSERT INTO memories (memory_id, collection, fts_scope, scope_kind, owner, user_id, room_id,
           text, origin, source_room_id, source_thread_root, source_event_id, vector, vector_model,
           created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        memoryId,
        memory.collection,
        scopeToken(memory.collection),
        memory.scopeKind,
        memory.owner,
        memory.userId ?? null,
        memory.roomId ?? null,
        memory.text,
        memory.origin,
        memory.source?.roomId ?? null,
        memory.source?.threadRoot ?? null,
        memory.source?.eventId ?? null,
        vector === undefined ? null : vectorToBlob(vector),
        vector === undefined ? null : (memory.vectorModel ?? null),
        at,
        at,
      );
    const rowId = Number(result.lastInsertRowid);
    this.engine.noteVector(memory.collection, rowId, vector, memory.vectorModel);
    const stored = this.get(memoryId);
    if (stored === undefined) throw new Error('memory vanished after insert');
    return stored;
  }

  /** The memory with this id, if any. */
  get(memoryId: string): StoredMemory | undefined {
    const row = this.db
      .prepare<[string], Row>(`SELECT ${COLUMNS} FROM memories WHERE memory_id = ?`)
      .get(memoryId);
    return row === undefined ? undefined : fromRow(row);
  }

  /** Replaces a memory's text (and vector); undefined when there is no such memory. */
  update(
    memoryId: string,
    text: string,
    vector: Float32Array | undefined,
    vectorModel: string | undefined,
  ): StoredMemory | undefined {
    const row = this.rowIdOf(memoryId);
    if (row === undefined) return undefined;
    this.db
      .prepare(
        'UPDATE memories SET text = ?, vector = ?, vector_model = ?, updated_at = ? WHERE id = ?',
      )
      .run(
        text,
        vector === undefined ? null : vectorToBlob(vector),
        vector === undefined ? null : (vectorModel ?? null),
        this.now(),
        row.id,
      );
    this.engine.noteVector(row.collection, row.id, vector, vectorModel);
    return this.get(memoryId);
  }

  /** Deletes a memory; false when there was none. */
  delete(memoryId: string): boolean {
    const row = this.rowIdOf(memoryId);
    if (row === undefined) return false;
    this.db.prepare('DELETE FROM memories WHERE id = ?').run(row.id);
    this.engine.noteDeleted(row.collection, row.id);
    return true;
  }

  /** Memories of one collection, newest first. */
  list(collection: string, options: { limit: number; offset?: number }): StoredMemory[] {
    return this.db
      .prepare<[string, number, number], Row>(
        `SELECT ${COLUMNS} FROM memories WHERE collection = ?
         ORDER BY updated_at DESC, id DESC LIMIT ? OFFSET ?`,
      )
      .all(collection, options.limit, options.offset ?? 0)
      .map(fromRow);
  }

  /** Number of memories in a collection. */
  count(collection: string): number {
    return (
      this.db
        .prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM memories WHERE collection = ?')
        .get(collection)?.n ?? 0
    );
  }

  /** Whether a collection holds any memory (cheaper than {@link count}). */
  hasAny(collection: string): boolean {
    return (
      this.db
        .prepare<[string], { one: number }>(
          'SELECT 1 AS one FROM memories WHERE collection = ? LIMIT 1',
        )
        .get(collection) !== undefined
    );
  }

  /** Person-scope memories about `userId`, across every agent and team; newest first. */
  listAboutUser(userId: string, limit: number): StoredMemory[] {
    return this.db
      .prepare<[string, number], Row>(
        `SELECT ${COLUMNS} FROM memories WHERE user_id = ? AND scope_kind = 'person'
         ORDER BY updated_at DESC, id DESC LIMIT ?`,
      )
      .all(userId, limit)
      .map(fromRow);
  }

  /** Number of person-scope memories about `userId`. */
  countAboutUser(userId: string): number {
    return (
      this.db
        .prepare<[string], { n: number }>(
          "SELECT COUNT(*) AS n FROM memories WHERE user_id = ? AND scope_kind = 'person'",
        )
        .get(userId)?.n ?? 0
    );
  }

  /** Deletes every person-scope memory about `userId`; returns how many. */
  deleteAboutUser(userId: string): number {
    const rows = this.db
      .prepare<[string], { id: number; collection: string }>(
        "SELECT id, collection FROM memories WHERE user_id = ? AND scope_kind = 'person'",
      )
      .all(userId);
    const remove = this.db.prepare('DELETE FROM memories WHERE id = ?');
    this.db.transaction(() => {
      for (const row of rows) remove.run(row.id);
    })();
    for (const row of rows) this.engine.noteDeleted(row.collection, row.id);
    return rows.length;
  }

  /** Hybrid search in one collection (see {@link HybridSearch.search}). */
  search(query: Parameters<HybridSearch['search']>[0]): MemoryHit[] {
    const hits = this.engine.search(query);
    if (hits.length === 0) return [];
    const byRowId = new Map(
      this.db
        .prepare<string[], Row>(
          `SELECT ${COLUMNS} FROM memories WHERE id IN (${hits.map(() => '?').join(',')})`,
        )
        .all(...hits.map((hit) => String(hit.id)))
        .map((row) => [row.id, fromRow(row)]),
    );
    return hits.flatMap((hit) => {
      const memory = byRowId.get(hit.id);
      return memory === undefined ? [] : [{ memory, hit }];
    });
  }

  /** Memories without a vector of `model` (never embedded, or by another model), oldest first. */
  unembedded(model: string, limit: number): { id: string; text: string }[] {
    return this.db
      .prepare<[string, number], { memory_id: string; text: string }>(
        `SELECT memory_id, text FROM memories
         WHERE vector IS NULL OR vector_model IS NOT ? ORDER BY id LIMIT ?`,
      )
      .all(model, limit)
      .map((row) => ({ id: row.memory_id, text: row.text }));
  }

  /** Stores a memory's vector (backfill), unless its text changed meanwhile. */
  setVector(memoryId: string, text: string, vector: Float32Array, model: string): void {
    const row = this.rowIdOf(memoryId);
    if (row === undefined) return;
    const changed = this.db
      .prepare('UPDATE memories SET vector = ?, vector_model = ? WHERE id = ? AND text = ?')
      .run(vectorToBlob(vector), model, row.id, text).changes;
    if (changed > 0) this.engine.noteVector(row.collection, row.id, vector, model);
  }

  /** The stored vector of a memory (tests, diagnostics). */
  vectorOf(memoryId: string): Float32Array | undefined {
    const row = this.db
      .prepare<[string], { vector: Buffer | null }>(
        'SELECT vector FROM memories WHERE memory_id = ?',
      )
      .get(memoryId);
    return row?.vector == null ? undefined : blobToVector(row.vector);
  }

  /** Records activity in a conversation, (re)starting its quiet period. */
  noteActivity(key: ExtractionKey): void {
    this.db
      .prepare(
        `INSERT INTO memory_extraction_queue (owner, user_id, room_id, thread_root, last_activity_at)
         VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (owner, user_id, room_id, thread_root)
         DO UPDATE SET last_activity_at = excluded.last_activity_at, attempts = 0`,
      )
      .run(key.owner, key.userId, key.roomId, key.threadRoot, this.now());
  }

  /** Conversations quiet since before `quietSinceMs`, oldest first. */
  dueForExtraction(quietSinceMs: number, limit: number): DueExtraction[] {
    return this.db
      .prepare<
        [number, number],
        {
          owner: string;
          user_id: string;
          room_id: string;
          thread_root: string;
          attempts: number;
          last_activity_at: number;
        }
      >(
        `SELECT owner, user_id, room_id, thread_root, attempts, last_activity_at
         FROM memory_extraction_queue
         WHERE last_activity_at <= ? ORDER BY last_activity_at LIMIT ?`,
      )
      .all(quietSinceMs, limit)
      .map((row) => ({
        owner: row.owner,
        userId: row.user_id,
        roomId: row.room_id,
        threadRoot: row.thread_root,
        attempts: row.attempts,
        lastActivityAt: row.last_activity_at,
      }));
  }

  /** The earliest pending activity time, or undefined when nothing waits. */
  nextExtractionActivity(): number | undefined {
    return (
      this.db
        .prepare<[], { at: number | null }>(
          'SELECT MIN(last_activity_at) AS at FROM memory_extraction_queue',
        )
        .get()?.at ?? undefined
    );
  }

  /** Removes a conversation from the queue (extracted, or given up). */
  finishExtraction(key: DueExtraction): void {
    // Activity noted while the extraction ran keeps the row: the newer messages are due later.
    this.db
      .prepare(
        `DELETE FROM memory_extraction_queue
         WHERE owner = ? AND user_id = ? AND room_id = ? AND thread_root = ?
           AND last_activity_at <= ?`,
      )
      .run(key.owner, key.userId, key.roomId, key.threadRoot, key.lastActivityAt);
  }

  /** Pushes a failed extraction back by `delayMs` and counts the attempt. */
  retryExtraction(key: ExtractionKey, delayMs: number): void {
    this.db
      .prepare(
        `UPDATE memory_extraction_queue SET attempts = attempts + 1, last_activity_at = ?
         WHERE owner = ? AND user_id = ? AND room_id = ? AND thread_root = ?`,
      )
      .run(this.now() + delayMs, key.owner, key.userId, key.roomId, key.threadRoot);
  }

  private rowIdOf(memoryId: string): { id: number; collection: string } | undefined {
    return this.db
      .prepare<[string], { id: number; collection: string }>(
        'SELECT id, collection FROM memories WHERE memory_id = ?',
      )
      .get(memoryId);
  }
}
