import type { Clock, Logger } from '../shared/index.js';
import { exponentialBackoffMs, isAbortError } from '../shared/index.js';
import type {
  ChatCallOptions,
  ChatModel,
  ChatRequest,
  ChatResponse,
  ChatStreamEvent,
} from './chat-model.js';
import type { ModelErrorCode } from './errors.js';
import { ModelError } from './errors.js';

/** How hard to retry one model before giving up on it. */
export interface RetryPolicy {
  /** Calls per model, first included; at least 1. */
  readonly maxAttempts: number;
  /** Backoff ceiling of the first retry; doubles per retry (full jitter below it). */
  readonly baseDelayMs: number;
  /** Largest backoff between two attempts. */
  readonly maxDelayMs: number;
  /** Largest provider `retry-after` we honour; longer hints are cut to this. */
  readonly maxRetryAfterMs: number;
}

/** 3 attempts, 1 s → 2 s backoff (jittered), retry-after honoured up to 60 s. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 3,
  baseDelayMs: 1_000,
  maxDelayMs: 20_000,
  maxRetryAfterMs: 60_000,
};

/** One model of a failover chain, with the config name used in logs. */
export interface NamedChatModel {
  readonly name: string;
  readonly model: ChatModel;
}

/** What {@link ResilientChatModel} needs. */
export interface ResilientChatModelDeps {
  /** The primary model first, then its failovers in the order to try them. */
  readonly chain: readonly [NamedChatModel, ...NamedChatModel[]];
  /** Sleeps between attempts go through it, so tests drive them with a FakeClock. */
  readonly clock: Clock;
  readonly log: Logger;
  readonly policy?: Partial<RetryPolicy>;
  /** Jitter source in [0, 1); injectable for deterministic tests. */
  readonly random?: () => number;
}

/**
 * Codes after which the next model of the chain is tried: transient failures that
 * outlasted the retries, and failures that say this model cannot serve at all (wrong key,
 * unknown model id, no key). A bad request or an over-long prompt would fail the same way
 * on another model, so those surface at once.
 */
const FAILOVER_CODES: readonly ModelErrorCode[] = [
  'rate_limited',
  'server_error',
  'timeout',
  'connection',
  'auth',
  'not_found',
  'missing_api_key',
  'invalid_response',
];

/**
 * A {@link ChatModel} decorator that retries transient failures (429, 5xx, timeouts,
 * connection resets) with exponential backoff and full jitter, honouring `retry-after`,
 * then fails over along its chain. Sleeps end at once when the signal aborts, and the call
 * then rejects with the signal's reason.
 *
 * A stream is retried only while it has yielded nothing: once text reached the consumer,
 * a failure surfaces as an error instead of replaying (and duplicating) the reply.
 * The final error is a `ModelError` whose `userMessage` is safe to post in a room.
 */
export class ResilientChatModel implements ChatModel {
  readonly modelId: string;
  private readonly policy: RetryPolicy;
  private readonly random: () => number;

  constructor(private readonly deps: ResilientChatModelDeps) {
    this.modelId = deps.chain[0].model.modelId;
    this.policy = { ...DEFAULT_RETRY_POLICY, ...deps.policy };
    this.random = deps.random ?? Math.random;
  }

  async complete(request: ChatRequest, options: ChatCallOptions = {}): Promise<ChatResponse> {
    const { signal } = options;
    const tried: string[] = [];
    let lastError: ModelError | undefined;
    for (const entry of this.deps.chain) {
      if (lastError !== undefined) this.logFailover(lastError, entry);
      tried.push(entry.name);
      for (let attempt = 1; ; attempt++) {
        signal?.throwIfAborted();
        try {
          return await entry.model.complete(request, options);
        } catch (error: unknown) {
          lastError = this.rethrowUnlessModelError(error, signal);
          if (!(await this.shouldRetry(lastError, entry, attempt, signal))) break;
        }
      }
      if (!FAILOVER_CODES.includes(lastError.code)) break;
    }
    // The chain is non-empty and every way out of its loop set lastError.
    throw finalError(lastError!, tried, false); // eslint-disable-line @typescript-eslint/no-non-null-assertion -- see above
  }

  async *stream(
    request: ChatRequest,
    options: ChatCallOptions = {},
  ): AsyncGenerator<ChatStreamEvent, void, undefined> {
    const { signal } = options;
    const tried: string[] = [];
    let lastError: ModelError | undefined;
    for (const entry of this.deps.chain) {
      if (lastError !== undefined) this.logFailover(lastError, entry);
      tried.push(entry.name);
      for (let attempt = 1; ; attempt++) {
        signal?.throwIfAborted();
        let hasYielded = false;
        try {
          for await (const event of entry.model.stream(request, options)) {
            hasYielded = true;
            yield event;
          }
          return;
        } catch (error: unknown) {
          lastError = this.rethrowUnlessModelError(error, signal);
          if (hasYielded) throw finalError(lastError, tried, true);
          if (!(await this.shouldRetry(lastError, entry, attempt, signal))) break;
        }
      }
      if (!FAILOVER_CODES.includes(lastError.code)) break;
    }
    // The chain is non-empty and every way out of its loop set lastError.
    throw finalError(lastError!, tried, false); // eslint-disable-line @typescript-eslint/no-non-null-assertion -- see above
  }

  /** Aborts and non-model errors (bugs) pass through untouched. */
  private rethrowUnlessModelError(error: unknown, signal: AbortSignal | undefined): ModelError {
    if (signal?.aborted === true || isAbortError(error)) throw error;
    if (!(error instanceof ModelError)) throw error;
    return error;
  }

  /** Sleeps before the next attempt and returns true, or returns false to stop retrying. */
  private async shouldRetry(
    error: ModelError,
    entry: NamedChatModel,
    attempt: number,
    signal: AbortSignal | undefined,
  ): Promise<boolean> {
    if (!error.isRetryable || attempt >= this.policy.maxAttempts) return false;
    const backoffMs = exponentialBackoffMs(
      attempt,
      this.policy.baseDelayMs,
      this.policy.maxDelayMs,
      this.random,
    );
    const hintMs = Math.min(error.retryAfterMs ?? 0, this.policy.maxRetryAfterMs);
    const delayMs = Math.max(backoffMs, hintMs);
    this.deps.log.warn('model call failed, retrying', {
      model: entry.name,
      code: error.code,
      status: error.status,
      attempt,
      delayMs,
    });
    await this.deps.clock.sleep(delayMs, signal);
    return true;
  }

  private logFailover(error: ModelError, next: NamedChatModel): void {
    this.deps.log.warn('model failed, failing over', { code: error.code, next: next.name });
  }
}

/** The error the caller sees: the last failure, with the models tried in the message. */
function finalError(error: ModelError, tried: readonly string[], isPartial: boolean): ModelError {
  const where = `model ${tried.join(' → ')}`;
  return new ModelError(error.code, `${where}: ${error.message}`, {
    cause: error,
    ...(error.status === undefined ? {} : { status: error.status }),
    ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
    ...(error.envVar === undefined ? {} : { envVar: error.envVar }),
    ...(isPartial
      ? {
          userMessage:
            'The model service failed partway through the reply. Please try again in a moment.',
        }
      : error.userMessage === undefined
        ? {}
        : { userMessage: error.userMessage }),
  });
}
