import { runTask, type Clock, type Logger } from '../shared/index.js';
import type { QuorumStore } from './store.js';

/** How long the journal and finished turns are kept (thread history and dedupe need them). */
export const RETENTION_MS = 30 * 24 * 60 * 60 * 1000;
const EVERY_MS = 6 * 60 * 60 * 1000;

/**
 * Prunes the journal and finished turn records older than `RETENTION_MS`, at start and then
 * every six hours, until `signal` aborts. Open turns are never pruned.
 */
export function startRetention(
  store: QuorumStore,
  clock: Clock,
  log: Logger,
  signal: AbortSignal,
): void {
  const prune = (): void => {
    const before = clock.now() - RETENTION_MS;
    const events = store.journal.prune(before);
    const turns = store.turns.pruneFinished(before);
    if (events + turns > 0) log.info('pruned old records', { events, turns });
  };
  runTask(
    (async () => {
      while (!signal.aborted) {
        prune();
        await clock.sleep(EVERY_MS, signal).catch(() => undefined);
      }
    })(),
    { log, what: 'retention' },
  );
}
