import { describe, expect, it } from 'vitest';
import { DaemonError } from '../shared/index.js';
import {
  MatrixRequestError,
  isTransientMatrixError,
  matrixErrorFromResponse,
  toMatrixRequestError,
} from './errors.js';

/** The shape of matrix-bot-sdk's MatrixError (models/MatrixError.js), without loading the SDK. */
class SdkLikeMatrixError extends Error {
  readonly errcode: string;
  readonly error: string;
  readonly retryAfterMs: number | undefined;
  constructor(
    readonly body: Record<string, unknown>,
    readonly statusCode: number,
  ) {
    super();
    this.errcode = String(body['errcode']);
    this.error = String(body['error']);
    this.retryAfterMs = body['retry_after_ms'] as number | undefined;
  }
}

function socketError(code: string, message = code): Error {
  return Object.assign(new Error(message), { code });
}

describe('toMatrixRequestError', () => {
  it('maps M_LIMIT_EXCEEDED to rate_limited with the server retry delay', () => {
    const error = toMatrixRequestError(
      new SdkLikeMatrixError(
        { errcode: 'M_LIMIT_EXCEEDED', error: 'Too Many Requests', retry_after_ms: 1234 },
        429,
      ),
      'PUT /send',
    );
    expect(error).toBeInstanceOf(MatrixRequestError);
    expect(error).toBeInstanceOf(DaemonError);
    expect(error.code).toBe('rate_limited');
    expect(error.retryAfterMs).toBe(1234);
    expect(error.httpStatus).toBe(429);
    expect(error.errcode).toBe('M_LIMIT_EXCEEDED');
    expect(error.kind).toBe('upstream');
    expect(error.message).toContain('PUT /send');
  });

  it.each([
    ['M_FORBIDDEN', 403, 'forbidden'],
    ['M_UNAUTHORIZED', 401, 'forbidden'],
    ['M_NOT_FOUND', 404, 'not_found'],
    ['M_UNKNOWN_TOKEN', 401, 'unknown_token'],
    ['M_MISSING_TOKEN', 401, 'unknown_token'],
    ['M_USER_IN_USE', 400, 'user_in_use'],
    ['M_ROOM_IN_USE', 400, 'room_in_use'],
    ['M_BAD_JSON', 400, 'bad_request'],
    ['M_UNRECOGNIZED', 404, 'bad_request'],
    ['M_UNKNOWN', 500, 'server_error'],
  ] as const)('maps %s (HTTP %i) to %s', (errcode, status, code) => {
    const error = toMatrixRequestError(new SdkLikeMatrixError({ errcode, error: 'x' }, status));
    expect(error.code).toBe(code);
    expect(error.errcode).toBe(errcode);
  });

  it('maps a raw non-2xx response without errcode by its status', () => {
    const response = {
      statusCode: 502,
      body: '<html>Bad Gateway</html>',
      headers: {},
      request: { headers: { Authorization: 'Bearer syt_secret_token_value' } },
    };
    const error = toMatrixRequestError(response, 'GET /sync');
    expect(error.code).toBe('server_error');
    expect(error.httpStatus).toBe(502);
    expect(JSON.stringify(error.cause)).not.toContain('syt_secret');
  });

  it('reads Retry-After from a raw 429 response without a Matrix body', () => {
    const error = toMatrixRequestError({
      statusCode: 429,
      body: '',
      headers: { 'retry-after': '3' },
    });
    expect(error.code).toBe('rate_limited');
    expect(error.retryAfterMs).toBe(3000);
  });

  it.each([
    ['ECONNREFUSED', 'network'],
    ['ECONNRESET', 'network'],
    ['ENOTFOUND', 'network'],
    ['ETIMEDOUT', 'timeout'],
    ['ESOCKETTIMEDOUT', 'timeout'],
  ] as const)('maps request library error %s to %s', (socketCode, code) => {
    const cause = socketError(socketCode);
    const error = toMatrixRequestError(cause);
    expect(error.code).toBe(code);
    expect(error.cause).toBe(cause);
  });

  it('maps fetch failures through their cause', () => {
    const error = toMatrixRequestError(
      new TypeError('fetch failed', { cause: socketError('ECONNREFUSED') }),
    );
    expect(error.code).toBe('network');
  });

  it('maps a timeout signal rejection to timeout', () => {
    const error = toMatrixRequestError(new DOMException('The operation timed out', 'TimeoutError'));
    expect(error.code).toBe('timeout');
  });

  it('passes a MatrixRequestError through unchanged', () => {
    const original = new MatrixRequestError('encryption_unavailable', 'no crypto');
    expect(toMatrixRequestError(original)).toBe(original);
  });

  it('maps anything else to unexpected, an internal error', () => {
    const error = toMatrixRequestError(new RangeError('boom'));
    expect(error.code).toBe('unexpected');
    expect(error.kind).toBe('internal');
  });
});

describe('matrixErrorFromResponse', () => {
  it('builds a rate limit error from a parsed body', () => {
    const error = matrixErrorFromResponse(
      429,
      { errcode: 'M_LIMIT_EXCEEDED', retry_after_ms: 50 },
      'POST /register',
    );
    expect(error.code).toBe('rate_limited');
    expect(error.retryAfterMs).toBe(50);
  });
});

describe('isTransientMatrixError', () => {
  it.each([
    ['rate_limited', true],
    ['server_error', true],
    ['network', true],
    ['timeout', true],
    ['invalid_response', true],
    ['forbidden', false],
    ['not_found', false],
    ['unknown_token', false],
    ['user_in_use', false],
    ['bad_request', false],
    ['encryption_unavailable', false],
    ['unexpected', false],
  ] as const)('classifies %s as transient=%s', (code, expected) => {
    expect(isTransientMatrixError(new MatrixRequestError(code, 'x'))).toBe(expected);
  });

  it('is false for errors that are not Matrix errors', () => {
    expect(isTransientMatrixError(new Error('ECONNREFUSED'))).toBe(false);
  });
});
