import {
  AbortReason,
  describeError,
  exponentialBackoffMs,
  isAbortError,
  linkSignal,
  runTask,
  type Clock,
  type LinkedSignal,
  type Logger,
  type QuorumMetrics,
} from '../shared/index.js';
import type { FireRecord, ScheduleRecord, ScheduleStore } from '../storage/index.js';
import { fireIdOf } from '../storage/index.js';
import { planClaim } from './claim-plan.js';
import {
  ScheduleDeliveryRefused,
  type ScheduleFire,
  type ScheduleFireSink,
  type ScheduleNotice,
} from './schedule-fire.js';
import { ScheduleTimer } from './schedule-timer.js';

/**
 * Lateness always tolerated, whatever the catch-up window: a timer that wakes a few ms late, an
 * event-loop stall or a slow batch is not "missed".
 */
export const RUNTIME_TOLERANCE_MS = 60_000;
/** Most due schedules read per batch. */
const BATCH = 100;
/** Most batches per wake-up (a guard; every batch advances the schedules it read). */
const MAX_BATCHES = 1_000;
/** Delivered fires and ended schedules are kept this long (30 days), then pruned. */
const RETENTION_MS = 30 * 86_400_000;
const PRUNE_EVERY_MS = 86_400_000;

/** Dependencies of {@link Scheduler}. */
export interface SchedulerDeps {
  readonly store: ScheduleStore;
  readonly sink: ScheduleFireSink;
  readonly clock: Clock;
  readonly log: Logger;
  /** Read at every due time, so a config reload applies to the next one. */
  readonly settings: () => { readonly catchUpWindowMs: number };
  /** Whether the schedule's creator may still use the agents in its room; checked at each due time. */
  readonly mayUse: (userId: string, roomId: string) => boolean;
  readonly metrics?: QuorumMetrics;
  /** Deliveries in flight at once (default 8). */
  readonly maxConcurrentDeliveries?: number;
  /** Delivery retry backoff: first delay and cap, ms (default 1 s, 5 min). */
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
  /** Longest single timer sleep (see `ScheduleTimer`). */
  readonly maxSleepMs?: number;
}

/**
 * Turns due schedules into pipeline inputs, exactly once per due time. One timer is armed for
 * the earliest due schedule. When it fires, each due schedule is claimed in SQLite — the
 * (schedule, due time) row and the schedule's next due time in one transaction — and only then
 * delivered to the sink; a claimed fire the sink has not acknowledged is delivered again (same
 * id) on the next start. A due time missed while Quorum was down fires once on start when it is
 * within the catch-up window (a recurring schedule fires once for its latest missed run), else
 * it is reported as missed, once, in the schedule's thread. Schedules whose creator may no
 * longer use the agents are cancelled with a notice instead of firing.
 */
export class Scheduler {
  private readonly timer: ScheduleTimer;
  private lifetime: LinkedSignal | undefined;
  private isProcessing = false;
  private shouldRerun = false;
  private readonly queue: FireRecord[] = [];
  private readonly queued = new Set<string>();
  private readonly inFlight = new Set<Promise<void>>();
  private lastPrunedAt = Number.NEGATIVE_INFINITY;
  private stopping: Promise<void> | undefined;

  constructor(private readonly deps: SchedulerDeps) {
    this.timer = new ScheduleTimer({
      clock: deps.clock,
      log: deps.log,
      onDue: () => {
        this.processDue();
      },
      ...(deps.maxSleepMs === undefined ? {} : { maxSleepMs: deps.maxSleepMs }),
    });
  }

  /** When the timer is armed for (the earliest due schedule), if any. */
  get armedAt(): number | undefined {
    return this.timer.armedAt;
  }

  /**
   * Starts: delivers fires claimed before a crash but never acknowledged, acts on every due time
   * that passed while Quorum was down, and arms the timer. Aborting `signal` stops it like `stop()`.
   */
  start(signal: AbortSignal): void {
    if (this.lifetime !== undefined) throw new Error('scheduler already started');
    this.lifetime = linkSignal(signal);
    if (this.lifetime.signal.aborted) return;
    this.lifetime.signal.addEventListener(
      'abort',
      () => {
        runTask(this.stop(), { log: this.deps.log, what: 'scheduler stop' });
      },
      { once: true },
    );
    const pending = this.deps.store.undelivered();
    if (pending.length > 0) {
      this.deps.log.info('delivering schedule fires claimed before the restart', {
        count: pending.length,
      });
    }
    for (const fire of pending) this.enqueue(fire);
    this.processDue();
  }

  /** Re-reads the earliest due time (after a schedule was created, edited or cancelled). */
  changed(): void {
    if (this.lifetime === undefined || this.lifetime.signal.aborted) return;
    const earliest = this.deps.store.earliestDue();
    if (earliest !== undefined && earliest <= this.deps.clock.now()) this.processDue();
    else this.timer.arm(earliest);
  }

  /** Stops the timer, aborts deliveries in flight (they are delivered again on the next start) and waits for them. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.timer.stop();
      this.lifetime?.abort(new AbortReason('shutdown', 'scheduler stopped'));
      this.lifetime?.cleanup();
      this.queue.length = 0;
      this.queued.clear();
      await Promise.allSettled([...this.inFlight]);
    })();
    return this.stopping;
  }

  /** Resolves once no delivery is queued or in flight (for tests and the benchmark). */
  async whenIdle(): Promise<void> {
    while (this.inFlight.size > 0 || this.queue.length > 0) {
      await Promise.allSettled([...this.inFlight]);
    }
  }

