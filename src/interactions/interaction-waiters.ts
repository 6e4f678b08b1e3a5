import { AbortReason } from '../shared/index.js';
import type { InteractionRecord } from '../storage/index.js';

/**
 * The turns waiting for interactions to be decided, in memory: a waiter resolves with the
 * decided record, or rejects when its signal aborts (its listener is then removed).
 */
export class InteractionWaiters {
  private readonly waiters = new Map<string, Set<(record: InteractionRecord) => void>>();
  /** Interactions a turn is opening (posting the card) and will wait for: how many holds each. */
  private readonly holds = new Map<string, number>();

  /**
   * Resolves with the record once it has left `pending` (`current` when it already has);
   * rejects when `signal` aborts.
   */
  wait(
    id: string,
    current: InteractionRecord | undefined,
    signal: AbortSignal,
  ): Promise<InteractionRecord> {
    if (current !== undefined && current.state !== 'pending') return Promise.resolve(current);
    return new Promise((resolve, reject) => {
      const listeners = this.waiters.get(id) ?? new Set();
      const onAbort = (): void => {
        listeners.delete(wake);
        reject(signal.reason instanceof Error ? signal.reason : new AbortReason('stopped'));
      };
      const wake = (record: InteractionRecord): void => {
        signal.removeEventListener('abort', onAbort);
        resolve(record);
      };
      listeners.add(wake);
      this.waiters.set(id, listeners);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Marks `id` as awaited before its turn starts waiting (while the card and its reactions are
   * posted), so a decision in those moments goes to that turn rather than to a new one. Call the
   * returned function once the turn no longer waits.
   */
  hold(id: string): () => void {
    this.holds.set(id, (this.holds.get(id) ?? 0) + 1);
    let isReleased = false;
    return () => {
      if (isReleased) return;
      isReleased = true;
      const left = (this.holds.get(id) ?? 1) - 1;
      if (left > 0) this.holds.set(id, left);
      else this.holds.delete(id);
    };
  }

  /** Whether a turn waits (or is about to wait) for interaction `id`. */
  isAwaited(id: string): boolean {
    return (this.waiters.get(id)?.size ?? 0) > 0 || this.holds.has(id);
  }

  /** Wakes everyone waiting for `record` with it. */
  settle(record: InteractionRecord): void {
    const listeners = this.waiters.get(record.id);
    this.waiters.delete(record.id);
    for (const wake of listeners ?? []) wake(record);
  }
}
