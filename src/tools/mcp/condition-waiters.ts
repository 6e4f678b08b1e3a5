/**
 * Promises that settle when a condition over changing state holds: the owner calls
 * `notify()` after each change, and every waiter re-checks its condition.
 */

/** A waiter's verdict: `true` resolves, an `Error` rejects with it, `false` keeps waiting. */
export type ConditionCheck = () => boolean | Error;

/** The waiters on one object's state. */
export class ConditionWaiters {
  private readonly listeners = new Set<() => void>();

  /**
   * Resolves once `check` returns true, or rejects with the Error it returns; checks at
   * once, then on each `notify()`. Rejects with the signal's reason on abort. The waiter's
   * listeners are removed when it settles.
   */
  waitUntil(signal: AbortSignal, check: ConditionCheck): Promise<void> {
    return new Promise((resolve, reject) => {
      const settled = (): boolean => {
        const verdict = check();
        if (verdict === false) return false;
        if (verdict === true) resolve();
        else reject(verdict);
        return true;
      };
      if (signal.aborted) {
        reject(reasonOf(signal));
        return;
      }
      if (settled()) return;
      const listener = (): void => {
        if (settled()) cleanup();
      };
      const onAbort = (): void => {
        cleanup();
        reject(reasonOf(signal));
      };
      const cleanup = (): void => {
        this.listeners.delete(listener);
        signal.removeEventListener('abort', onAbort);
      };
      this.listeners.add(listener);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Re-checks every waiter (call after each change of the state they watch). */
  notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

function reasonOf(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error(String(reason));
}
