import { DaemonError } from '../shared/index.js';
import type { ErrorKind } from '../shared/index.js';

/**
 * What went wrong talking to a model. Every failure of a {@link ChatModel} call is a
 * `ModelError` with one of these codes (an abort instead rethrows the signal's reason):
 *
 * - `rate_limited`: HTTP 429. `retryAfterMs` carries the provider's `retry-after-ms` /
 *   `retry-after` hint when it sent one. Retried.
 * - `server_error`: HTTP 5xx (incl. Anthropic's 529 overloaded) or 409. `status` is set. Retried.
 * - `timeout`: the client timed out, or HTTP 408. Retried.
 * - `connection`: the connection failed or was reset (no HTTP status). Retried.
 * - `auth`: HTTP 401/402/403: the key is wrong, lacks permission or billing. Not retried.
 * - `bad_request`: any other HTTP 4xx; our request was malformed. Not retried.
 * - `not_found`: HTTP 404: usually a wrong model id or base URL. Not retried.
 * - `context_length`: the prompt is longer than the model's context (a 400/413 whose body
 *   says so). Not retried.
 * - `aborted`: the SDK reported a cancelled request that our signal did not cause.
 * - `missing_api_key`: the model needs a key and none is configured; `envVar` names the
 *   variable to set. Raised on first use, not at startup, so other models keep working.
 * - `invalid_response`: the provider answered with something we cannot read (bad JSON,
 *   a stream that ended without a finish reason).
 *
 * @see ChatModel
 */
export type ModelErrorCode =
  | 'rate_limited'
  | 'server_error'
  | 'timeout'
  | 'connection'
  | 'auth'
  | 'bad_request'
  | 'not_found'
  | 'context_length'
  | 'aborted'
  | 'missing_api_key'
  | 'invalid_response';

/** Codes worth another attempt against the same model. */
export const RETRYABLE_MODEL_ERROR_CODES: readonly ModelErrorCode[] = [
  'rate_limited',
  'server_error',
  'timeout',
  'connection',
];

/** Data a {@link ModelError} may carry beside its code. */
export interface ModelErrorDetails {
  readonly cause?: unknown;
  /** HTTP status of the provider's answer, when there was one. */
  readonly status?: number;
  /** How long the provider asked us to wait before retrying (from `retry-after(-ms)`). */
  readonly retryAfterMs?: number;
  /** For `missing_api_key`: the environment variable to set. */
  readonly envVar?: string;
  /** Overrides the default room-safe text for the code. */
  readonly userMessage?: string;
}

const KIND_BY_CODE: Record<ModelErrorCode, ErrorKind> = {
  rate_limited: 'upstream',
  server_error: 'upstream',
  timeout: 'upstream',
  connection: 'upstream',
  auth: 'config',
  bad_request: 'internal',
  not_found: 'config',
  context_length: 'upstream',
  aborted: 'internal',
  missing_api_key: 'config',
  invalid_response: 'upstream',
};

/** A failed model call; see {@link ModelErrorCode} for when each code is raised. */
export class ModelError extends DaemonError<ModelErrorCode> {
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  readonly envVar: string | undefined;

  constructor(code: ModelErrorCode, message: string, details: ModelErrorDetails = {}) {
    super(code, KIND_BY_CODE[code], message, {
      cause: details.cause,
      userMessage: details.userMessage ?? defaultUserMessage(code, details),
    });
    this.name = 'ModelError';
    this.status = details.status;
    this.retryAfterMs = details.retryAfterMs;
    this.envVar = details.envVar;
  }

  /** True for codes worth retrying against the same model. */
  get isRetryable(): boolean {
    return RETRYABLE_MODEL_ERROR_CODES.includes(this.code);
  }
}

