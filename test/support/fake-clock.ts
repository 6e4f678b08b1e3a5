import type { Clock } from '../../src/shared/index.js';

interface Sleeper {
  readonly wakeAt: number;
  readonly resolve: () => void;
}

/**
 * A Clock whose time moves only when the test calls `advance`. Sleepers wake in order of
 * their wake time; an aborted sleep rejects with the signal's reason.
 */
export class FakeClock implements Clock {
  private current: number;
  private sleepers: Sleeper[] = [];

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  /** Number of pending sleeps; lets a test wait until code under test is asleep. */
  get pendingSleeps(): number {
    return this.sleepers.length;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(toRejection(signal.reason));
    return new Promise<void>((resolve, reject) => {
      const sleeper: Sleeper = {
        wakeAt: this.current + Math.max(0, ms),
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        this.sleepers = this.sleepers.filter((s) => s !== sleeper);
        reject(toRejection(signal?.reason));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.sleepers.push(sleeper);
    });
  }

  /** Moves time forward by `ms`, waking every sleeper due by then (in order), with microtask turns between. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      const due = this.sleepers
        .filter((s) => s.wakeAt <= target)
        .sort((a, b) => a.wakeAt - b.wakeAt)[0];
      if (due === undefined) break;
      this.sleepers = this.sleepers.filter((s) => s !== due);
      this.current = Math.max(this.current, due.wakeAt);
      due.resolve();
      await flushMicrotasks();
    }
    this.current = target;
    await flushMicrotasks();
  }
}

function toRejection(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}

/** Lets pending promise callbacks run. */
export async function flushMicrotasks(turns = 10): Promise<void> {
  for (let i = 0; i < turns; i++) await Promise.resolve();
}
