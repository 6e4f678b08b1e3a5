/**
 * The one error type that leaves `matrix/`, and the one converter that produces it.
 *
 * Every rejection of matrix-bot-sdk (its `MatrixError`, the raw non-2xx response object it
 * throws when the body carries no `errcode`, and the `request` library's socket errors) and of
 * the `fetch` calls in this folder goes through {@link toMatrixRequestError}. Code above
 * `matrix/` switches on `code` and never looks at SDK classes.
 */
import { DaemonError } from '../shared/index.js';
import type { ErrorKind } from '../shared/index.js';

/**
 * Why a Matrix request failed.
 *
 * - `rate_limited`: `M_LIMIT_EXCEEDED` or HTTP 429. `retryAfterMs` carries the server's
 *   `retry_after_ms` (or `Retry-After` header) when it sent one. Transient.
 * - `forbidden`: `M_FORBIDDEN`, `M_UNAUTHORIZED` or another 403: not allowed in this room, not
 *   invited, registration disabled, wrong shared secret. Retrying will not help.
 * - `not_found`: `M_NOT_FOUND` or a 404: unknown event, room, alias or profile.
 * - `unknown_token`: `M_UNKNOWN_TOKEN`, `M_MISSING_TOKEN` or a 401: the access token is no longer
 *   valid (logged out, deactivated, soft logout). The account must log in again.
 * - `user_in_use`: `M_USER_IN_USE` while registering: the localpart is taken by an account whose
 *   password Quorum does not know. The operator must act (see the error's message).
 * - `room_in_use`: `M_ROOM_IN_USE` while creating a room: the requested alias already exists.
 * - `bad_request`: any other 4xx (`M_BAD_JSON`, `M_INVALID_PARAM`, `M_TOO_LARGE`,
 *   `M_UNRECOGNIZED`...): a request Quorum built wrongly or the server does not support.
 * - `server_error`: a 5xx: the homeserver (or a proxy in front of it) failed. Transient.
 * - `network`: the request never got an HTTP answer: connection refused or reset, DNS failure,
 *   socket hang up. Transient.
 * - `timeout`: the connection or the response timed out (`ETIMEDOUT`, `ESOCKETTIMEDOUT`, a
 *   timeout signal). Transient.
 * - `invalid_response`: a 2xx whose body is not what the spec promises (a `/sync` without
 *   `next_batch`, a send without `event_id`). Transient, since proxies sometimes serve junk.
 * - `encryption_unavailable`: a send into an encrypted room while this client cannot encrypt
 *   (the crypto failed to start, or the room uses an algorithm Quorum does not support).
 *   Quorum never falls back to plaintext. An operator problem; never transient.
 * - `encryption_failed`: encrypting a message failed on the way (the members' keys could not
 *   be fetched or the room key not shared); the message was not sent. Transient.
 * - `crypto_store_corrupt`: a device's crypto store file cannot be read back (damaged,
 *   truncated, another device's). The bot moves it aside and starts with a new device.
 * - `crypto_store_failed`: the crypto store could not be written (disk full, permissions).
 *   Transient: the next save tries again.
 * - `unexpected`: anything else thrown inside the SDK (a bug, not a homeserver answer).
 */
export type MatrixErrorCode =
  | 'rate_limited'
  | 'forbidden'
  | 'not_found'
  | 'unknown_token'
  | 'user_in_use'
  | 'room_in_use'
  | 'bad_request'
  | 'server_error'
  | 'network'
  | 'timeout'
  | 'invalid_response'
  | 'encryption_unavailable'
  | 'encryption_failed'
  | 'crypto_store_corrupt'
  | 'crypto_store_failed'
  | 'unexpected';

/** Extra data a {@link MatrixRequestError} carries. */
export interface MatrixRequestErrorDetails {
  /** The HTTP status, when the server answered. */
  readonly httpStatus?: number;
  /** The Matrix `errcode` (`M_FORBIDDEN`...), when the body carried one. */
  readonly errcode?: string;
  /** How long the server asked us to wait, for `rate_limited`. */
  readonly retryAfterMs?: number;
  readonly cause?: unknown;
  readonly userMessage?: string;
}

const KIND_OF: Record<MatrixErrorCode, ErrorKind> = {
  rate_limited: 'upstream',
  forbidden: 'upstream',
  not_found: 'upstream',
  unknown_token: 'upstream',
  user_in_use: 'config',
  room_in_use: 'upstream',
  bad_request: 'upstream',
  server_error: 'upstream',
  network: 'upstream',
  timeout: 'upstream',
  invalid_response: 'upstream',
  encryption_unavailable: 'config',
  encryption_failed: 'upstream',
  crypto_store_corrupt: 'internal',
  crypto_store_failed: 'internal',
  unexpected: 'internal',
};

