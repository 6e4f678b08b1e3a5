import type { Logger } from '../shared/index.js';
import type { HeaderLookup } from './errors.js';
import { ModelError, modelErrorFromStatus, modelErrorFromUnknown } from './errors.js';

/** The logger shape both provider SDKs accept (`(message, ...rest)` per level). */
export interface SdkLogger {
  error(message: string, ...rest: unknown[]): void;
  warn(message: string, ...rest: unknown[]): void;
  info(message: string, ...rest: unknown[]): void;
  debug(message: string, ...rest: unknown[]): void;
}

/**
 * Routes an SDK's log lines into our Logger (the SDKs default to `console`, which the
 * daemon forbids). The SDK's extra arguments go into a `details` field, where the logger's
 * redaction applies to them.
 */
export function sdkLoggerFor(log: Logger): SdkLogger {
  const fields = (rest: unknown[]): Record<string, unknown> | undefined =>
    rest.length === 0 ? undefined : { details: rest };
  return {
    error: (message, ...rest) => {
      log.error(message, fields(rest));
    },
    warn: (message, ...rest) => {
      log.warn(message, fields(rest));
    },
    info: (message, ...rest) => {
      log.debug(message, fields(rest));
    },
    debug: (message, ...rest) => {
      log.debug(message, fields(rest));
    },
  };
}

/** Constructor of an SDK error class, used only for `instanceof`. */
type ErrorClass<T> = abstract new (...args: never[]) => T;

/** The shape both SDKs give their API errors. */
interface SdkApiError extends Error {
  readonly status: number | undefined;
  readonly headers: HeaderLookup | undefined;
}

/**
 * The four error classes each provider SDK exports. openai and @anthropic-ai/sdk share the
 * Stainless layout, so one mapping serves both; each adapter passes its own classes.
 */
export interface SdkErrorClasses {
  readonly apiError: ErrorClass<SdkApiError>;
  readonly userAbortError: ErrorClass<Error>;
  readonly connectionError: ErrorClass<Error>;
  readonly connectionTimeoutError: ErrorClass<Error>;
}

/**
 * The one place a provider SDK's rejection becomes our error. When `signal` aborted, the
 * result is the signal's reason (so `isAbortError` and `abortKindOf` work upstream);
 * everything else becomes a {@link ModelError}.
 */
export function mapSdkError(
  error: unknown,
  classes: SdkErrorClasses,
  options: { readonly signal: AbortSignal | undefined; readonly nowMs: number },
): Error {
  if (options.signal?.aborted === true) return abortReasonOf(options.signal);
  if (error instanceof ModelError) return error;
  if (error instanceof classes.userAbortError) {
    return new ModelError('aborted', 'model request was cancelled', { cause: error });
  }
  // The timeout class extends the connection class, so it is checked first.
  if (error instanceof classes.connectionTimeoutError) {
    return new ModelError('timeout', 'model request timed out', { cause: error });
  }
  if (error instanceof classes.connectionError) {
    return new ModelError('connection', `model connection failed: ${error.message}`, {
      cause: error,
    });
  }
  if (error instanceof classes.apiError) {
    if (error.status === undefined) {
      // An error event inside an SSE stream (e.g. Anthropic's mid-stream `overloaded_error`):
      // the provider failed after answering 200, which is a server-side failure.
      return new ModelError('server_error', `model stream reported an error: ${error.message}`, {
        cause: error,
      });
    }
    return modelErrorFromStatus(error.status, detailOf(error), {
      ...(error.headers === undefined ? {} : { headers: error.headers }),
      nowMs: options.nowMs,
      cause: error,
    });
  }
  return modelErrorFromUnknown(error);
}

/**
 * The provider's error text plus its machine-readable code and type (OpenAI puts
 * `context_length_exceeded` only in `code`), so the status mapping can see them.
 */
function detailOf(error: SdkApiError): string {
  const fields = error as unknown as Record<string, unknown>;
  const extras = [fields['code'], fields['type'], fields['errorCode']].filter(
    (value): value is string => typeof value === 'string' && value !== '',
  );
  return [error.message, ...extras].join(' ');
}

/** The reason an aborted signal carries, as an Error (AbortReason or DOMException). */
export function abortReasonOf(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  return new ModelError('aborted', `model request aborted: ${String(reason)}`, { cause: reason });
}
