/**
 * Exact (brute-force) cosine search over embedding vectors held in memory.
 *
 * Why brute force, and why int8 (measured by `bench/memory.ts` and recorded in
 * docs/memory-and-knowledge.md): an exact scan needs no index to build, persist, repair or
 * rebalance after deletes, and returns the true nearest neighbours. In plain JavaScript it
 * costs ~1.5 ns per multiply-add: 10k × 1536 dims ≈ 25 ms, but 100k × 1536 ≈ 240 ms, far over
 * the 50 ms goal. USearch's SIMD kernel (`exactSearch`) scans 100k × 1536 float32 in ~27 ms on
 * one core and int8 in ~8 ms. Its HNSW graph would answer in ~1.5 ms but costs ~2 ms per
 * insert at 1536 dims (3.5 min for 100k vectors), needs persisting and degrades with deletes,
 * so it is not worth it below several hundred thousand vectors. Vectors are therefore kept as
 * int8, each scaled by its own largest component (cosine is scale-invariant, so the only
 * error is rounding: top results match float32), which also quarters the memory: 100k × 1536
 * dims take 154 MB instead of 614 MB. The float32 originals stay in SQLite.
 *
 * USearch is loaded lazily and optionally: where its prebuilt binary does not load, the same
 * scan runs in JavaScript (correct, slower), and {@link vectorKernel} says which one runs.
 */
import { createRequire } from 'node:module';

/** One hit: the caller's id and the cosine similarity (−1…1) to the query. */
export interface VectorHit {
  readonly id: number;
  readonly similarity: number;
}

interface UsearchModule {
  exactSearch(
    dataset: Int8Array,
    queries: Int8Array,
    dimensions: number,
    count: number,
    metric: string,
    threads: number,
  ): { keys: BigUint64Array; distances: Float32Array };
}

let usearch: UsearchModule | null | undefined;

function loadUsearch(): UsearchModule | null {
  if (usearch !== undefined) return usearch;
  try {
    usearch = createRequire(import.meta.url)('usearch') as UsearchModule;
  } catch {
    usearch = null;
  }
  return usearch;
}

/** Which scan runs: USearch's SIMD kernel, or the JavaScript fallback. */
export function vectorKernel(): 'usearch-simd' | 'javascript' {
  return loadUsearch() === null ? 'javascript' : 'usearch-simd';
}

/** Below this many multiply-adds per query the JavaScript loop is as fast as a native call. */
const NATIVE_MIN_WORK = 256 * 1024;

/** A float vector as int8, scaled by its largest component; all zeros stays all zeros. */
export function quantize(vector: Float32Array): Int8Array {
  let max = 0;
  for (const value of vector) max = Math.max(max, Math.abs(value));
  const out = new Int8Array(vector.length);
  if (max === 0 || !Number.isFinite(max)) return out;
  const scale = 127 / max;
  for (let i = 0; i < vector.length; i++) out[i] = Math.round((vector[i] ?? 0) * scale);
  return out;
}

/**
 * A growable set of int8 vectors of one dimension, keyed by the caller's integer ids. Not
 * thread-safe (nothing in Node is); `search` is synchronous and bounded by the set's size.
 */
export class VectorSet {
  private rows: Int8Array;
  private norms: Float32Array;
  private ids: number[] = [];
  private readonly rowOf = new Map<number, number>();

  constructor(
    /** Length of every vector in the set. */
    readonly dimensions: number,
    initialCapacity = 64,
    /** `javascript` forces the fallback scan (benchmarks compare the two). */
    private readonly kernel: 'auto' | 'javascript' = 'auto',
  ) {
    this.rows = new Int8Array(Math.max(1, initialCapacity) * dimensions);
    this.norms = new Float32Array(Math.max(1, initialCapacity));
  }

  /** Number of vectors. */
  get size(): number {
    return this.ids.length;
  }

  /** Bytes held by the vectors (for cache accounting). */
  get bytes(): number {
    return this.rows.byteLength + this.norms.byteLength + this.ids.length * 16;
  }

  has(id: number): boolean {
    return this.rowOf.has(id);
  }

