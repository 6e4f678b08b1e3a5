import { AbortReason, linkSignal } from './abort.js';
import type { Clock } from './clock.js';

/** A signal that aborts when its parent does or when a time limit passes, whichever is first. */
export interface Deadline {
  readonly signal: AbortSignal;
  /** True once the time limit (not the parent) aborted `signal`. */
  readonly hasExpired: boolean;
  /** Cancels the timer and removes the listener on the parent. Idempotent; call it in `finally`. */
  cleanup(): void;
}

/**
 * Starts a deadline of `timeoutMs` below `parent`, timed through `clock` (so a FakeClock
 * drives it in tests, unlike `AbortSignal.timeout`). When the time passes, `signal` aborts
 * with an `AbortReason('timeout')`; the parent's own abort passes through with its reason.
 * The caller owns `cleanup()`, which clears the timer so nothing outlives the operation.
 */
export function startDeadline(
  parent: AbortSignal | undefined,
  timeoutMs: number,
  clock: Clock,
): Deadline {
  const linked = linkSignal(parent);
  const timer = new AbortController();
  let hasExpired = false;
  void clock.sleep(timeoutMs, timer.signal).then(
    () => {
      if (linked.signal.aborted) return;
      hasExpired = true;
      linked.abort(new AbortReason('timeout', `timed out after ${timeoutMs} ms`));
    },
    // The sleep rejects only because cleanup() cancelled it.
    () => undefined,
  );
  return {
    signal: linked.signal,
    get hasExpired() {
      return hasExpired;
    },
    cleanup: () => {
      timer.abort();
      linked.cleanup();
    },
  };
}
