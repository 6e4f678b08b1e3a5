/**
 * Backoff schedules. Pure functions: the caller sleeps through its Clock.
 */

/** Linear backoff used for bot restarts: `min(stepMs × attempt, maxMs)`; attempt starts at 1. */
export function linearBackoffMs(attempt: number, stepMs: number, maxMs: number): number {
  return Math.min(stepMs * Math.max(1, attempt), maxMs);
}

/**
 * Exponential backoff with full jitter, used for model retries:
 * a random delay in `[base × 2^(attempt-1) / 2, base × 2^(attempt-1)]`, capped at `maxMs`.
 * `random` is injectable for deterministic tests.
 */
export function exponentialBackoffMs(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
