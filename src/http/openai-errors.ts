/**
 * OpenAI's error responses: `{"error": {"message", "type", "param", "code"}}`, and how a thrown
 * completion error maps to one. A message reaches the client only from a `CompletionError`
 * (whose messages are written to be shown); anything else is logged and answered generically.
 */
import type { Logger } from '../shared/index.js';
import { CompletionError } from './agent-completions.js';

/** OpenAI's error `type`s used here. */
export type OpenAiErrorType = 'invalid_request_error' | 'server_error' | 'rate_limit_error';
/** The statuses the API answers errors with. */
export type ErrorStatus = 400 | 401 | 404 | 413 | 429 | 500 | 502 | 503 | 504;

/** An error for the client: status, OpenAI type and code, and a message safe to show. */
export interface Failure {
  readonly status: ErrorStatus;
  readonly message: string;
  readonly type: OpenAiErrorType;
  readonly code: string | null;
  readonly param: string | null;
  readonly headers: Readonly<Record<string, string>>;
}

/** A JSON error response in OpenAI's shape. */
export function errorResponse(
  failure: Omit<Failure, 'param' | 'headers'> & Partial<Failure>,
): Response {
  const { status, message, type, code } = failure;
  return new Response(
    JSON.stringify({ error: { message, type, param: failure.param ?? null, code } }),
    {
      status,
      headers: { 'content-type': 'application/json; charset=utf-8', ...failure.headers },
    },
  );
}

/** What the client is told about an error thrown by a completion. */
export function failureOf(error: unknown, hasTimedOut: boolean, log: Logger): Failure {
  const base = { param: null, headers: {} };
  if (hasTimedOut) {
    return {
      ...base,
      status: 504,
      message: 'The agent took too long to answer.',
      type: 'server_error',
      code: 'timeout',
    };
  }
  if (error instanceof CompletionError) {
    switch (error.code) {
      case 'model_not_found':
        return {
          ...base,
          status: 404,
          message: error.message,
          type: 'invalid_request_error',
          code: 'model_not_found',
          param: 'model',
        };
      case 'invalid_request':
        return {
          ...base,
          status: 400,
          message: error.message,
          type: 'invalid_request_error',
          code: 'invalid_value',
        };
      case 'busy':
        return {
          ...base,
          status: 429,
          message: error.message,
          type: 'rate_limit_error',
          code: 'rate_limit_exceeded',
          headers: {
            'retry-after': String(Math.max(1, Math.ceil((error.retryAfterMs ?? 1_000) / 1_000))),
          },
        };
      case 'unavailable':
        return {
          ...base,
          status: 503,
          message: error.message,
          type: 'server_error',
          code: 'unavailable',
        };
      case 'upstream':
        return {
          ...base,
          status: 502,
          message: error.message,
          type: 'server_error',
          code: 'upstream_error',
        };
    }
  }
  log.error('openai completion failed', { error });
  return {
    ...base,
    status: 500,
    message: 'The agent failed to answer. The operator can find the cause in the log.',
    type: 'server_error',
    code: null,
  };
}

/** `text` made printable and short, for echoing a client's value in a message. */
export function clip(text: string): string {
  const printable = text.replace(/[^\x20-\x7e]/gu, '?');
  return printable.length <= 100 ? printable : `${printable.slice(0, 100)}…`;
}
