/**
 * The OpenAI-compatible API (MindRoom's `docs/openai-api.md`): `GET /v1/models` lists the
 * agents and teams, `POST /v1/chat/completions` runs one (JSON, or SSE ending in
 * `data: [DONE]`), with OpenAI's error shapes, bearer keys, a body size limit, a cap on
 * requests in flight and a deadline. Known secrets never leave in a response.
 */
import { randomUUID } from 'node:crypto';
import type { Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { AbortReason, linkSignal, type Logger, type QuorumMetrics } from '../shared/index.js';
import {
  CompletionError,
  type AgentCompletions,
  type CompletionRequest,
} from './agent-completions.js';
import { checkBearer, type OpenAiAuthSettings } from './openai-auth.js';
import { parseChatRequest } from './openai-request.js';
import { SecretRedactor } from './secret-redactor.js';
import { streamCompletion, usageOf, type ChunkFrame } from './openai-stream.js';

/** Largest request body accepted (1 MiB). */
export const DEFAULT_MAX_BODY_BYTES = 1_048_576;
/** Requests answered at once; more get 429. */
export const DEFAULT_MAX_CONCURRENT = 16;
/** Longest a completion may take (10 minutes). */
export const DEFAULT_COMPLETION_TIMEOUT_MS = 600_000;

/** Options of {@link mountOpenAiApi}. */
export interface OpenAiApiOptions {
  readonly completions: AgentCompletions;
  readonly auth: OpenAiAuthSettings;
  readonly log: Logger;
  readonly metrics?: QuorumMetrics;
  /** The daemon's secret scrubber, applied to every text sent. */
  readonly scrub?: (text: string) => string;
  /** More secret values to replace in responses (the API keys are always included). */
  readonly secrets?: readonly string[];
  /** Aborts every completion in flight (shutdown). */
  readonly signal?: AbortSignal;
  readonly maxBodyBytes?: number;
  readonly maxConcurrent?: number;
  readonly timeoutMs?: number;
  /** Epoch ms, for `created` fields; defaults to `Date.now`. */
  readonly now?: () => number;
}

type ErrorType = 'invalid_request_error' | 'server_error' | 'rate_limit_error';
type Status = 400 | 401 | 404 | 413 | 429 | 500 | 502 | 503 | 504;

/** OpenAI's error body: `{"error": {"message", "type", "param", "code"}}`. */
function openAiError(
  status: Status,
  message: string,
  type: ErrorType,
  code: string | null,
  param: string | null = null,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify({ error: { message, type, param, code } }), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  });
}

