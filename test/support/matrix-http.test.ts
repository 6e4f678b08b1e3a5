import { describe, expect, it } from 'vitest';
import { MatrixHttpError } from './matrix-http.js';

describe('MatrixHttpError', () => {
  it('carries errcode and retry_after_ms of a rate-limit answer', () => {
    const error = new MatrixHttpError(
      'PUT /send',
      429,
      { errcode: 'M_LIMIT_EXCEEDED', error: 'Too Many Requests', retry_after_ms: 1234 },
      '2',
    );
    expect(error.status).toBe(429);
    expect(error.errcode).toBe('M_LIMIT_EXCEEDED');
    expect(error.retryAfterMs).toBe(1234);
    expect(error.message).toBe('PUT /send → 429 M_LIMIT_EXCEEDED Too Many Requests');
  });

  it('falls back to the Retry-After header in seconds', () => {
    const error = new MatrixHttpError('PUT /send', 429, { errcode: 'M_LIMIT_EXCEEDED' }, '3');
    expect(error.retryAfterMs).toBe(3000);
  });

  it('keeps a body that is not JSON', () => {
    const error = new MatrixHttpError('GET /x', 502, 'Bad Gateway', null);
    expect(error.errcode).toBeUndefined();
    expect(error.retryAfterMs).toBeUndefined();
    expect(error.body).toBe('Bad Gateway');
    expect(error.message).toBe('GET /x → 502 "Bad Gateway"');
  });
});