/** Room-safe text for a code: no stack, no secret, no provider detail beyond the status. */
function defaultUserMessage(code: ModelErrorCode, details: ModelErrorDetails): string {
  const http = details.status === undefined ? '' : ` (HTTP ${details.status})`;
  switch (code) {
    case 'rate_limited':
      return 'The model service is rate limiting requests right now (HTTP 429). Please try again in a minute.';
    case 'server_error':
      return `The model service is unavailable right now${http}. Please try again in a moment.`;
    case 'timeout':
      return 'The model service took too long to answer. Please try again in a moment.';
    case 'connection':
      return 'The model service could not be reached. Please try again in a moment.';
    case 'auth':
      return `The model service refused the credentials${http}. An operator needs to check the API key.`;
    case 'bad_request':
      return `The model service rejected the request${http}.`;
    case 'not_found':
      return `The model service does not know the configured model${http}. An operator needs to check the model id and base URL.`;
    case 'context_length':
      return 'The conversation is too long for this model. Please start a new thread or send a shorter message.';
    case 'aborted':
      return 'The request to the model was cancelled.';
    case 'missing_api_key':
      return details.envVar === undefined
        ? 'The model has no API key configured. An operator needs to set one.'
        : `The model has no API key configured. An operator needs to set ${details.envVar} (or ${details.envVar}_FILE).`;
    case 'invalid_response':
      return 'The model service sent a reply that could not be read. Please try again.';
  }
}

/** Header access common to fetch `Headers` and the SDKs' header objects. */
export interface HeaderLookup {
  get(name: string): string | null;
}

/**
 * How long the provider asked us to wait, in ms, or `undefined` when it did not say.
 * Reads `retry-after-ms` (OpenAI, fractional ms) first, then `retry-after` as seconds or
 * an HTTP date (RFC 9110 §10.2.3). Negative or unparsable values count as absent.
 */
export function parseRetryAfterMs(
  headers: HeaderLookup | undefined,
  nowMs: number,
): number | undefined {
  if (headers === undefined) return undefined;
  const ms = Number.parseFloat(headers.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return Math.round(ms);
  const value = headers.get('retry-after');
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? Math.round(seconds * 1000) : undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/** Provider phrases that mean "the prompt does not fit the context window". */
const CONTEXT_LENGTH_HINTS = [
  'context_length_exceeded',
  'context length',
  'context window',
  'prompt is too long',
  'too many tokens',
  'maximum context',
];

/**
 * Maps an HTTP failure to a {@link ModelError}. `detail` is the provider's error text
 * (used for the operator message and to spot context-length errors); it is never put in
 * the user message.
 */
export function modelErrorFromStatus(
  status: number,
  detail: string,
  options: { readonly headers?: HeaderLookup; readonly nowMs: number; readonly cause?: unknown },
): ModelError {
  const base = { status, cause: options.cause };
  const message = `model request failed with HTTP ${status}: ${detail}`;
  const lowered = detail.toLowerCase();
  if (status === 429) {
    const retryAfterMs = parseRetryAfterMs(options.headers, options.nowMs);
    return new ModelError(
      'rate_limited',
      message,
      retryAfterMs === undefined ? base : { ...base, retryAfterMs },
    );
  }
  if ((status === 400 || status === 413) && CONTEXT_LENGTH_HINTS.some((h) => lowered.includes(h))) {
    return new ModelError('context_length', message, base);
  }
  if (status === 401 || status === 402 || status === 403)
    return new ModelError('auth', message, base);
  if (status === 404) return new ModelError('not_found', message, base);
  if (status === 408) return new ModelError('timeout', message, base);
  if (status === 409 || status >= 500) {
    // A 503 may carry retry-after too (RFC 9110 §10.2.3); keep it for the retry policy.
    const retryAfterMs = parseRetryAfterMs(options.headers, options.nowMs);
    return new ModelError(
      'server_error',
      message,
      retryAfterMs === undefined ? base : { ...base, retryAfterMs },
    );
  }
  return new ModelError('bad_request', message, base);
}

/** Network error codes that mean the connection failed or dropped. */
const CONNECTION_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * Classifies an error that is not an SDK API error (thrown by fetch or the SSE reader
 * while a body streams): network failures become `connection`, anything else
 * `invalid_response`.
 */
export function modelErrorFromUnknown(error: unknown): ModelError {
  if (error instanceof ModelError) return error;
  const text = describeCause(error);
  if (looksLikeConnectionFailure(error)) {
    return new ModelError('connection', `model connection failed: ${text}`, { cause: error });
  }
  return new ModelError('invalid_response', `model response could not be read: ${text}`, {
    cause: error,
  });
}

function looksLikeConnectionFailure(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
    // undici reports a body cut mid-stream as `TypeError: terminated`.
    if (current.message === 'terminated' || current.message === 'fetch failed') return true;
    current = current.cause;
  }
  return false;
}

function describeCause(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
