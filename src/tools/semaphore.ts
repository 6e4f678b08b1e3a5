/**
 * A counting semaphore with a bounded, abortable FIFO queue: `max_concurrent_calls` for an MCP
 * server, `max_concurrent_calls` for Quorum's own MCP server.
 *
 * Why not p-queue: callers here hold a slot across their own awaits and must leave the queue
 * the moment their signal aborts (a stopped turn), with the queue length bounded and visible.
 * That is an acquire/release pair of about fifty lines; p-queue would add a dependency whose
 * task-function model fits it less well.
 */

/** Thrown by {@link Semaphore.acquire} when the queue is full. */
export class SemaphoreFullError extends Error {
  constructor(readonly maxQueued: number) {
    super(`more than ${maxQueued} calls are already waiting`);
    this.name = 'SemaphoreFullError';
  }
}

interface Waiter {
  readonly grant: () => void;
}

/** Up to `limit` holders at once; further callers wait in order, at most `maxQueued` of them. */
export class Semaphore {
  private holders = 0;
  private readonly waiters: Waiter[] = [];

  constructor(
    private readonly limit: number,
    private readonly maxQueued = Number.POSITIVE_INFINITY,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`invalid semaphore limit ${limit}`);
  }

  /** Callers holding a slot now. */
  get active(): number {
    return this.holders;
  }

  /** Callers waiting for a slot now. */
  get queued(): number {
    return this.waiters.length;
  }

  /**
   * Resolves with a release function once a slot is free (call it exactly once; later calls
   * do nothing). Rejects with the signal's reason if it aborts while waiting (the caller
   * leaves the queue), or with {@link SemaphoreFullError} when `maxQueued` callers wait.
   */
  acquire(signal: AbortSignal): Promise<() => void> {
    signal.throwIfAborted();
    if (this.holders < this.limit) {
      this.holders++;
      return Promise.resolve(this.releaser());
    }
    if (this.waiters.length >= this.maxQueued) {
      return Promise.reject(new SemaphoreFullError(this.maxQueued));
    }
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.waiters.indexOf(waiter);
        if (index !== -1) this.waiters.splice(index, 1);
        reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
      };
      const waiter: Waiter = {
        grant: () => {
          signal.removeEventListener('abort', onAbort);
          resolve(this.releaser());
        },
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private releaser(): () => void {
    let isReleased = false;
    return () => {
      if (isReleased) return;
      isReleased = true;
      const next = this.waiters.shift();
      // The slot passes straight to the next waiter, so the holder count stays the same.
      if (next === undefined) this.holders--;
      else next.grant();
    };
  }
}
