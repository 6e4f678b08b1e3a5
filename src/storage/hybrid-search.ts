/**
 * The one search engine behind memories and knowledge chunks: SQLite FTS5 (BM25) for
 * keywords plus exact cosine over embedding vectors for meaning, fused by reciprocal rank.
 *
 * Why reciprocal rank fusion (Cormack, Clarke & Büttcher, SIGIR 2009): BM25 scores are
 * unbounded and depend on the corpus, cosine similarities of one embedding model crowd into a
 * narrow band that differs per model, so blending the raw scores needs per-corpus tuning.
 * RRF uses only ranks — score(d) = Σ 1 / (k + rank_i(d)) with k = 60 — so it needs no
 * normalisation, rewards documents both lists agree on, and degrades to plain keyword ranking
 * when there are no vectors (embedder down), with no code path of its own.
 *
 * A table served by this engine has the columns `id INTEGER PRIMARY KEY`, `collection`,
 * `fts_scope`, `text`, `vector` (float32 blob or NULL) and `vector_model`, and an external
 * content FTS5 table over it whose columns include `fts_scope` (see migrations.ts).
 */
import { createHash } from 'node:crypto';
import type { Db } from './database.js';
import { VectorSet, blobToVector } from './vector-set.js';

/** The RRF constant from the paper; larger flattens the weight of the top ranks. */
export const RRF_K = 60;

/** One fused result. */
export interface HybridHit {
  readonly id: number;
  /** Σ 1/(RRF_K + rank) over the lists that found it. */
  readonly score: number;
  /** 1-based rank in the keyword list, when it was there. */
  readonly keywordRank?: number;
  /** 1-based rank in the vector list, when it was there. */
  readonly vectorRank?: number;
  /** Cosine similarity to the query vector, when it was in the vector list. */
  readonly similarity?: number;
}

/** What to search for in one collection. */
export interface HybridQuery {
  readonly collection: string;
  /** The text to match by keywords; empty skips the keyword side. */
  readonly text: string;
  /** The query's embedding, from the same model as `vectorModel`; absent: keywords only. */
  readonly vector?: Float32Array | undefined;
  /** Identity of the embedding model; only vectors stored with it are compared. */
  readonly vectorModel?: string | undefined;
  /** Results wanted. */
  readonly limit: number;
  /** Vector hits below this cosine similarity are dropped (default: none dropped). */
  readonly minSimilarity?: number;
}

const STOP_WORDS = new Set(
  'a an and are as at be but by do does for from has have how i in is it its me my no not of on or our so that the their them then there these they this to was we were what when where which who why will with you your'.split(
    ' ',
  ),
);
const MAX_QUERY_TERMS = 24;

/** The FTS5 token that stands for `collection` in the `fts_scope` column (hex, collision-free in practice). */
export function scopeToken(collection: string): string {
  return `c${createHash('sha256').update(collection).digest('hex').slice(0, 24)}`;
}

/**
 * An FTS5 query matching any of the words of `text` (quoted, so no FTS5 syntax in the text
 * is ever interpreted), or `undefined` when it has no searchable word.
 */
export function keywordQuery(text: string): string | undefined {
  const terms = keywordTerms(text);
  return terms.length === 0 ? undefined : terms.map((term) => `"${term}"`).join(' OR ');
}

/** The searchable words of `text`: lower case, no stop words, deduplicated, at most 24. */
export function keywordTerms(text: string): string[] {
  const words = text.toLowerCase().match(/[\p{L}\p{N}_]+/gu) ?? [];
  return [...new Set(words)]
    .filter((word) => !STOP_WORDS.has(word) && (word.length > 1 || /\d/.test(word)))
    .slice(0, MAX_QUERY_TERMS);
}

/**
 * A term found in at least this many documents counts as common: it is left out of an OR
 * query that has rarer terms (its BM25 weight is small anyway, and evaluating it means
 * scoring most of the table: measured, this is what made keyword search over 100k chunks
 * take 100–600 ms instead of ~10 ms). Probing a term stops at this many rows.
 */
export const COMMON_TERM_DOCS = 2_000;
/** Collections with at most this many vectors load synchronously on first use; larger ones in the background. */
export const SYNC_LOAD_ROWS = 1_000;
const LOAD_PAGE_ROWS = 1_000;

interface CachedSet {
  readonly model: string;
  readonly set: VectorSet;
  lastUsed: number;
}

