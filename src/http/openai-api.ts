/**
 * The OpenAI-compatible API (MindRoom's `docs/openai-api.md`): `GET /v1/models` lists the
 * agents and teams, `POST /v1/chat/completions` runs one (JSON, or SSE ending in
 * `data: [DONE]`), with OpenAI's error shapes, bearer keys, a body size limit, a cap on
 * requests in flight and a deadline. Known secrets never leave in a response.
 */
import { randomUUID } from 'node:crypto';
import type { Context, Hono, Next } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import {
  AbortReason,
  linkSignal,
  type LinkedSignal,
  type Logger,
  type QuorumMetrics,
} from '../shared/index.js';
import type { AgentCompletions, CompletionModel, CompletionRequest } from './agent-completions.js';
import { checkBearer, type OpenAiAuthSettings } from './openai-auth.js';
import { clip, errorResponse, failureOf } from './openai-errors.js';
import { parseChatRequest } from './openai-request.js';
import { streamCompletion, usageOf, type ApiScrubber, type ChunkFrame } from './openai-stream.js';

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
  /**
   * The daemon's secret scrubber, applied to every text sent (streams through its `stream`,
   * so a secret split across chunks never leaves in halves). It must know the API keys.
   */
  readonly scrubber: ApiScrubber;
  /** Aborts every completion in flight (shutdown). */
  readonly signal?: AbortSignal;
  readonly maxBodyBytes?: number;
  readonly maxConcurrent?: number;
  readonly timeoutMs?: number;
  /** Epoch ms, for `created` fields; defaults to `Date.now`. */
  readonly now?: () => number;
}

/** Adds the `/v1` routes to `app`. */
export function mountOpenAiApi(app: Hono, options: OpenAiApiOptions): void {
  new OpenAiApi(options).mount(app);
}

/** One accepted chat request, ready to run. */
interface Accepted {
  readonly request: CompletionRequest;
  readonly stream: boolean;
  readonly includeUsage: boolean;
  readonly frame: ChunkFrame;
}

const MODEL_NOT_FOUND = (model: string): Response =>
  errorResponse({
    status: 404,
    message: `The model '${clip(model)}' does not exist.`,
    type: 'invalid_request_error',
    code: 'model_not_found',
    param: 'model',
  });

class OpenAiApi {
  private readonly now: () => number;
  private readonly createdS: number;
  private inFlight = 0;

  constructor(private readonly options: OpenAiApiOptions) {
    this.now = options.now ?? Date.now;
    this.createdS = Math.floor(this.now() / 1_000);
  }

  mount(app: Hono): void {
    // Authentication first, for every /v1 path (unknown ones included).
    app.use('/v1/*', (c, next) => this.authenticate(c.req.header('authorization'), next));
    app.get('/v1/models', (c) => {
      this.count('models', 200);
      return c.json({
        object: 'list',
        data: this.options.completions.models().map((m) => this.modelJson(m)),
      });
    });
    app.get('/v1/models/:id{.+}', (c) => {
      const id = c.req.param('id');
      const model = this.options.completions.models().find((m) => m.id === id);
      this.count('models', model === undefined ? 404 : 200);
      return model === undefined ? MODEL_NOT_FOUND(id) : c.json(this.modelJson(model));
    });
    const limit = bodyLimit({
      maxSize: this.options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      onError: () => {
        this.count('chat', 413);
        return errorResponse({
          status: 413,
          message: 'The request body is too large.',
          type: 'invalid_request_error',
          code: 'request_too_large',
        });
      },
    });
    app.post('/v1/chat/completions', limit, (c) => this.chat(c));
    app.all('/v1/*', (c) => {
      this.count('unknown', 404);
      return errorResponse({
        status: 404,
        message: `Invalid URL (${c.req.method} ${clip(c.req.path)})`,
        type: 'invalid_request_error',
        code: 'unknown_url',
      });
    });
  }

  private count(route: string, status: number): void {
    this.options.metrics?.openAiRequests.inc({ route, status: String(status) });
  }

  private modelJson(model: CompletionModel): Record<string, unknown> {
    return {
      id: model.id,
      object: 'model',
      created: this.createdS,
      owned_by: 'quorum',
      name: model.name,
    };
  }

  private async authenticate(
    authorization: string | undefined,
    next: Next,
  ): Promise<Response | undefined> {
    const check = checkBearer(authorization, this.options.auth);
    if (check.ok) {
      await next();
      return undefined;
    }
    this.count('auth', 401);
    const message =
      check.reason === 'locked'
        ? 'The OpenAI-compatible API is locked: the operator has set no OPENAI_COMPAT_API_KEYS.'
        : check.reason === 'missing'
          ? "You didn't provide an API key. Send it as 'Authorization: Bearer <key>'."
          : 'Incorrect API key provided.';
    return errorResponse({
      status: 401,
      message,
      type: 'invalid_request_error',
      code: 'invalid_api_key',
      headers: { 'www-authenticate': 'Bearer' },
    });
  }

