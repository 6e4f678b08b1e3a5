/**
 * Abort helpers. Reasons are values of `AbortReason` so a handler can tell a user's stop
 * from an edit supersede, a shutdown or a reload.
 */
export type AbortReasonKind = 'stopped' | 'superseded' | 'shutdown' | 'reload' | 'timeout';

export class AbortReason extends Error {
  readonly kind: AbortReasonKind;
  constructor(kind: AbortReasonKind, message: string = kind) {
    super(message);
    this.name = 'AbortReason';
    this.kind = kind;
  }
}

/** The kind of an aborted signal's reason, or `undefined` when it is not an AbortReason. */
export function abortKindOf(signal: AbortSignal): AbortReasonKind | undefined {
  const reason: unknown = signal.reason;
  return reason instanceof AbortReason ? reason.kind : undefined;
}

/** True when `error` is what an aborted operation threw (AbortReason, DOM AbortError). */
export function isAbortError(error: unknown): boolean {
  if (error instanceof AbortReason) return true;
  if (error instanceof Error) {
    return error.name === 'AbortError' || error.name === 'APIUserAbortError';
  }
  return false;
}

export interface LinkedSignal {
  readonly signal: AbortSignal;
  /** Aborts the linked signal itself (only it, not the parents). */
  abort(reason: AbortReason): void;
  /** Removes the listeners added to the parents. Idempotent. */
  cleanup(): void;
}

/**
 * A child signal that aborts when any parent aborts, or when `abort` is called.
 * Unlike `AbortSignal.any`, the listeners on long-lived parents are removed by `cleanup`,
 * so a turn that finishes normally leaves nothing behind on the bot's signal.
 */
export function linkSignal(...parents: readonly (AbortSignal | undefined)[]): LinkedSignal {
  const controller = new AbortController();
  const removers: (() => void)[] = [];
  const cleanup = (): void => {
    for (const remove of removers.splice(0)) remove();
  };
  for (const parent of parents) {
    if (parent === undefined) continue;
    if (parent.aborted) {
      controller.abort(parent.reason);
      break;
    }
    const onAbort = (): void => {
      controller.abort(parent.reason);
      cleanup();
    };
    parent.addEventListener('abort', onAbort, { once: true });
    removers.push(() => {
      parent.removeEventListener('abort', onAbort);
    });
  }
  if (controller.signal.aborted) cleanup();
  return {
    signal: controller.signal,
    abort: (reason) => {
      controller.abort(reason);
      cleanup();
    },
    cleanup,
  };
}

/**
 * `signal.aborted`, read through a call so TypeScript does not narrow it across awaits
 * (an `if (signal.aborted)` after an earlier check is otherwise flagged as always false).
 */
export function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}
