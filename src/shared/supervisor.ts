import { AbortReason, isAborted, linkSignal } from './abort.js';
import { linearBackoffMs } from './backoff.js';
import type { Clock } from './clock.js';
import { asDaemonError, describeError } from './errors.js';
import type { Logger } from './logger.js';

export type SupervisedState = 'starting' | 'syncing' | 'backoff' | 'stopped' | 'failed';

/**
 * One attempt at running a supervised task (a bot: provision, join, then sync; or an auxiliary
 * task such as the config watcher) until the signal aborts or it fails. `onSynced` reports
 * progress: the first call marks the task healthy, later calls feed the stall watchdog.
 */
export type SupervisedRun = (signal: AbortSignal, onSynced: () => void) => Promise<void>;

export interface SupervisorOptions {
  readonly name: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly run: SupervisedRun;
  /** Linear backoff step and cap: 5 s, 10 s, 15 s … 60 s by default. */
  readonly backoffStepMs?: number;
  readonly backoffMaxMs?: number;
  /** Running this long without failing resets the backoff count. */
  readonly healthyAfterMs?: number;
  /**
   * No sync response for this long counts as a stall: the attempt is aborted and restarted.
   * Undefined for tasks that do not report progress (no watchdog).
   */
  readonly stallAfterMs: number | undefined;
  readonly onRestart?: () => void;
  /** Called when the state changes (not on every sync of a `syncing` bot). */
  readonly onStateChange?: (state: SupervisedState) => void;
  /**
   * Asked at `start`: what the first attempt must wait for (an agent whose `required` MCP
   * servers are not ready), or undefined to start at once. While it waits the state is
   * `starting` with the gate's `reason` as `lastError`, and `whenSettled` resolves at once
   * (boot and reloads do not wait for a held-back task).
   */
  readonly startGate?: (() => StartGate | undefined) | undefined;
}

/** What a held-back task waits for (see `SupervisorOptions.startGate`). */
export interface StartGate {
  /** For readiness and the log: `waiting for required MCP server github`. */
  readonly reason: string;
  /** Resolves when the task may start; rejects with the signal's reason when it is stopped. */
  wait(signal: AbortSignal): Promise<void>;
}

export interface SupervisedStatus {
  readonly state: SupervisedState;
  readonly startedAt: number | undefined;
  readonly lastSyncAt: number | undefined;
  readonly restarts: number;
  readonly lastError: string | undefined;
  readonly hasSynced: boolean;
}

/**
 * Keeps one bot (or auxiliary task) running: runs it, and when an attempt fails or its sync stalls (a watchdog
 * sees no sync response for `stallAfterMs`), restarts it after a linear backoff
 * (`min(step × attempt, max)`, honouring a rate limit's `retryAfterMs`). The attempt count
 * resets after `healthyAfterMs` of healthy running. `stop()` aborts the running attempt and
 * resolves when it has ended.
 */
export class Supervisor {
  private status: SupervisedStatus = {
    state: 'stopped',
    startedAt: undefined,
    lastSyncAt: undefined,
    restarts: 0,
    lastError: undefined,
    hasSynced: false,
  };
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;
  private firstSyncWaiters: (() => void)[] = [];
  private isSettled = false;

  constructor(private readonly options: SupervisorOptions) {}

  get name(): string {
    return this.options.name;
  }

  snapshot(): SupervisedStatus {
    return this.status;
  }

  /** Starts supervising, once the start gate (if any) opens (idempotent). */
  start(): void {
    this.loop ??= this.gatedLoop();
  }

  /**
   * Resolves after the bot's first successful sync, or after its first failed attempt (the
   * supervisor keeps retrying in the background), or when stopped — boot never hangs on one bot.
   */
  whenSettled(): Promise<void> {
    if (this.isSettled) return Promise.resolve();
    return new Promise((resolve) => this.firstSyncWaiters.push(resolve));
  }

  /** Aborts the running attempt and waits for it to end. Idempotent. */
  async stop(reason: AbortReason = new AbortReason('shutdown')): Promise<void> {
    if (!this.stopping.signal.aborted) this.stopping.abort(reason);
    await this.loop;
    this.update({ state: 'stopped' });
    this.settle();
  }

