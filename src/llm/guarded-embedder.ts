import type { Clock, Counter, Logger } from '../shared/index.js';
import { describeError, startDeadline, toError } from '../shared/index.js';
import type { Embedder } from './embedder.js';

/**
 * Whether meaning search works right now:
 * - `ok`: the embedder answers (or has not been asked yet);
 * - `unavailable`: none is configured or it cannot be built (no key, unsupported provider);
 * - `down`: it failed recently; keyword search only until `retryAt`.
 */
export interface EmbedderStatus {
  readonly state: 'ok' | 'unavailable' | 'down';
  /** Operator text: why it is unavailable or down. Never contains a key. */
  readonly reason?: string;
  /** When the next request will be tried again (`down` only), ms since the epoch. */
  readonly retryAt?: number;
}

/** What {@link GuardedEmbedder} needs. */
export interface GuardedEmbedderDeps {
  /** The embedder, or undefined when there is none (then `unavailableReason` says why). */
  readonly embedder: Embedder | undefined;
  readonly unavailableReason?: string;
  readonly clock: Clock;
  readonly log: Logger;
  /** After a failure, requests are skipped for this long; default 60 000 ms. */
  readonly cooldownMs?: number;
  /** Counts failed calls (`quorum_embedder_failures_total`). */
  readonly failures?: Counter;
}

/**
 * Degrades to "no vectors" instead of failing: memory and knowledge search then use keywords
 * only. Logs ONE warning when meaning search stops working (no embedder, or a failure after
 * the embedder's own retries) and one info line when it works again; while down, calls return
 * at once without a request, and one request per cooldown probes for recovery. Never throws,
 * except the caller's own abort.
 */
export class GuardedEmbedder {
  private state: EmbedderStatus;
  private hasWarned = false;

  constructor(private readonly deps: GuardedEmbedderDeps) {
    this.state =
      deps.embedder === undefined
        ? { state: 'unavailable', reason: deps.unavailableReason ?? 'no embedder is configured' }
        : { state: 'ok' };
  }

  /** The model identity vectors are stored with, or undefined without an embedder. */
  get identity(): string | undefined {
    return this.deps.embedder?.identity;
  }

  /** The current status (for `/api/ready` and tool output). */
  status(): EmbedderStatus {
    return this.state;
  }

  /** True when a call may produce vectors now (not unavailable, not cooling down). */
  isUsable(): boolean {
    if (this.state.state === 'unavailable') return false;
    return this.state.state === 'ok' || this.deps.clock.now() >= (this.state.retryAt ?? 0);
  }

  /**
   * Vectors for `texts`, or undefined when meaning search is unavailable, cooling down, or
   * the call fails or exceeds `timeoutMs`. Rejects only with the caller's abort reason.
   */
  async tryEmbed(
    texts: readonly string[],
    options: { readonly signal?: AbortSignal; readonly timeoutMs?: number } = {},
  ): Promise<Float32Array[] | undefined> {
    const embedder = this.deps.embedder;
    if (embedder === undefined) {
      this.warnOnce(this.state.reason ?? 'no embedder');
      return undefined;
    }
    if (texts.length === 0) return [];
    if (!this.isUsable()) return undefined;
    const deadline =
      options.timeoutMs === undefined
        ? undefined
        : startDeadline(options.signal, options.timeoutMs, this.deps.clock);
    try {
      const signal = deadline?.signal ?? options.signal;
      const vectors = await embedder.embed(texts, signal === undefined ? {} : { signal });
      if (this.state.state === 'down') {
        this.deps.log.info('embedder recovered; meaning search is back', {
          embedder: embedder.identity,
        });
      }
      this.state = { state: 'ok' };
      this.hasWarned = false;
      return vectors;
    } catch (error: unknown) {
      if (options.signal?.aborted === true) throw abortError(options.signal, error);
      const reason =
        deadline?.hasExpired === true
          ? `no answer within ${options.timeoutMs} ms`
          : describeError(error);
      this.state = {
        state: 'down',
        reason,
        retryAt: this.deps.clock.now() + (this.deps.cooldownMs ?? 60_000),
      };
      this.deps.failures?.inc();
      this.warnOnce(reason);
      return undefined;
    } finally {
      deadline?.cleanup();
    }
  }

  private warnOnce(reason: string): void {
    if (this.hasWarned) return;
    this.hasWarned = true;
    this.deps.log.warn('embedder unavailable; memory and knowledge search use keywords only', {
      embedder: this.deps.embedder?.identity,
      reason,
    });
  }
}

/** The caller's abort reason as an Error (what was thrown, when it is not one). */
function abortError(signal: AbortSignal, thrown: unknown): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : toError(thrown);
}
