/**
 * Embeddings: the `Embedder` contract memory and knowledge search use, and the
 * OpenAI-compatible adapter (OpenAI, Ollama's `/v1/embeddings`, vLLM, LM Studio, ...).
 */
import type OpenAI from 'openai';
import type { Clock, Logger } from '../shared/index.js';
import { exponentialBackoffMs, isAbortError, startDeadline } from '../shared/index.js';
import { ModelError } from './errors.js';
import { OPENAI_ERRORS, openAiClient } from './openai-client.js';
import { abortReasonOf, mapSdkError } from './sdk-support.js';

/** Per-call options of {@link Embedder.embed}. */
export interface EmbedOptions {
  /** Aborting cancels the request; the call then rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

/**
 * Turns texts into vectors. `identity` names the model and its settings (provider, endpoint,
 * model, dimensions): vectors are only ever compared with vectors of the same identity.
 * Failures are `ModelError`s (an abort rethrows the signal's reason).
 */
export interface Embedder {
  readonly identity: string;
  /** Resolves with one vector per text, in order. */
  embed(texts: readonly string[], options?: EmbedOptions): Promise<Float32Array[]>;
}

/** How to reach an OpenAI-compatible embeddings endpoint. */
export interface OpenAiEmbedderOptions {
  readonly model: string;
  /** e.g. `https://api.openai.com/v1`, `http://localhost:11434/v1`. */
  readonly baseUrl: string;
  readonly apiKey: string;
  /** Asks the model for vectors of this length (OpenAI `text-embedding-3-*`); omitted otherwise. */
  readonly dimensions?: number | undefined;
  /** Inputs per request; default 64. */
  readonly maxBatchInputs?: number;
  /** Characters per request, all inputs together; default 120 000 (~30k tokens). */
  readonly maxBatchChars?: number;
  /** Each input is cut to this many characters; default 8 000 (under 8 191 tokens). */
  readonly maxInputChars?: number;
  /** Time limit of one request; default 30 000 ms. */
  readonly timeoutMs?: number;
  /** Attempts per batch, first included, on retryable failures; default 3. */
  readonly maxAttempts?: number;
  /** First backoff ceiling; doubles per retry; default 500 ms. */
  readonly baseDelayMs?: number;
  readonly clock: Clock;
  readonly log?: Logger;
  /** Replaces global fetch (tests, proxies). */
  readonly fetch?: typeof fetch;
}

/**
 * An {@link Embedder} over the openai SDK's embeddings API. Splits the input into batches
 * (by count and characters), retries each batch on 429/5xx/timeouts/connection failures with
 * jittered exponential backoff through the injected clock, and times each request out.
 * Reads no environment variables.
 */
export class OpenAiEmbedder implements Embedder {
  readonly identity: string;
  private readonly client: OpenAI;

  constructor(private readonly options: OpenAiEmbedderOptions) {
    this.identity = `openai-compatible:${options.baseUrl}:${options.model}:${options.dimensions ?? 'native'}`;
    this.client = openAiClient({
      apiKey: options.apiKey,
      baseUrl: options.baseUrl,
      timeoutMs: options.timeoutMs ?? 30_000,
      log: options.log,
      fetch: options.fetch,
    });
  }

  async embed(texts: readonly string[], options: EmbedOptions = {}): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (const batch of this.batches(texts)) {
      options.signal?.throwIfAborted();
      out.push(...(await this.embedBatchWithRetries(batch, options.signal)));
    }
    return out;
  }

  private *batches(texts: readonly string[]): Generator<string[]> {
    const maxInputs = this.options.maxBatchInputs ?? 64;
    const maxChars = this.options.maxBatchChars ?? 120_000;
    const maxInputChars = this.options.maxInputChars ?? 8_000;
    let batch: string[] = [];
    let chars = 0;
    for (const raw of texts) {
      // Empty input is an error for OpenAI; a single space embeds "nothing" harmlessly.
      const text = raw.trim() === '' ? ' ' : raw.slice(0, maxInputChars);
      if (batch.length > 0 && (batch.length >= maxInputs || chars + text.length > maxChars)) {
        yield batch;
        batch = [];
        chars = 0;
      }
      batch.push(text);
      chars += text.length;
    }
    if (batch.length > 0) yield batch;
  }

  private async embedBatchWithRetries(
    batch: readonly string[],
    signal: AbortSignal | undefined,
  ): Promise<Float32Array[]> {
    const maxAttempts = Math.max(1, this.options.maxAttempts ?? 3);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.embedBatch(batch, signal);
      } catch (error: unknown) {
        if (signal?.aborted === true) throw abortReasonOf(signal);
        const modelError = error instanceof ModelError ? error : undefined;
        if (modelError === undefined || !modelError.isRetryable || attempt >= maxAttempts)
          throw error;
        const backoff = exponentialBackoffMs(attempt, this.options.baseDelayMs ?? 500, 10_000);
        await this.options.clock.sleep(Math.max(backoff, modelError.retryAfterMs ?? 0), signal);
      }
    }
  }

  private async embedBatch(
    batch: readonly string[],
    signal: AbortSignal | undefined,
  ): Promise<Float32Array[]> {
    // The SDK's own timeout uses real timers; this deadline also honours the injected clock.
    const deadline = startDeadline(signal, this.options.timeoutMs ?? 30_000, this.options.clock);
    try {
      const response = await this.client.embeddings.create(
        {
          model: this.options.model,
          input: [...batch],
          encoding_format: 'float',
          ...(this.options.dimensions === undefined ? {} : { dimensions: this.options.dimensions }),
        },
        { signal: deadline.signal },
      );
      return vectorsOf(response.data, batch.length);
    } catch (error: unknown) {
      if (deadline.hasExpired && (signal === undefined || !signal.aborted)) {
        throw new ModelError(
          'timeout',
          `embedding request timed out after ${this.options.timeoutMs ?? 30_000} ms`,
        );
      }
      if (isAbortError(error) && signal?.aborted === true) throw abortReasonOf(signal);
      throw mapSdkError(error, OPENAI_ERRORS, { signal, nowMs: this.options.clock.now() });
    } finally {
      deadline.cleanup();
    }
  }
}

/** The vectors of an embeddings response in input order; throws unless there is one per input, all of one length. */
function vectorsOf(
  data: readonly { readonly index: number; readonly embedding: readonly number[] }[],
  count: number,
): Float32Array[] {
  const byIndex = new Map<number, Float32Array>();
  for (const item of data) byIndex.set(item.index, Float32Array.from(item.embedding));
  const vectors: Float32Array[] = [];
  for (let index = 0; index < count; index++) {
    const vector = byIndex.get(index);
    if (
      vector === undefined ||
      vector.length === 0 ||
      (index > 0 && vector.length !== vectors[0]?.length)
    ) {
      throw new ModelError(
        'invalid_response',
        `embeddings response lacks a vector for input ${index} of ${count}, or mixes lengths`,
      );
    }
    vectors.push(vector);
  }
  return vectors;
}
