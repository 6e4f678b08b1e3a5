import { runTask, type Clock, type Logger } from '../shared/index.js';

/** `setTimeout` fires at once for delays of 2^31 ms or more; no single sleep may be longer. */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;
/**
 * Longest single sleep by default (5 minutes). Timers run on a monotonic clock while due times
 * are wall-clock times: after a suspend or a clock step, waking at least this often bounds how
 * late a fire can be, at the cost of one wake-up per 5 idle minutes.
 */
export const DEFAULT_MAX_SLEEP_MS = 5 * 60_000;

/** Dependencies of {@link ScheduleTimer}. */
export interface ScheduleTimerDeps {
  readonly clock: Clock;
  readonly log: Logger;
  /** Called once when the armed time is reached (never after `stop`). */
  readonly onDue: () => void;
  /** Longest single sleep; clamped to 1 … {@link MAX_TIMER_DELAY_MS}. Default {@link DEFAULT_MAX_SLEEP_MS}. */
  readonly maxSleepMs?: number;
}

/**
 * One timer for the earliest due schedule: `arm(t)` replaces whatever was armed, so however
 * many schedules are pending there is one sleeping timer, re-armed as schedules are created,
 * edited, cancelled or fired. Waits on the injected clock in steps of at most `maxSleepMs`
 * (re-reading the wall clock after each), and calls `onDue` when `clock.now()` reaches the
 * armed time. Not polling: nothing runs between those steps.
 */
export class ScheduleTimer {
  private controller: AbortController | undefined;
  private target: number | undefined;
  private isStopped = false;
  private readonly maxSleepMs: number;

  constructor(private readonly deps: ScheduleTimerDeps) {
    const requested = deps.maxSleepMs ?? DEFAULT_MAX_SLEEP_MS;
    this.maxSleepMs = Math.max(1, Math.min(MAX_TIMER_DELAY_MS, Math.floor(requested)));
  }

  /** The time the timer is armed for, if any. */
  get armedAt(): number | undefined {
    return this.target;
  }

  /**
   * Arms the timer for `atMs` (epoch ms; a time already past fires on the next tick), or
   * disarms it with `undefined`. Arming for the time already armed keeps the running sleep.
   */
  arm(atMs: number | undefined): void {
    if (this.isStopped || atMs === this.target) return;
    this.controller?.abort();
    this.controller = undefined;
    this.target = atMs;
    if (atMs === undefined) return;
    const controller = new AbortController();
    this.controller = controller;
    runTask(this.wait(atMs, controller), { log: this.deps.log, what: 'schedule timer' });
  }

  /** Disarms for good; later `arm` calls do nothing. */
  stop(): void {
    this.isStopped = true;
    this.controller?.abort();
    this.controller = undefined;
    this.target = undefined;
  }

  private async wait(atMs: number, controller: AbortController): Promise<void> {
    let hasSlept = false;
    for (;;) {
      const remainingMs = atMs - this.deps.clock.now();
      if (remainingMs <= 0) break;
      await this.deps.clock.sleep(Math.min(remainingMs, this.maxSleepMs), controller.signal);
      hasSlept = true;
    }
    // Never call onDue from inside arm(): the caller may be in the middle of its own work.
    if (!hasSlept) await Promise.resolve();
    // A sleep that resolved just as the timer was re-armed must not fire for the old time.
    if (controller.signal.aborted || this.controller !== controller) return;
    this.controller = undefined;
    this.target = undefined;
    this.deps.onDue();
  }
}
