/**
 * Runs one SDK request so that it honours abort signals and rejects only with a
 * MatrixRequestError or an abort reason.
 */
import { linkSignal } from '../shared/index.js';
import { toMatrixRequestError } from './errors.js';

/**
 * Runs `request` and settles with its result, unless one of `signals` aborts first: then it
 * rejects at once with that signal's reason. matrix-bot-sdk's `request`-based HTTP calls
 * cannot be cancelled, so an aborted request keeps running and its late result (or error) is
 * dropped. Any other rejection is converted by `toMatrixRequestError(error, what)`. Listeners
 * added to the signals are removed when this settles.
 */
export async function runAbortable<T>(
  what: string,
  request: () => Promise<T>,
  signals: readonly (AbortSignal | undefined)[],
): Promise<T> {
  const linked = linkSignal(...signals);
  try {
    linked.signal.throwIfAborted();
    const pending = request();
    return await raceAbort(pending, linked.signal, what);
  } catch (error) {
    if (linked.signal.aborted) throw toAbortError(linked.signal.reason);
    throw toMatrixRequestError(error, what);
  } finally {
    linked.cleanup();
  }
}

function raceAbort<T>(pending: Promise<T>, signal: AbortSignal, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      // The request lives on; swallow whatever it settles with later.
      pending.catch(() => undefined);
      reject(toAbortError(signal.reason));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    pending.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(toMatrixRequestError(error, what));
      },
    );
  });
}

function toAbortError(reason: unknown): Error {
  return reason instanceof Error ? reason : new DOMException(String(reason), 'AbortError');
}