/**
 * A failed Matrix request. `code` says why (see {@link MatrixErrorCode}); `httpStatus`,
 * `errcode` and `retryAfterMs` carry what the homeserver said. The message never contains an
 * access token or password.
 */
export class MatrixRequestError extends DaemonError<MatrixErrorCode> {
  readonly httpStatus: number | undefined;
  readonly errcode: string | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(code: MatrixErrorCode, message: string, details: MatrixRequestErrorDetails = {}) {
    super(code, KIND_OF[code], message, {
      ...(details.cause === undefined ? {} : { cause: details.cause }),
      ...(details.userMessage === undefined ? {} : { userMessage: details.userMessage }),
    });
    this.name = 'MatrixRequestError';
    this.httpStatus = details.httpStatus;
    this.errcode = details.errcode;
    this.retryAfterMs = details.retryAfterMs;
  }
}

/**
 * True for failures worth retrying unchanged after a pause: `rate_limited` (wait
 * `retryAfterMs`), `server_error`, `network`, `timeout` and `invalid_response`. False for
 * everything else, including values that are not a {@link MatrixRequestError}.
 */
export function isTransientMatrixError(error: unknown): error is MatrixRequestError {
  if (!(error instanceof MatrixRequestError)) return false;
  switch (error.code) {
    case 'rate_limited':
    case 'server_error':
    case 'network':
    case 'timeout':
    case 'invalid_response':
    case 'encryption_failed':
    case 'crypto_store_failed':
      return true;
    case 'forbidden':
    case 'not_found':
    case 'unknown_token':
    case 'user_in_use':
    case 'room_in_use':
    case 'bad_request':
    case 'encryption_unavailable':
    case 'crypto_store_corrupt':
    case 'unexpected':
      return false;
  }
}

