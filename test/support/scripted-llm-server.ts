/**
 * A scripted OpenAI- and Anthropic-compatible HTTP server for tests, on 127.0.0.1 and a
 * free port. Clients reach it through their real SDKs (OpenAI: `openAiBaseUrl`,
 * Anthropic: `anthropicBaseUrl`). Serves:
 *
 * - `POST /v1/chat/completions` (plain and SSE), `POST /v1/embeddings` (hashed vectors),
 *   `GET /v1/models`;
 * - `POST /v1/messages` (plain and SSE with the real event sequence).
 *
 * Each test scripts replies: rules (`when`) match on model id, API or a predicate over
 * the request; a queue (`enqueue`) answers the rest in order; the default reply (an error
 * unless set) answers anything else. Every request is recorded, client disconnects are
 * observable (`disconnects`, `onDisconnect`, `waitForDisconnect`), and the time the first
 * token left the server is stamped per request.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  anthropicErrorBody,
  anthropicModelsBody,
  writeAnthropicReply,
} from './scripted-llm-anthropic.js';
import {
  openAiEmbeddingsBody,
  openAiErrorBody,
  openAiModelsBody,
  writeOpenAiReply,
} from './scripted-llm-openai.js';
import type { ScriptedLlmReply } from './scripted-llm-replies.js';
import type {
  DisconnectRecord,
  MutableRecord,
  RecordedLlmRequest,
  ScriptedLlmApi,
} from './scripted-llm-wire.js';
import { ReplyChannel, recordOf } from './scripted-llm-wire.js';

export type { DisconnectRecord, RecordedLlmRequest, ScriptedLlmApi } from './scripted-llm-wire.js';
export { llmReply } from './scripted-llm-replies.js';
export type {
  ScriptedLlmReply,
  ScriptedToolCall,
  ScriptedUsage,
  StreamPacing,
} from './scripted-llm-replies.js';

/** Which requests a rule answers; every given field must match. */
export interface ScriptedLlmMatch {
  /** The request's `model`: exact string or pattern. */
  readonly model?: string | RegExp;
  readonly api?: ScriptedLlmApi;
  /** The last user message's text contains this. */
  readonly lastUserMessageIncludes?: string;
  readonly when?: (request: RecordedLlmRequest) => boolean;
}

/** Options of {@link ScriptedLlmServer.start}. */
export interface ScriptedLlmServerOptions {
  /** Answer for unmatched chat requests; default `'error'` (HTTP 500 naming the request). */
  readonly defaultReply?: ScriptedLlmReply | 'error';
  /** Model ids listed by `GET /v1/models` (rules' string models are added). */
  readonly models?: readonly string[];
  /** Embedding length when the request names none; default 64. */
  readonly embeddingDimensions?: number;
}

interface Rule {
  readonly match: ScriptedLlmMatch;
  readonly reply: ScriptedLlmReply;
  remaining: number;
}

/** See the file comment. Call `close()` in `afterEach`/`afterAll` to free the port. */
export class ScriptedLlmServer {
  /** Every request received, in arrival order. */
  readonly requests: RecordedLlmRequest[] = [];
  /** Client disconnects before a reply finished, in order. */
  readonly disconnects: DisconnectRecord[] = [];
  /** Requests no rule, queue entry or default answered. */
  readonly unmatched: RecordedLlmRequest[] = [];
  private readonly rules: Rule[] = [];
  private readonly queue: Rule[] = [];
  private readonly disconnectListeners = new Set<(record: DisconnectRecord) => void>();
  private readonly requestListeners = new Set<(record: RecordedLlmRequest) => void>();
  private disconnectCursor = 0;
  private defaultReply: ScriptedLlmReply | 'error';

  private constructor(
    private readonly server: Server,
    private readonly options: ScriptedLlmServerOptions,
    /** `http://127.0.0.1:<port>`. */
    readonly url: string,
  ) {
    this.defaultReply = options.defaultReply ?? 'error';
  }

