/**
 * The one error base class of the daemon.
 *
 * Each folder owns a string-literal union of codes and documents each code where it is
 * declared. `kind` tells the handler who is at fault: `config` (the operator's input),
 * `upstream` (a homeserver or model provider) or `internal` (a bug in Quorum).
 * `userMessage` is safe to show in a room; `message` is for operators and logs.
 */
export type ErrorKind = 'config' | 'upstream' | 'internal';

export interface DaemonErrorOptions {
  readonly cause?: unknown;
  /** Text safe to post in a Matrix room: no stack, no secret, no internal detail. */
  readonly userMessage?: string;
}

export class DaemonError<Code extends string = string> extends Error {
  readonly code: Code;
  readonly kind: ErrorKind;
  readonly userMessage: string | undefined;

  constructor(code: Code, kind: ErrorKind, message: string, options: DaemonErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DaemonError';
    this.code = code;
    this.kind = kind;
    this.userMessage = options.userMessage;
  }
}

/** Narrows an unknown caught value to an `Error` without losing information. */
export function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  if (typeof value === 'string') return new Error(value);
  try {
    return new Error(JSON.stringify(value));
  } catch {
    return new Error(String(value));
  }
}

/** A short one-line description of an unknown caught value, for logs. */
export function describeError(value: unknown): string {
  const error = toError(value);
  return error instanceof DaemonError ? `${error.code}: ${error.message}` : error.message;
}

/** True when `value` is a DaemonError carrying one of `codes`. */
export function hasErrorCode<Code extends string>(
  value: unknown,
  ...codes: readonly Code[]
): value is DaemonError<Code> {
  if (!(value instanceof DaemonError)) return false;
  const code: string = (value as DaemonError).code;
  return (codes as readonly string[]).includes(code);
}

/** The value as a DaemonError (with its code typed as a string), or undefined. */
export function asDaemonError(value: unknown): DaemonError | undefined {
  return value instanceof DaemonError ? (value as DaemonError) : undefined;
}