/** Adds the `/v1` routes to `app`. */
export function mountOpenAiApi(app: Hono, options: OpenAiApiOptions): void {
  const now = options.now ?? Date.now;
  const createdS = Math.floor(now() / 1_000);
  const redactor = new SecretRedactor(
    [...options.auth.apiKeys, ...(options.secrets ?? [])],
    options.scrub,
  );
  let inFlight = 0;
  const count = (route: string, status: number): void => {
    options.metrics?.openAiRequests.inc({ route, status: String(status) });
  };

  // Authentication first, for every /v1 path (unknown ones included).
  app.use('/v1/*', async (c, next) => {
    const check = checkBearer(c.req.header('authorization'), options.auth);
    if (!check.ok) {
      count('auth', 401);
      const message =
        check.reason === 'locked'
          ? 'The OpenAI-compatible API is locked: the operator has set no OPENAI_COMPAT_API_KEYS.'
          : check.reason === 'missing'
            ? "You didn't provide an API key. Send it as 'Authorization: Bearer <key>'."
            : 'Incorrect API key provided.';
      return openAiError(401, message, 'invalid_request_error', 'invalid_api_key', null, {
        'www-authenticate': 'Bearer',
      });
    }
    await next();
    return undefined;
  });

  app.get('/v1/models', (c) => {
    count('models', 200);
    return c.json({
      object: 'list',
      data: options.completions.models().map((model) => ({
        id: model.id,
        object: 'model',
        created: createdS,
        owned_by: 'quorum',
        name: model.name,
      })),
    });
  });

  app.get('/v1/models/:id{.+}', (c) => {
    const id = c.req.param('id');
    const model = options.completions.models().find((m) => m.id === id);
    if (model === undefined) {
      count('models', 404);
      return openAiError(
        404,
        `The model '${clip(id)}' does not exist.`,
        'invalid_request_error',
        'model_not_found',
        'model',
      );
    }
    count('models', 200);
    return c.json({
      id: model.id,
      object: 'model',
      created: createdS,
      owned_by: 'quorum',
      name: model.name,
    });
  });

  app.post(
    '/v1/chat/completions',
    bodyLimit({
      maxSize: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      onError: () => {
        count('chat', 413);
        return openAiError(
          413,
          'The request body is too large.',
          'invalid_request_error',
          'request_too_large',
        );
      },
    }),
    async (c) => {
      const caller = checkBearer(c.req.header('authorization'), options.auth);
      if (!caller.ok) throw new Error('unreachable: the /v1 middleware checked the key');
      let body: unknown;
      try {
        body = JSON.parse(await c.req.text()) as unknown;
      } catch {
        count('chat', 400);
        return openAiError(
          400,
          'We could not parse the JSON body of your request.',
          'invalid_request_error',
          null,
        );
      }
      const parsed = parseChatRequest(body);
      if (!parsed.ok) {
        count('chat', 400);
        return openAiError(
          400,
          parsed.message,
          'invalid_request_error',
          'invalid_value',
          parsed.param,
        );
      }
      if (!options.completions.models().some((model) => model.id === parsed.model)) {
        count('chat', 404);
        return openAiError(
          404,
          `The model '${clip(parsed.model)}' does not exist.`,
          'invalid_request_error',
          'model_not_found',
          'model',
        );
      }
      if (inFlight >= (options.maxConcurrent ?? DEFAULT_MAX_CONCURRENT)) {
        count('chat', 429);
        return openAiError(
          429,
          'Too many requests in flight; try again shortly.',
          'rate_limit_error',
          'rate_limit_exceeded',
          null,
          {
            'retry-after': '1',
          },
        );
      }
      const request: CompletionRequest = {
        model: parsed.model,
        messages: parsed.messages,
        sessionId: `${caller.namespace}:${sessionOf(c)}`,
        caller: caller.caller,
      };
      const id = `chatcmpl-${randomUUID().replace(/-/gu, '')}`;
      const frame: ChunkFrame = { id, created: Math.floor(now() / 1_000), model: parsed.model };
      const timeout = AbortSignal.timeout(options.timeoutMs ?? DEFAULT_COMPLETION_TIMEOUT_MS);
      const linked = linkSignal(c.req.raw.signal, options.signal, timeout);
      inFlight += 1;
      const done = (): void => {
        inFlight -= 1;
        linked.cleanup();
      };
      const startedMs = now();
      if (parsed.stream) {
        count('chat_stream', 200);
        const stream = streamCompletion({
          deltas: options.completions.stream(request, { signal: linked.signal }),
          frame,
          includeUsage: parsed.includeUsage,
          redactor,
          abort: () => {
            linked.abort(new AbortReason('stopped', 'the client closed the stream'));
          },
          onEnd: (outcome) => {
            done();
            options.log.info('openai completion streamed', {
              caller: caller.caller,
              model: parsed.model,
              outcome,
              durationMs: now() - startedMs,
            });
          },
          errorOf: (error) => describeFailure(error, timeout.aborted, options.log),
        });
        return new Response(stream, {
          status: 200,
          headers: {
            'content-type': 'text/event-stream; charset=utf-8',
            'cache-control': 'no-cache',
            connection: 'keep-alive',
            'x-accel-buffering': 'no',
          },
        });
      }
      try {
        const result = await options.completions.complete(request, { signal: linked.signal });
        count('chat', 200);
        options.log.info('openai completion', {
          caller: caller.caller,
          model: parsed.model,
          durationMs: now() - startedMs,
        });
        return c.json({
          id,
          object: 'chat.completion',
          created: frame.created,
          model: parsed.model,
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: redactor.redact(result.text), refusal: null },
              finish_reason: result.finishReason,
              logprobs: null,
            },
          ],
          usage: usageOf(result.usage),
        });
      } catch (error: unknown) {
        const failure = describeFailure(error, timeout.aborted, options.log);
        count('chat', failure.status);
        return openAiError(
          failure.status,
          redactor.redact(failure.message),
          failure.type,
          failure.code,
          failure.param,
          failure.headers,
        );
      } finally {
        done();
      }
    },
  );

  app.all('/v1/*', (c) => {
    count('unknown', 404);
    return openAiError(
      404,
      `Invalid URL (${c.req.method} ${clip(c.req.path)})`,
      'invalid_request_error',
      'unknown_url',
    );
  });
}

/** An error for the client: status, OpenAI type and code, and a message safe to show. */
export interface Failure {
  readonly status: Status;
  readonly message: string;
  readonly type: ErrorType;
  readonly code: string | null;
  readonly param: string | null;
  readonly headers: Record<string, string>;
}

function describeFailure(error: unknown, hasTimedOut: boolean, log: Logger): Failure {
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

/** The client's conversation id (`X-Session-Id`, then LibreChat's header), else a new one. */
function sessionOf(c: Context): string {
  const raw = c.req.header('x-session-id') ?? c.req.header('x-librechat-conversation-id') ?? '';
  const clean = raw.replace(/[^\w.:@-]/gu, '').slice(0, 200);
  return clean === '' ? randomUUID() : clean;
}

function clip(text: string): string {
  const printable = text.replace(/[^\x20-\x7e]/gu, '?');
  return printable.length <= 100 ? printable : `${printable.slice(0, 100)}…`;
}
