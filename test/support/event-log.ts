/** Options of {@link EventLog.waitFor} and {@link EventLog.waitForCount}. */
export interface WaitOptions {
  /** How long to wait before rejecting. Default {@link DEFAULT_WAIT_MS}. */
  readonly timeoutMs?: number;
  /** What is awaited, for the timeout message. */
  readonly description?: string;
  /**
   * Only items recorded at or after this position count (a value from {@link EventLog.mark}).
   * Default 0: items already seen count too, so a wait created after the send still finds them.
   */
  readonly after?: number;
}

/** Default wait: generous, because a loaded CI machine is slow, and a pass returns early anyway. */
export const DEFAULT_WAIT_MS = 20_000;

/** How many recorded items a timeout message lists (the most recent ones). */
const LISTED_ON_TIMEOUT = 40;

interface Waiter<T> {
  readonly predicate: (item: T) => boolean;
  readonly count: number;
  readonly matches: T[];
  readonly settle: (error?: Error) => void;
}

/**
 * An append-only record of what a test observer saw, with waits on it.
 *
 * A wait is registered synchronously when `waitFor` is called, so creating it before the
 * action under test cannot miss the result (hookshot's spec/basic.spec.ts pattern). It also
 * scans what was already recorded (from `after`). Whether it resolves, times out or the log
 * is closed, its listener and its timer are removed.
 */
export class EventLog<T> {
  private readonly items: T[] = [];
  private readonly waiters = new Set<Waiter<T>>();
  private closedReason: string | undefined;

  /**
   * @param describe one line per item for timeout messages.
   * @param context extra state for timeout messages (for example the sync loop's last error).
   */
  constructor(
    private readonly describe: (item: T) => string,
    private readonly context: () => string = () => '',
  ) {}

  /** Everything recorded so far, oldest first. */
  get all(): readonly T[] {
    return this.items;
  }

  /** The current end of the log: pass it as `after` to wait only for later items. */
  mark(): number {
    return this.items.length;
  }

  /** Appends an item and settles every wait it completes. */
  push(item: T): void {
    this.items.push(item);
    for (const waiter of [...this.waiters]) {
      if (!waiter.predicate(item)) continue;
      waiter.matches.push(item);
      if (waiter.matches.length >= waiter.count) waiter.settle();
    }
  }

  /** Resolves with the first item matching `predicate` (see {@link WaitOptions}). */
  async waitFor(predicate: (item: T) => boolean, options: WaitOptions = {}): Promise<T> {
    const [first] = await this.waitForCount(predicate, 1, options);
    return first!;
  }

  /**
   * Resolves with the first `count` items matching `predicate`, in recording order.
   * Rejects after `timeoutMs` with an error listing what was recorded, or when the log closes.
   */
  waitForCount(
    predicate: (item: T) => boolean,
    count: number,
    options: WaitOptions = {},
  ): Promise<T[]> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_MS;
    const description = options.description ?? predicate.toString();
    const matches = this.items.slice(options.after ?? 0).filter(predicate);
    if (matches.length >= count) return Promise.resolve(matches.slice(0, count));
    if (this.closedReason !== undefined) {
      return Promise.reject(new Error(`cannot wait for ${description}: ${this.closedReason}`));
    }
    return new Promise<T[]>((resolve, reject) => {
      const waiter: Waiter<T> = {
        predicate,
        count,
        matches,
        settle: (error) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          if (error === undefined) resolve(matches.slice(0, count));
          else reject(error);
        },
      };
      const timer = setTimeout(() => {
        waiter.settle(
          new Error(
            `timed out after ${timeoutMs} ms waiting for ${count} × ${description} ` +
              `(matched ${matches.length})\n${this.report()}`,
          ),
        );
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** Number of waits still pending; a test can assert that nothing leaks. */
  get pendingWaits(): number {
    return this.waiters.size;
  }

  /** Rejects every pending wait and refuses new ones that are not already satisfied. */
  close(reason = 'the log was closed'): void {
    this.closedReason = reason;
    for (const waiter of [...this.waiters]) waiter.settle(new Error(reason));
  }

  private report(): string {
    const shown = this.items.slice(-LISTED_ON_TIMEOUT).map((item) => `  ${this.describe(item)}`);
    const skipped = this.items.length - shown.length;
    const context = this.context();
    return [
      `seen ${this.items.length} item(s)${skipped > 0 ? `, the last ${shown.length}:` : ':'}`,
      ...shown,
      ...(context === '' ? [] : [context]),
    ].join('\n');
  }
}
