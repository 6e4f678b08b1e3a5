import { describe, expect, it } from 'vitest';
import {
  ModelError,
  modelErrorFromStatus,
  modelErrorFromUnknown,
  parseRetryAfterMs,
} from './errors.js';

const headers = (values: Record<string, string>): Headers => new Headers(values);
const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

describe('parseRetryAfterMs', () => {
  it('prefers retry-after-ms over retry-after', () => {
    expect(
      parseRetryAfterMs(headers({ 'retry-after-ms': '1500.4', 'retry-after': '9' }), NOW),
    ).toBe(1_500);
  });

  it('reads retry-after as seconds or as an HTTP date', () => {
    expect(parseRetryAfterMs(headers({ 'retry-after': '2' }), NOW)).toBe(2_000);
    const date = new Date(NOW + 30_000).toUTCString();
    expect(parseRetryAfterMs(headers({ 'retry-after': date }), NOW)).toBe(30_000);
  });

  it('treats absent, negative and unreadable values as no hint', () => {
    expect(parseRetryAfterMs(undefined, NOW)).toBeUndefined();
    expect(parseRetryAfterMs(headers({}), NOW)).toBeUndefined();
    expect(parseRetryAfterMs(headers({ 'retry-after': '-3' }), NOW)).toBeUndefined();
    expect(parseRetryAfterMs(headers({ 'retry-after': 'soon' }), NOW)).toBeUndefined();
  });
});

describe('modelErrorFromStatus', () => {
  const map = (
    status: number,
    detail = 'failure',
    values: Record<string, string> = {},
  ): ModelError => modelErrorFromStatus(status, detail, { headers: headers(values), nowMs: NOW });

  it('maps statuses to codes', () => {
    expect(map(429).code).toBe('rate_limited');
    expect(map(401).code).toBe('auth');
    expect(map(402).code).toBe('auth');
    expect(map(403).code).toBe('auth');
    expect(map(404).code).toBe('not_found');
    expect(map(408).code).toBe('timeout');
    expect(map(409).code).toBe('server_error');
    expect(map(422).code).toBe('bad_request');
    expect(map(500).code).toBe('server_error');
    expect(map(529).code).toBe('server_error');
  });

  it('recognises context-length failures from the provider text', () => {
    expect(map(400, 'This model maximum context length is 8192 tokens').code).toBe(
      'context_length',
    );
    expect(map(413, 'too many tokens').code).toBe('context_length');
    expect(map(400, 'invalid tool schema').code).toBe('bad_request');
  });

  it('keeps a retry-after hint on 429 and 503', () => {
    expect(map(429, 'x', { 'retry-after': '4' }).retryAfterMs).toBe(4_000);
    expect(map(503, 'x', { 'retry-after': '1' }).retryAfterMs).toBe(1_000);
  });

  it('keeps provider detail out of the user message', () => {
    const error = map(400, 'secret internal detail');
    expect(error.message).toContain('secret internal detail');
    expect(error.userMessage).toBe('The model service rejected the request (HTTP 400).');
  });
});

describe('modelErrorFromUnknown', () => {
  it('classifies network failures as connection errors', () => {
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    expect(modelErrorFromUnknown(new TypeError('fetch failed', { cause: reset })).code).toBe(
      'connection',
    );
    expect(modelErrorFromUnknown(new TypeError('terminated')).code).toBe('connection');
  });

  it('classifies anything else as an unreadable response', () => {
    expect(modelErrorFromUnknown(new SyntaxError('Unexpected token')).code).toBe(
      'invalid_response',
    );
  });
});

describe('ModelError', () => {
  it('marks only transient codes as retryable', () => {
    expect(new ModelError('timeout', 't').isRetryable).toBe(true);
    expect(new ModelError('connection', 'c').isRetryable).toBe(true);
    expect(new ModelError('auth', 'a').isRetryable).toBe(false);
    expect(new ModelError('context_length', 'l').isRetryable).toBe(false);
  });

  it('names the variable to set when a key is missing', () => {
    const error = new ModelError('missing_api_key', 'no key', { envVar: 'GROQ_API_KEY' });
    expect(error.userMessage).toBe(
      'The model has no API key configured. An operator needs to set GROQ_API_KEY (or GROQ_API_KEY_FILE).',
    );
    expect(error.kind).toBe('config');
  });
});