  private async gatedLoop(): Promise<void> {
    const gate = this.options.startGate?.();
    if (gate !== undefined) {
      const { log, name } = this.options;
      this.update({ state: 'starting', lastError: gate.reason });
      this.settle();
      log.warn('held back before start', { bot: name, reason: gate.reason });
      try {
        await gate.wait(this.stopping.signal);
      } catch (error: unknown) {
        if (!this.stopping.signal.aborted) log.error('start gate failed', { bot: name, error });
        return;
      }
      if (this.stopping.signal.aborted) return;
      this.update({ lastError: undefined });
      log.info('start gate open: starting', { bot: name });
    }
    await this.superviseLoop();
  }

  private async superviseLoop(): Promise<void> {
    const { clock, log } = this.options;
    const stepMs = this.options.backoffStepMs ?? 5_000;
    const maxMs = this.options.backoffMaxMs ?? 60_000;
    const healthyAfterMs = this.options.healthyAfterMs ?? 120_000;
    let attempt = 0;
    const isStopping = (): boolean => this.stopping.signal.aborted;
    while (!isStopping()) {
      const startedAt = clock.now();
      this.update({ state: 'starting', startedAt, lastSyncAt: undefined });
      const attemptSignal = linkSignal(this.stopping.signal);
      const watchdog = this.watch(attemptSignal);
      let failure: unknown = new Error('the sync loop ended unexpectedly');
      try {
        await this.options.run(attemptSignal.signal, () => {
          this.update({ state: 'syncing', lastSyncAt: clock.now(), hasSynced: true });
          this.settle();
        });
      } catch (error: unknown) {
        failure =
          attemptSignal.signal.aborted && !isStopping() ? attemptSignal.signal.reason : error;
      } finally {
        attemptSignal.abort(new AbortReason('shutdown', 'attempt over'));
        await watchdog;
      }
      if (isStopping()) break;

      if (clock.now() - startedAt >= healthyAfterMs) attempt = 0;
      attempt += 1;
      const retryAfterMs = readRetryAfterMs(failure);
      const delayMs = Math.max(linearBackoffMs(attempt, stepMs, maxMs), retryAfterMs ?? 0);
      this.update({
        state: 'backoff',
        restarts: this.status.restarts + 1,
        lastError: describeError(failure),
      });
      this.settle();
      this.options.onRestart?.();
      log.warn('bot failed, restarting after backoff', {
        bot: this.options.name,
        attempt,
        delayMs,
        error: failure,
      });
      await clock.sleep(delayMs, this.stopping.signal).catch(() => undefined);
    }
    this.update({ state: 'stopped' });
    this.settle();
  }

  /** Aborts the attempt when no sync response arrives for `stallAfterMs`. */
  private async watch(attempt: {
    signal: AbortSignal;
    abort: (reason: AbortReason) => void;
  }): Promise<void> {
    const { clock, stallAfterMs } = this.options;
    if (stallAfterMs === undefined) return;
    const checkEveryMs = Math.max(250, Math.floor(stallAfterMs / 4));
    while (!attempt.signal.aborted) {
      await clock.sleep(checkEveryMs, attempt.signal).catch(() => undefined);
      if (isAborted(attempt.signal)) return;
      const { lastSyncAt, startedAt, state } = this.status;
      // Provisioning (state `starting`) has its own request timeouts; the watchdog guards syncing.
      if (state !== 'syncing') continue;
      const since = lastSyncAt ?? startedAt ?? clock.now();
      if (clock.now() - since > stallAfterMs) {
        this.options.log.warn('sync stalled, restarting the bot', {
          bot: this.options.name,
          stalledMs: clock.now() - since,
        });
        attempt.abort(new AbortReason('timeout', `no sync response for ${clock.now() - since} ms`));
        return;
      }
    }
  }

  private update(patch: Partial<SupervisedStatus>): void {
    const previous = this.status.state;
    this.status = { ...this.status, ...patch };
    if (this.status.state !== previous) this.options.onStateChange?.(this.status.state);
  }

  private settle(): void {
    this.isSettled = true;
    for (const resolve of this.firstSyncWaiters.splice(0)) resolve();
  }
}

function readRetryAfterMs(error: unknown): number | undefined {
  const daemonError = asDaemonError(error);
  if (daemonError?.code !== 'rate_limited') return undefined;
  const value: unknown = (daemonError as { retryAfterMs?: unknown }).retryAfterMs;
  return typeof value === 'number' ? value : undefined;
}