/** Options of {@link HybridSearch}. */
export interface HybridSearchOptions {
  readonly db: Db;
  /** The documents table. */
  readonly table: string;
  /** Its FTS5 table. */
  readonly ftsTable: string;
  /** Upper bound of the in-memory vector cache, in bytes; least recently used sets go first. */
  readonly maxCacheBytes?: number;
}

/**
 * Keyword, vector and fused search over one documents table. Vectors of a collection are
 * loaded into a {@link VectorSet} on first use and kept in step by the repository calling
 * {@link noteVector} / {@link noteDeleted} after each write.
 */
export class HybridSearch {
  private readonly cache = new Map<string, CachedSet>();
  private readonly loading = new Map<string, Promise<void>>();
  private readonly maxCacheBytes: number;
  private useCounter = 0;

  constructor(private readonly options: HybridSearchOptions) {
    this.maxCacheBytes = options.maxCacheBytes ?? 512 * 1024 * 1024;
  }

  /**
   * Keyword hits (ids, best first) in `collection`: BM25 over the rare terms of `text` (any of
   * them), or, when every term is common, over all of them together (AND).
   */
  keywordSearch(collection: string, text: string, limit: number): number[] {
    const terms = keywordTerms(text);
    if (terms.length === 0 || limit <= 0) return [];
    const { db, ftsTable } = this.options;
    const probe = db.prepare<[string], { n: number }>(
      `SELECT COUNT(*) AS n FROM (SELECT rowid FROM ${ftsTable} WHERE ${ftsTable} MATCH ? LIMIT ${COMMON_TERM_DOCS})`,
    );
    const quoted = terms.map((term) => `"${term}"`);
    const rare = quoted.filter((term) => (probe.get(term)?.n ?? 0) < COMMON_TERM_DOCS);
    const expression = rare.length > 0 ? rare.join(' OR ') : quoted.join(' AND ');
    // rowid straight from the FTS index: joining the documents table would read every
    // matching row (vector blobs included) just to rank them.
    return db
      .prepare<[string, number], { id: number }>(
        `SELECT rowid AS id FROM ${ftsTable} WHERE ${ftsTable} MATCH ? ORDER BY bm25(${ftsTable}) LIMIT ?`,
      )
      .all(`fts_scope:"${scopeToken(collection)}" AND (${expression})`, limit)
      .map((row) => row.id);
  }

  /** Vector hits in `collection`, best first, compared only with vectors of `model`. */
  vectorSearch(
    collection: string,
    vector: Float32Array,
    model: string,
    limit: number,
  ): { id: number; similarity: number }[] {
    return this.vectorsOf(collection, model, vector.length)?.search(vector, limit) ?? [];
  }

  /** Keyword and vector search fused by reciprocal rank; best first, at most `limit`. */
  search(query: HybridQuery): HybridHit[] {
    const depth = Math.max(query.limit * 4, 20);
    const keyword = this.keywordSearch(query.collection, query.text, depth);
    const vector =
      query.vector === undefined || query.vectorModel === undefined
        ? []
        : this.vectorSearch(query.collection, query.vector, query.vectorModel, depth).filter(
            (hit) => hit.similarity >= (query.minSimilarity ?? -1),
          );
    return fuseRanks(keyword, vector).slice(0, query.limit);
  }

  /** Keeps the cached vectors of `collection` in step with a row just written. */
  noteVector(
    collection: string,
    id: number,
    vector: Float32Array | undefined,
    model: string | undefined,
  ): void {
    const cached = this.cache.get(collection);
    if (cached === undefined) return;
    if (vector === undefined || model !== cached.model || vector.length !== cached.set.dimensions) {
      cached.set.delete(id);
    } else {
      cached.set.set(id, vector);
    }
  }

  /** Keeps the cached vectors in step with a deleted row. */
  noteDeleted(collection: string, id: number): void {
    this.cache.get(collection)?.set.delete(id);
  }

  /** Forgets the cached vectors of `collection` (reloaded on next use). */
  dropCollection(collection: string): void {
    this.cache.delete(collection);
    this.loading.delete(collection);
  }

  /** Bytes of vectors held in memory. */
  get cachedBytes(): number {
    let bytes = 0;
    for (const entry of this.cache.values()) bytes += entry.set.bytes;
    return bytes;
  }

