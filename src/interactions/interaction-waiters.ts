import { AbortReason } from '../shared/index.js';
import type { InteractionRecord } from '../storage/index.js';

/**
 * The turns waiting for interactions to be decided, in memory: a waiter resolves with the
 * decided record, or rejects when its signal aborts (its listener is then removed).
 */
export class InteractionWaiters {
  private readonly waiters = new Map<string, Set<(record: InteractionRecord) => void>>();

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

  /** Whether a turn waits for interaction `id`. */
  isAwaited(id: string): boolean {
    return (this.waiters.get(id)?.size ?? 0) > 0;
  }

  /** Wakes everyone waiting for `record` with it. */
  settle(record: InteractionRecord): void {
    const listeners = this.waiters.get(record.id);
    this.waiters.delete(record.id);
    for (const wake of listeners ?? []) wake(record);
  }
}
