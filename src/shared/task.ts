import { isAbortError } from './abort.js';
import type { Logger } from './logger.js';

/** Counts failures of background tasks; the metrics registry implements it. */
export interface TaskFailureCounter {
  onTaskFailed(what: string): void;
}

/**
 * Runs fire-and-forget work so no promise floats: a rejection is logged once (aborts are
 * not failures) and counted. Returns nothing on purpose; await the promise yourself if you
 * need its result.
 */
export function runTask(
  promise: Promise<unknown>,
  options: { readonly log: Logger; readonly what: string; readonly counter?: TaskFailureCounter },
): void {
  promise.catch((error: unknown) => {
    if (isAbortError(error)) return;
    options.log.error('background task failed', { task: options.what, error });
    options.counter?.onTaskFailed(options.what);
  });
}