  /**
   * Waits until the vectors of `collection` are in memory (loading them in pages, yielding to
   * the event loop between pages). Call it after start-up so the first query finds them.
   */
  async warm(collection: string, model: string): Promise<void> {
    const sample = this.options.db
      .prepare<[string, string], { bytes: number }>(
        `SELECT length(vector) AS bytes FROM ${this.options.table}
         WHERE collection = ? AND vector_model = ? AND vector IS NOT NULL LIMIT 1`,
      )
      .get(collection, model);
    if (sample === undefined) return;
    this.vectorsOf(collection, model, Math.floor(sample.bytes / 4));
    await this.loading.get(collection);
  }

  /**
   * The cached vectors of a collection, or undefined while a large collection is still
   * loading in the background (searches then rank by keywords only). A small collection loads
   * at once: a large one read synchronously would stall every bot for seconds.
   */
  private vectorsOf(collection: string, model: string, dimensions: number): VectorSet | undefined {
    const cached = this.cache.get(collection);
    this.useCounter++;
    if (cached !== undefined && cached.model === model && cached.set.dimensions === dimensions) {
      cached.lastUsed = this.useCounter;
      return this.loading.has(collection) ? undefined : cached.set;
    }
    const set = new VectorSet(dimensions);
    this.cache.set(collection, { model, set, lastUsed: this.useCounter });
    const page = this.options.db.prepare<
      [string, string, number, number],
      { id: number; vector: Buffer }
    >(
      `SELECT id, vector FROM ${this.options.table}
       WHERE collection = ? AND vector_model = ? AND vector IS NOT NULL AND id > ? ORDER BY id LIMIT ?`,
    );
    const rows = page.all(collection, model, 0, SYNC_LOAD_ROWS + 1);
    for (const row of rows) set.set(row.id, blobToVector(row.vector));
    if (rows.length <= SYNC_LOAD_ROWS) {
      this.evict(collection);
      return set;
    }
    const loading = this.loadRest(collection, set, page, model, rows.at(-1)?.id ?? 0).finally(
      () => {
        this.loading.delete(collection);
        this.evict(collection);
      },
    );
    this.loading.set(collection, loading);
    return undefined;
  }

  /** Loads the remaining pages; each page is read and applied in one tick, so writes noted meanwhile stay correct. */
  private async loadRest(
    collection: string,
    set: VectorSet,
    page: {
      all(
        collection: string,
        model: string,
        after: number,
        limit: number,
      ): { id: number; vector: Buffer }[];
    },
    model: string,
    after: number,
  ): Promise<void> {
    let last = after;
    for (;;) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.cache.get(collection)?.set !== set) return;
      const rows = page.all(collection, model, last, LOAD_PAGE_ROWS);
      for (const row of rows) set.set(row.id, blobToVector(row.vector));
      if (rows.length < LOAD_PAGE_ROWS) return;
      last = rows.at(-1)?.id ?? last;
    }
  }

  private evict(keep: string): void {
    let bytes = this.cachedBytes;
    const byAge = [...this.cache.entries()].sort(([, a], [, b]) => a.lastUsed - b.lastUsed);
    for (const [name, entry] of byAge) {
      if (bytes <= this.maxCacheBytes) break;
      if (name === keep) continue;
      this.cache.delete(name);
      bytes -= entry.set.bytes;
    }
  }
}

/** Reciprocal rank fusion of a keyword list and a vector list; best first. */
export function fuseRanks(
  keyword: readonly number[],
  vector: readonly { id: number; similarity: number }[],
): HybridHit[] {
  const hits = new Map<
    number,
    { score: number; keywordRank?: number; vectorRank?: number; similarity?: number }
  >();
  keyword.forEach((id, index) => {
    const entry = hits.get(id) ?? { score: 0 };
    entry.score += 1 / (RRF_K + index + 1);
    entry.keywordRank = index + 1;
    hits.set(id, entry);
  });
  vector.forEach((hit, index) => {
    const entry = hits.get(hit.id) ?? { score: 0 };
    entry.score += 1 / (RRF_K + index + 1);
    entry.vectorRank = index + 1;
    entry.similarity = hit.similarity;
    hits.set(hit.id, entry);
  });
  return [...hits.entries()]
    .map(([id, entry]) => ({ id, ...entry }))
    .sort((a, b) => b.score - a.score || a.id - b.id);
}