  /** Reads and checks the request; a Response is the refusal. */
  private async accept(c: Context): Promise<Accepted | Response> {
    const caller = checkBearer(c.req.header('authorization'), this.options.auth);
    if (!caller.ok) throw new Error('unreachable: the /v1 middleware checked the key');
    let body: unknown;
    try {
      body = JSON.parse(await c.req.text()) as unknown;
    } catch {
      return errorResponse({
        status: 400,
        message: 'We could not parse the JSON body of your request.',
        type: 'invalid_request_error',
        code: null,
      });
    }
    const parsed = parseChatRequest(body);
    if (!parsed.ok) {
      return errorResponse({
        status: 400,
        message: parsed.message,
        type: 'invalid_request_error',
        code: 'invalid_value',
        param: parsed.param,
      });
    }
    if (!this.options.completions.models().some((model) => model.id === parsed.model))
      return MODEL_NOT_FOUND(parsed.model);
    if (this.inFlight >= (this.options.maxConcurrent ?? DEFAULT_MAX_CONCURRENT)) {
      return errorResponse({
        status: 429,
        message: 'Too many requests in flight; try again shortly.',
        type: 'rate_limit_error',
        code: 'rate_limit_exceeded',
        headers: { 'retry-after': '1' },
      });
    }
    return {
      request: {
        model: parsed.model,
        messages: parsed.messages,
        sessionId: `${caller.namespace}:${sessionOf(c)}`,
        caller: caller.caller,
      },
      stream: parsed.stream,
      includeUsage: parsed.includeUsage,
      frame: {
        id: `chatcmpl-${randomUUID().replace(/-/gu, '')}`,
        created: Math.floor(this.now() / 1_000),
        model: parsed.model,
      },
    };
  }

  private async chat(c: Context): Promise<Response> {
    const accepted = await this.accept(c);
    if (accepted instanceof Response) {
      this.count('chat', accepted.status);
      return accepted;
    }
    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? DEFAULT_COMPLETION_TIMEOUT_MS);
    const linked = linkSignal(c.req.raw.signal, this.options.signal, timeout);
    this.inFlight += 1;
    let isReleased = false;
    const release = (): void => {
      if (isReleased) return;
      isReleased = true;
      this.inFlight -= 1;
      linked.cleanup();
    };
    if (accepted.stream) {
      try {
        return this.respondStream(accepted, linked, timeout, release);
      } catch (error: unknown) {
        // A stream() that throws before yielding anything: answer like a failed request.
        release();
        const failure = failureOf(error, timeout.aborted, this.options.log);
        this.count('chat_stream', failure.status);
        return errorResponse({ ...failure, message: this.options.scrubber.scrub(failure.message) });
      }
    }
    try {
      return await this.respondJson(accepted, linked.signal, timeout);
    } finally {
      release();
    }
  }

  private async respondJson(
    accepted: Accepted,
    signal: AbortSignal,
    timeout: AbortSignal,
  ): Promise<Response> {
    const { request, frame } = accepted;
    const startedMs = this.now();
    try {
      const result = await this.options.completions.complete(request, { signal });
      this.count('chat', 200);
      this.options.log.info('openai completion', {
        caller: request.caller,
        model: request.model,
        durationMs: this.now() - startedMs,
      });
      const message = {
        role: 'assistant',
        content: this.options.scrubber.scrub(result.text),
        refusal: null,
      };
      const choice = { index: 0, message, finish_reason: result.finishReason, logprobs: null };
      return Response.json({
        id: frame.id,
        object: 'chat.completion',
        created: frame.created,
        model: request.model,
        choices: [choice],
        usage: usageOf(result.usage),
      });
    } catch (error: unknown) {
      const failure = failureOf(error, timeout.aborted, this.options.log);
      this.count('chat', failure.status);
      return errorResponse({ ...failure, message: this.options.scrubber.scrub(failure.message) });
    }
  }

  private respondStream(
    accepted: Accepted,
    linked: LinkedSignal,
    timeout: AbortSignal,
    release: () => void,
  ): Response {
    const { request } = accepted;
    const startedMs = this.now();
    this.count('chat_stream', 200);
    const body = streamCompletion({
      deltas: this.options.completions.stream(request, { signal: linked.signal }),
      frame: accepted.frame,
      includeUsage: accepted.includeUsage,
      scrubber: this.options.scrubber,
      abort: () => {
        linked.abort(new AbortReason('stopped', 'the client closed the stream'));
      },
      onEnd: (outcome) => {
        release();
        this.options.log.info('openai completion streamed', {
          caller: request.caller,
          model: request.model,
          outcome,
          durationMs: this.now() - startedMs,
        });
      },
      errorOf: (error) => failureOf(error, timeout.aborted, this.options.log),
    });
    return new Response(body, {
      status: 200,
      headers: {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      },
    });
  }
}

/** The client's conversation id (`X-Session-Id`, then LibreChat's header), else a new one. */
function sessionOf(c: Context): string {
  const raw = c.req.header('x-session-id') ?? c.req.header('x-librechat-conversation-id') ?? '';
  const clean = raw.replace(/[^\w.:@-]/gu, '').slice(0, 200);
  return clean === '' ? randomUUID() : clean;
}