  /** Acts on every due schedule, then re-arms the timer for the next one. */
  private processDue(): void {
    if (this.lifetime === undefined || this.lifetime.signal.aborted) return;
    if (this.isProcessing) {
      this.shouldRerun = true;
      return;
    }
    this.isProcessing = true;
    try {
      this.shouldRerun = false;
      do {
        const now = this.deps.clock.now();
        for (let batch = 0; batch < MAX_BATCHES; batch++) {
          const due = this.deps.store.due(now, BATCH);
          for (const record of due) this.claimDue(record, now);
          if (due.length < BATCH) break;
        }
        // A sink may call changed() synchronously while deliveries start: go round again.
      } while (this.takeRerun());
      this.pruneNowAndThen();
    } catch (error: unknown) {
      this.deps.log.error('could not act on due schedules', { error });
    } finally {
      this.isProcessing = false;
    }
    this.timer.arm(this.deps.store.earliestDue());
  }

  private takeRerun(): boolean {
    const shouldRerun = this.shouldRerun;
    this.shouldRerun = false;
    return shouldRerun;
  }

  /** Claims one due schedule's fire or notice, and queues its delivery. */
  private claimDue(record: ScheduleRecord, now: number): void {
    const dueAt = record.nextDueAt;
    if (dueAt === undefined) return;
    const windowMs = Math.max(this.deps.settings().catchUpWindowMs, RUNTIME_TOLERANCE_MS);
    const claim = planClaim(
      record,
      now,
      windowMs,
      this.deps.mayUse(record.createdBy, record.roomId),
    );
    const outcome = this.deps.store.claim({
      scheduleId: record.id,
      expectedNextDueAt: dueAt,
      ...claim,
    });
    if (outcome !== 'claimed') {
      this.deps.log.debug('schedule claim skipped', { scheduleId: record.id, outcome });
      return;
    }
    const fire = this.deps.store.getFire(fireIdOf(record.id, claim.dueAt));
    if (fire !== undefined) this.enqueue(fire);
    if (claim.kind !== 'fire') {
      this.deps.log.warn('schedule not fired', {
        scheduleId: record.id,
        kind: claim.kind,
        dueAt: claim.dueAt,
      });
    }
  }

  private enqueue(fire: FireRecord): void {
    if (this.queued.has(fire.id)) return;
    this.queued.add(fire.id);
    this.queue.push(fire);
    this.pump();
  }

  /** Starts queued deliveries up to the concurrency limit. */
  private pump(): void {
    const limit = this.deps.maxConcurrentDeliveries ?? 8;
    while (this.inFlight.size < limit && this.queue.length > 0) {
      const fire = this.queue.shift();
      if (fire === undefined) break;
      const delivery = this.deliver(fire).finally(() => {
        this.inFlight.delete(delivery);
        this.queued.delete(fire.id);
        this.pump();
      });
      this.inFlight.add(delivery);
      runTask(delivery, { log: this.deps.log, what: 'schedule delivery' });
    }
  }

  /** Hands one claimed fire or notice to the sink, retrying with backoff until accepted or too old. */
  private async deliver(fire: FireRecord): Promise<void> {
    const signal = this.lifetime?.signal;
    if (signal === undefined) return;
    const { clock, store, sink, log, metrics } = this.deps;
    for (let attempt = 1; ; attempt++) {
      signal.throwIfAborted();
      try {
        // The payload is what claimDue stored for this kind (see planClaim).
        if (fire.kind === 'fire') await sink.fire(fire.payload as ScheduleFire, { signal });
        else await sink.notify(fire.payload as ScheduleNotice, { signal });
        store.markDelivered(fire.id);
        metrics?.scheduleFires.inc({ kind: fire.kind, outcome: 'delivered' });
        if (fire.kind === 'fire') {
          metrics?.scheduleFireDelay.observe(Math.max(0, clock.now() - fire.dueAt) / 1_000);
        }
        log.info('schedule delivered', {
          fireId: fire.id,
          kind: fire.kind,
          lateMs: clock.now() - fire.dueAt,
        });
        return;
      } catch (error: unknown) {
        if (signal.aborted || isAbortError(error)) throw error;
        store.recordAttempt(fire.id, describeError(error));
        const windowMs = Math.max(this.deps.settings().catchUpWindowMs, RUNTIME_TOLERANCE_MS);
        if (error instanceof ScheduleDeliveryRefused || clock.now() - fire.dueAt > windowMs) {
          store.markFailed(fire.id, describeError(error));
          metrics?.scheduleFires.inc({ kind: fire.kind, outcome: 'gave_up' });
          log.error('schedule not delivered: gave up', {
            fireId: fire.id,
            attempt,
            error,
          });
          return;
        }
        const delayMs = exponentialBackoffMs(
          attempt,
          this.deps.retryBaseMs ?? 1_000,
          this.deps.retryMaxMs ?? 300_000,
        );
        metrics?.scheduleFires.inc({ kind: fire.kind, outcome: 'retried' });
        log.warn('schedule delivery failed; retrying', {
          fireId: fire.id,
          attempt,
          delayMs,
          error,
        });
        await clock.sleep(delayMs, signal);
      }
    }
  }

  private pruneNowAndThen(): void {
    const now = this.deps.clock.now();
    if (now - this.lastPrunedAt < PRUNE_EVERY_MS) return;
    this.lastPrunedAt = now;
    const pruned = this.deps.store.prune(now - RETENTION_MS);
    if (pruned.fires + pruned.schedules > 0) this.deps.log.info('pruned old schedules', pruned);
  }
}