  /** Adds `vector` under `id`, replacing any vector stored under it. Wrong lengths are ignored. */
  set(id: number, vector: Float32Array): void {
    if (vector.length !== this.dimensions) return;
    const quantized = quantize(vector);
    let row = this.rowOf.get(id);
    if (row === undefined) {
      row = this.ids.length;
      this.grow(row + 1);
      this.ids.push(id);
      this.rowOf.set(id, row);
    }
    this.rows.set(quantized, row * this.dimensions);
    this.norms[row] = norm(quantized);
  }

  /** Removes `id` (moving the last row into its place). */
  delete(id: number): void {
    const row = this.rowOf.get(id);
    if (row === undefined) return;
    const last = this.ids.length - 1;
    if (row !== last) {
      const lastId = this.ids[last] ?? 0;
      this.rows.copyWithin(
        row * this.dimensions,
        last * this.dimensions,
        (last + 1) * this.dimensions,
      );
      this.norms[row] = this.norms[last] ?? 0;
      this.ids[row] = lastId;
      this.rowOf.set(lastId, row);
    }
    this.ids.pop();
    this.rowOf.delete(id);
  }

  /** The `k` vectors most similar to `query`, best first (exact cosine over int8). */
  search(query: Float32Array, k: number): VectorHit[] {
    const count = Math.min(k, this.ids.length);
    if (count <= 0 || query.length !== this.dimensions) return [];
    const q = quantize(query);
    const qNorm = norm(q);
    if (qNorm === 0) return [];
    const native =
      this.kernel === 'auto' && this.ids.length * this.dimensions >= NATIVE_MIN_WORK
        ? loadUsearch()
        : null;
    if (native !== null) {
      const dataset = this.rows.subarray(0, this.ids.length * this.dimensions);
      const result = native.exactSearch(dataset, q, this.dimensions, count, 'cos', 1);
      const hits: VectorHit[] = [];
      result.keys.forEach((key, index) => {
        const id = this.ids[Number(key)];
        if (id !== undefined) hits.push({ id, similarity: 1 - (result.distances[index] ?? 1) });
      });
      return hits;
    }
    return this.scan(q, qNorm, count);
  }

  private scan(q: Int8Array, qNorm: number, count: number): VectorHit[] {
    const dims = this.dimensions;
    const best: VectorHit[] = [];
    for (let row = 0; row < this.ids.length; row++) {
      const rowNorm = this.norms[row] ?? 0;
      if (rowNorm === 0) continue;
      let dot = 0;
      const offset = row * dims;
      for (let j = 0; j < dims; j++) dot += (this.rows[offset + j] ?? 0) * (q[j] ?? 0);
      const similarity = dot / (rowNorm * qNorm);
      if (best.length < count || similarity > (best[best.length - 1]?.similarity ?? -2)) {
        insertSorted(best, { id: this.ids[row] ?? 0, similarity }, count);
      }
    }
    return best;
  }

  private grow(rowsNeeded: number): void {
    if (rowsNeeded * this.dimensions <= this.rows.length) return;
    const capacity = Math.max(rowsNeeded, this.norms.length * 2);
    const rows = new Int8Array(capacity * this.dimensions);
    rows.set(this.rows);
    const norms = new Float32Array(capacity);
    norms.set(this.norms);
    this.rows = rows;
    this.norms = norms;
  }
}

function norm(vector: Int8Array): number {
  let sum = 0;
  for (const value of vector) sum += value * value;
  return Math.sqrt(sum);
}

function insertSorted(list: VectorHit[], hit: VectorHit, limit: number): void {
  let at = list.length;
  while (at > 0 && (list[at - 1]?.similarity ?? 0) < hit.similarity) at--;
  list.splice(at, 0, hit);
  if (list.length > limit) list.pop();
}

/** A Float32Array as a SQLite blob (little-endian, as every supported platform is). */
export function vectorToBlob(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}

/** A blob written by {@link vectorToBlob}, copied into an aligned Float32Array. */
export function blobToVector(blob: Buffer | Uint8Array): Float32Array {
  const copy = new Uint8Array(blob.byteLength - (blob.byteLength % 4));
  copy.set(blob.subarray(0, copy.byteLength));
  return new Float32Array(copy.buffer);
}
