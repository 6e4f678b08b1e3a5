import { setTimeout as sleepTimer } from 'node:timers/promises';

/** Time, injectable so tests can drive backoff, TTLs and debounce with a FakeClock. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /**
   * Resolves after `ms` milliseconds. Rejects with the signal's reason if it aborts first;
   * the timer is cleared on abort.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: async (ms, signal) => {
    await sleepTimer(ms, undefined, signal === undefined ? undefined : { signal });
  },
};