  /** Starts a server on 127.0.0.1 and a free port. */
  static async start(options: ScriptedLlmServerOptions = {}): Promise<ScriptedLlmServer> {
    // The handler needs the instance, which needs the listening server's port.
    const holder: { instance?: ScriptedLlmServer } = {};
    const server = createServer({ noDelay: true, keepAliveTimeout: 1_000 }, (req, res) => {
      holder.instance?.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`scripted server failed: ${String(error)}`);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    const instance = new ScriptedLlmServer(server, options, `http://127.0.0.1:${port}`);
    holder.instance = instance;
    return instance;
  }

  /** Base URL for the openai SDK (`.../v1`). */
  get openAiBaseUrl(): string {
    return `${this.url}/v1`;
  }

  /** Base URL for @anthropic-ai/sdk (it appends `/v1/messages`). */
  get anthropicBaseUrl(): string {
    return this.url;
  }

  /** Queues replies answered in order by requests no rule matched. */
  enqueue(...replies: ScriptedLlmReply[]): this {
    for (const reply of replies) this.queue.push({ match: {}, reply, remaining: 1 });
    return this;
  }

  /** Answers requests matching `match` with `reply`, `times` times (default: always). */
  when(match: ScriptedLlmMatch, reply: ScriptedLlmReply, options: { times?: number } = {}): this {
    this.rules.push({ match, reply, remaining: options.times ?? Number.POSITIVE_INFINITY });
    return this;
  }

  /** Sets the answer for unmatched requests (`'error'`: HTTP 500). */
  setDefaultReply(reply: ScriptedLlmReply | 'error'): this {
    this.defaultReply = reply;
    return this;
  }

  /** Queued replies not yet used. */
  get pendingReplies(): number {
    return this.queue.length;
  }

  /** Forgets rules, queue, records and the default reply (back to the start options). */
  reset(): void {
    this.rules.length = 0;
    this.queue.length = 0;
    this.requests.length = 0;
    this.disconnects.length = 0;
    this.unmatched.length = 0;
    this.disconnectCursor = 0;
    this.defaultReply = this.options.defaultReply ?? 'error';
  }

  /** Calls `listener` on each client disconnect; returns the unsubscribe function. */
  onDisconnect(listener: (record: DisconnectRecord) => void): () => void {
    this.disconnectListeners.add(listener);
    return () => this.disconnectListeners.delete(listener);
  }

  /**
   * The next disconnect not yet returned by this method (one that already happened
   * counts). Rejects after `timeoutMs` (default 5 000) so a missing disconnect fails the
   * test instead of hanging it.
   */
  waitForDisconnect(options: { timeoutMs?: number } = {}): Promise<DisconnectRecord> {
    const existing = this.disconnects[this.disconnectCursor];
    if (existing !== undefined) {
      this.disconnectCursor++;
      return Promise.resolve(existing);
    }
    return this.waitFor(this.disconnectListeners, options.timeoutMs, 'client disconnect', () => {
      this.disconnectCursor++;
    });
  }

  /** Resolves with the next request that arrives (after this call). */
  waitForRequest(options: { timeoutMs?: number } = {}): Promise<RecordedLlmRequest> {
    return this.waitFor(this.requestListeners, options.timeoutMs, 'request');
  }

  /** Stops listening and cuts every open connection (hanging replies included). */
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => {
      this.server.close(() => {
        resolve();
      });
    });
  }

  private waitFor<T>(
    listeners: Set<(value: T) => void>,
    timeoutMs = 5_000,
    what: string,
    onResolve: () => void = () => undefined,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const listener = (value: T): void => {
        clearTimeout(timer);
        listeners.delete(listener);
        onResolve();
        resolve(value);
      };
      const timer = setTimeout(() => {
        listeners.delete(listener);
        reject(new Error(`scripted LLM server: no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      listeners.add(listener);
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const receivedAtMs = performance.now();
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const api = apiOf(req.method ?? 'GET', path);
    const text = await readBody(req);
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'body is not JSON' } }));
      return;
    }
    if (api === undefined) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `no route ${req.method ?? ''} ${path}` } }));
      return;
    }
    const record = recordOf(this.requests.length, api, req, path, body, receivedAtMs);
    this.requests.push(record);
    for (const listener of [...this.requestListeners]) listener(record);

    const reply = this.replyFor(record);
    const controller = new AbortController();
    const dropAfter =
      reply !== undefined && 'dropAfterChunks' in reply ? reply.dropAfterChunks : undefined;
    const channel = new ReplyChannel(res, record, controller.signal, dropAfter);
    res.on('close', () => {
      if (res.writableFinished || channel.wasDroppedByServer) return;
      record.isDisconnected = true;
      controller.abort();
      const disconnect = {
        request: record,
        chunksSent: channel.chunksSent,
        atMs: performance.now(),
      };
      this.disconnects.push(disconnect);
      for (const listener of [...this.disconnectListeners]) listener(disconnect);
    });
    await this.answer(channel, api, reply);
  }

  private async answer(
    channel: ReplyChannel,
    api: ScriptedLlmApi,
    reply: ScriptedLlmReply | undefined,
  ): Promise<void> {
    const { record } = channel;
    if (reply === undefined && api === 'models') {
      const models = [
        ...(this.options.models ?? []),
        ...this.rules.flatMap((r) => (typeof r.match.model === 'string' ? [r.match.model] : [])),
      ];
      const unique = [...new Set(models)];
      channel.json(
        200,
        record.headers['anthropic-version'] === undefined
          ? openAiModelsBody(unique)
          : anthropicModelsBody(unique),
      );
      return;
    }
    if (reply === undefined && api === 'embeddings') {
      channel.json(200, openAiEmbeddingsBody(record.body, this.options.embeddingDimensions ?? 64));
      return;
    }
    if (reply === undefined) {
      record.answeredWith = 'unmatched';
      this.unmatched.push(record);
      const message = `scripted LLM server: no reply scripted for request #${record.index} (${api}, model ${record.model ?? '?'})`;
      channel.json(
        500,
        api === 'anthropic'
          ? { type: 'error', error: { type: 'api_error', message } }
          : { error: { message, type: 'server_error' } },
      );
      return;
    }
    switch (reply.kind) {
      case 'hang':
        await channel.untilClosed();
        return;
      case 'failure': {
        const headers: Record<string, string> = { ...reply.headers };
        if (reply.retryAfter !== undefined) headers['retry-after'] = String(reply.retryAfter);
        const errorBody =
          reply.body ??
          (api === 'anthropic' ? anthropicErrorBody(reply.status) : openAiErrorBody(reply.status));
        channel.json(reply.status, errorBody, headers);
        return;
      }
      case 'text':
      case 'tool_calls':
      case 'json':
        if (api === 'anthropic') await writeAnthropicReply(channel, reply);
        else await writeOpenAiReply(channel, reply);
    }
  }

  /** Rules first (in order added), then the queue, then the default. */
  private replyFor(record: MutableRecord): ScriptedLlmReply | undefined {
    const isChat = record.api === 'openai' || record.api === 'anthropic';
    const take = (rules: Rule[], from: 'rule' | 'queue'): ScriptedLlmReply | undefined => {
      const index = rules.findIndex(
        (rule) => rule.remaining > 0 && matches(rule.match, record, isChat),
      );
      const rule = rules[index];
      if (rule === undefined) return undefined;
      rule.remaining--;
      if (from === 'queue') rules.splice(index, 1);
      record.answeredWith = `${from} ${labelOf(rule.reply)}`;
      return rule.reply;
    };
    const scripted = take(this.rules, 'rule') ?? (isChat ? take(this.queue, 'queue') : undefined);
    if (scripted !== undefined || !isChat) return scripted;
    if (this.defaultReply === 'error') return undefined;
    record.answeredWith = `default ${labelOf(this.defaultReply)}`;
    return this.defaultReply;
  }
}

/** Chat rules answer chat APIs unless they name another API explicitly. */
function matches(match: ScriptedLlmMatch, record: RecordedLlmRequest, isChat: boolean): boolean {
  if (match.api !== undefined ? match.api !== record.api : !isChat) return false;
  if (typeof match.model === 'string' && match.model !== record.model) return false;
  if (match.model instanceof RegExp && !match.model.test(record.model ?? '')) return false;
  if (
    match.lastUserMessageIncludes !== undefined &&
    !record.lastUserText.includes(match.lastUserMessageIncludes)
  ) {
    return false;
  }
  return match.when === undefined || match.when(record);
}

function labelOf(reply: ScriptedLlmReply): string {
  return reply.kind === 'failure' ? `failure ${reply.status}` : reply.kind;
}

function apiOf(method: string, path: string): ScriptedLlmApi | undefined {
  if (method === 'POST' && path === '/v1/chat/completions') return 'openai';
  if (method === 'POST' && path === '/v1/messages') return 'anthropic';
  if (method === 'POST' && path === '/v1/embeddings') return 'embeddings';
  if (method === 'GET' && path === '/v1/models') return 'models';
  return undefined;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