const ERRCODE_TO_CODE: Readonly<Record<string, MatrixErrorCode>> = {
  M_LIMIT_EXCEEDED: 'rate_limited',
  M_FORBIDDEN: 'forbidden',
  M_UNAUTHORIZED: 'forbidden',
  M_GUEST_ACCESS_FORBIDDEN: 'forbidden',
  M_NOT_FOUND: 'not_found',
  M_UNKNOWN_TOKEN: 'unknown_token',
  M_MISSING_TOKEN: 'unknown_token',
  M_USER_DEACTIVATED: 'unknown_token',
  M_USER_IN_USE: 'user_in_use',
  M_ROOM_IN_USE: 'room_in_use',
  // An endpoint the server does not implement: not a missing resource.
  M_UNRECOGNIZED: 'bad_request',
};

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);
const TIMEOUT_CODES = new Set([
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/**
 * The error for an HTTP answer outside 2xx. `body` is the parsed JSON body (or anything else);
 * `retryAfterHeader` is the raw `Retry-After` header, used when the body has no
 * `retry_after_ms`. `what` names the request for the message (`PUT /send`).
 */
export function matrixErrorFromResponse(
  status: number,
  body: unknown,
  what: string,
  retryAfterHeader?: string,
): MatrixRequestError {
  const record = isRecord(body) ? body : {};
  const errcode = typeof record['errcode'] === 'string' ? record['errcode'] : undefined;
  const serverText = typeof record['error'] === 'string' ? record['error'] : undefined;
  const code = codeForResponse(status, errcode);
  const retryAfterMs = code === 'rate_limited' ? retryAfterOf(record, retryAfterHeader) : undefined;
  const reason = [errcode, serverText].filter((part) => part !== undefined).join(': ');
  return new MatrixRequestError(
    code,
    `${what} failed with HTTP ${status}${reason === '' ? '' : ` (${truncate(reason, 300)})`}`,
    {
      httpStatus: status,
      ...(errcode === undefined ? {} : { errcode }),
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    },
  );
}

/**
 * Converts anything a Matrix call rejected with into a {@link MatrixRequestError}.
 * A `MatrixRequestError` passes through unchanged. Recognised shapes, by duck typing so no SDK
 * class is needed: the SDK's `MatrixError` (`errcode`, `statusCode`, `body`), the raw
 * `IncomingMessage` the SDK throws for a non-2xx without `errcode` (`statusCode`, `body`),
 * socket errors with a `code` (`ECONNREFUSED`, `ETIMEDOUT`, `ESOCKETTIMEDOUT`...), `fetch`'s
 * `TypeError('fetch failed')` with such a `cause`, and `TimeoutError` DOM exceptions.
 * Anything else becomes `unexpected`. `what` names the request (`GET /sync`) in the message.
 */
export function toMatrixRequestError(error: unknown, what = 'Matrix request'): MatrixRequestError {
  if (error instanceof MatrixRequestError) return error;
  if (isRecord(error)) {
    const status = error['statusCode'] ?? error['status'];
    if (typeof status === 'number' && status >= 300) {
      const body = 'body' in error ? error['body'] : undefined;
      const fromError =
        typeof error['errcode'] === 'string'
          ? {
              errcode: error['errcode'],
              error: error['error'],
              retry_after_ms: error['retryAfterMs'],
            }
          : undefined;
      const mapped = matrixErrorFromResponse(
        status,
        isRecord(body) ? body : (fromError ?? parseMaybeJson(body)),
        what,
        headerOf(error, 'retry-after'),
      );
      return withCause(mapped, error);
    }
    const socketCode = socketCodeOf(error);
    if (socketCode !== undefined && TIMEOUT_CODES.has(socketCode)) {
      return new MatrixRequestError('timeout', `${what} timed out (${socketCode})`, {
        cause: error,
      });
    }
    if (socketCode !== undefined && NETWORK_CODES.has(socketCode)) {
      return new MatrixRequestError('network', `${what} got no answer (${socketCode})`, {
        cause: error,
      });
    }
    if (error['name'] === 'TimeoutError') {
      return new MatrixRequestError('timeout', `${what} timed out`, { cause: error });
    }
    if (error instanceof TypeError && error.message === 'fetch failed') {
      return new MatrixRequestError('network', `${what} got no answer (fetch failed)`, {
        cause: error,
      });
    }
    if (typeof error['message'] === 'string' && /socket hang up/i.test(error['message'])) {
      return new MatrixRequestError('network', `${what} got no answer (socket hang up)`, {
        cause: error,
      });
    }
  }
  const detail = error instanceof Error ? error.message : String(error);
  return new MatrixRequestError('unexpected', `${what} failed: ${truncate(detail, 300)}`, {
    cause: error,
  });
}

function codeForResponse(status: number, errcode: string | undefined): MatrixErrorCode {
  const byErrcode = errcode === undefined ? undefined : ERRCODE_TO_CODE[errcode];
  if (byErrcode !== undefined) return byErrcode;
  if (status === 429) return 'rate_limited';
  if (status === 401) return 'unknown_token';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status >= 500) return 'server_error';
  return 'bad_request';
}

function retryAfterOf(
  body: Readonly<Record<string, unknown>>,
  header: string | undefined,
): number | undefined {
  const fromBody = body['retry_after_ms'];
  if (typeof fromBody === 'number' && Number.isFinite(fromBody) && fromBody >= 0) return fromBody;
  if (header !== undefined) {
    const seconds = Number(header);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  }
  return undefined;
}

function socketCodeOf(error: Readonly<Record<string, unknown>>): string | undefined {
  if (typeof error['code'] === 'string') return error['code'];
  // fetch (undici) wraps the socket error: TypeError('fetch failed', { cause: { code } }).
  const cause = error['cause'];
  if (isRecord(cause) && typeof cause['code'] === 'string') return cause['code'];
  return undefined;
}

function headerOf(error: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const headers = error['headers'];
  if (!isRecord(headers)) return undefined;
  const value = headers[name];
  return typeof value === 'string' ? value : undefined;
}

function parseMaybeJson(body: unknown): unknown {
  if (typeof body !== 'string') return body;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

function withCause(mapped: MatrixRequestError, cause: unknown): MatrixRequestError {
  return new MatrixRequestError(mapped.code, mapped.message, {
    ...(mapped.httpStatus === undefined ? {} : { httpStatus: mapped.httpStatus }),
    ...(mapped.errcode === undefined ? {} : { errcode: mapped.errcode }),
    ...(mapped.retryAfterMs === undefined ? {} : { retryAfterMs: mapped.retryAfterMs }),
    cause: redactCause(cause),
  });
}

/**
 * The raw IncomingMessage the SDK throws holds the request, including the Authorization
 * header; keep only what helps an operator.
 */
function redactCause(cause: unknown): unknown {
  if (!isRecord(cause) || cause instanceof Error) return cause;
  return { statusCode: cause['statusCode'], body: cause['body'] };
}

function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}
