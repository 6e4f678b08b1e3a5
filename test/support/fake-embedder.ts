/**
 * A deterministic bag-of-words embedder for unit tests: each word (lower-cased, crudely
 * stemmed) adds 1 to a dimension chosen by its hash, so texts sharing words are similar and
 * texts sharing none are orthogonal-ish. It implements `llm/`'s Embedder contract, records
 * every batch, and can be switched off (`isDown`) to exercise the keyword-only path.
 */
import { createHash } from 'node:crypto';
import type { Embedder, EmbedOptions } from '../../src/llm/index.js';
import { ModelError } from '../../src/llm/index.js';

export class FakeEmbedder implements Embedder {
  /** Batches embedded successfully. */
  readonly calls: string[][] = [];
  /** Batches refused while down. */
  failedCalls = 0;
  isDown = false;

  constructor(
    readonly dimensions = 64,
    readonly identity = `fake:bag-of-words:${dimensions}`,
  ) {}

  embed(texts: readonly string[], options: EmbedOptions = {}): Promise<Float32Array[]> {
    options.signal?.throwIfAborted();
    if (this.isDown) {
      this.failedCalls++;
      return Promise.reject(new ModelError('connection', 'fake embedder is down'));
    }
    this.calls.push([...texts]);
    return Promise.resolve(texts.map((text) => bagOfWords(text, this.dimensions)));
  }
}

/** The fake embedding of `text`: unit length, `dimensions` long. */
export function bagOfWords(text: string, dimensions: number): Float32Array {
  const vector = new Float32Array(dimensions);
  for (const raw of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    const word = raw.length > 4 ? raw.replace(/(ing|ed|es|s)$/, '') : raw;
    const digest = createHash('sha256').update(word).digest();
    vector[digest.readUInt32LE(0) % dimensions]! += 1;
  }
  let norm = 0;
  for (const value of vector) norm += value * value;
  norm = Math.sqrt(norm) || 1;
  return vector.map((value) => value / norm);
}
