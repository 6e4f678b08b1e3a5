/**
 * The scripted LLM server's view of one HTTP exchange: what was asked (the record tests
 * read back) and a channel to answer through (SSE or JSON), which notices the client
 * leaving and stamps the time of the first token.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleepTimer } from 'node:timers/promises';

/** Which API a request hit. */
export type ScriptedLlmApi = 'openai' | 'anthropic' | 'embeddings' | 'models';

/** One request the server received, as tests read it back. Times are `performance.now()` ms. */
export interface RecordedLlmRequest {
  /** 0-based arrival order. */
  readonly index: number;
  readonly api: ScriptedLlmApi;
  readonly method: string;
  readonly path: string;
  /** Lower-cased header names. */
  readonly headers: Readonly<Record<string, string>>;
  /** The parsed JSON body (`undefined` for GET). */
  readonly body: unknown;
  readonly model: string | undefined;
  readonly stream: boolean;
  /** The system prompt (OpenAI: the system/developer messages joined). */
  readonly system: string | undefined;
  readonly messages: readonly unknown[];
  readonly tools: readonly unknown[];
  /** Text of the last user message that has text, for matching and assertions. */
  readonly lastUserText: string;
  readonly receivedAtMs: number;
  /** When the first content chunk (or the whole plain body) was written. */
  readonly firstTokenAtMs: number | undefined;
  readonly finishedAtMs: number | undefined;
  /** True when the client closed the connection before the reply finished. */
  readonly isDisconnected: boolean;
  /** A label of the reply that answered (`text`, `failure 429`, `default`, ...). */
  readonly answeredWith: string | undefined;
}

/** The mutable form the server fills in. */
export type MutableRecord = { -readonly [K in keyof RecordedLlmRequest]: RecordedLlmRequest[K] };

/** A client disconnect before the reply finished. */
export interface DisconnectRecord {
  readonly request: RecordedLlmRequest;
  /** Content chunks written before the client left. */
  readonly chunksSent: number;
  readonly atMs: number;
}

/** Writes one reply; every write is a no-op once the client has gone. */
export class ReplyChannel {
  private contentChunks = 0;
  private isDropped = false;

  constructor(
    private readonly res: ServerResponse,
    readonly record: MutableRecord,
    /** Aborts when the client disconnects. */
    readonly signal: AbortSignal,
    private readonly dropAfterChunks: number | undefined,
  ) {}

  /** Content chunks written so far. */
  get chunksSent(): number {
    return this.contentChunks;
  }

  /** True while the client is there and the server has not cut the connection. */
  get isOpen(): boolean {
    return !this.signal.aborted && !this.isDropped && !this.res.destroyed;
  }

  /** True when the server cut the connection on purpose (`dropAfterChunks`). */
  get wasDroppedByServer(): boolean {
    return this.isDropped;
  }

  /** Waits `ms`; resolves false (early) when the client leaves. */
  async sleep(ms: number): Promise<boolean> {
    if (ms <= 0) return this.isOpen;
    try {
      await sleepTimer(ms, undefined, { signal: this.signal });
    } catch {
      return false;
    }
    return this.isOpen;
  }

  /** Sends the SSE response headers at once, as real providers do. */
  startSse(): void {
    if (!this.isOpen) return;
    this.res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    this.res.flushHeaders();
  }

  /**
   * Writes one SSE message. `isContent` marks chunks that carry tokens: the first one
   * stamps `firstTokenAtMs`, and `dropAfterChunks` counts them. Returns false when the
   * reply should stop (client gone, or connection cut).
   */
  sse(data: unknown, options: { event?: string; isContent?: boolean } = {}): boolean {
    if (!this.isOpen) return false;
    const payload = typeof data === 'string' ? data : JSON.stringify(data);
    const event = options.event === undefined ? '' : `event: ${options.event}\n`;
    const isLast =
      options.isContent === true &&
      this.dropAfterChunks !== undefined &&
      this.contentChunks + 1 >= this.dropAfterChunks;
    // Cut the socket only once this chunk reached the kernel, so the client gets it first.
    this.res.write(`${event}data: ${payload}\n\n`, () => {
      if (isLast) this.res.socket?.destroy();
    });
    if (options.isContent === true) {
      this.record.firstTokenAtMs ??= performance.now();
      this.contentChunks++;
    }
    if (isLast) this.isDropped = true;
    return !isLast;
  }

  /** Ends an SSE response. */
  end(): void {
    if (!this.isOpen) return;
    this.res.end();
    this.record.finishedAtMs = performance.now();
  }

  /** Sends a whole JSON response. */
  json(status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
    if (!this.isOpen) return;
    const text = JSON.stringify(body);
    this.res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text).toString(),
      ...headers,
    });
    this.res.end(text);
    if (status < 400) this.record.firstTokenAtMs ??= performance.now();
    this.record.finishedAtMs = performance.now();
  }

  /** Resolves when the client leaves (the `hang` reply). */
  async untilClosed(): Promise<void> {
    if (this.signal.aborted) return;
    await new Promise<void>((resolve) => {
      this.signal.addEventListener(
        'abort',
        () => {
          resolve();
        },
        { once: true },
      );
    });
  }
}

/** Builds the record of a request from its parsed body (OpenAI or Anthropic shape). */
export function recordOf(
  index: number,
  api: ScriptedLlmApi,
  req: IncomingMessage,
  path: string,
  body: unknown,
  receivedAtMs: number,
): MutableRecord {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  const data = (body ?? {}) as {
    model?: unknown;
    stream?: unknown;
    messages?: unknown;
    tools?: unknown;
    system?: unknown;
  };
  const messages = Array.isArray(data.messages) ? (data.messages as unknown[]) : [];
  return {
    index,
    api,
    method: req.method ?? 'GET',
    path,
    headers,
    body,
    model: typeof data.model === 'string' ? data.model : undefined,
    stream: data.stream === true,
    system: systemOf(data.system, messages),
    messages,
    tools: Array.isArray(data.tools) ? (data.tools as unknown[]) : [],
    lastUserText: lastUserText(messages),
    receivedAtMs,
    firstTokenAtMs: undefined,
    finishedAtMs: undefined,
    isDisconnected: false,
    answeredWith: undefined,
  };
}

/** Anthropic's `system` (string or text blocks), or OpenAI's system/developer messages. */
function systemOf(system: unknown, messages: readonly unknown[]): string | undefined {
  if (typeof system === 'string') return system;
  if (Array.isArray(system)) return textOf(system);
  const parts = messages
    .filter((m) => ['system', 'developer'].includes((m as { role?: unknown }).role as string))
    .map((m) => textOf((m as { content?: unknown }).content));
  return parts.length === 0 ? undefined : parts.join('\n');
}

function lastUserText(messages: readonly unknown[]): string {
  for (const message of [...messages].reverse()) {
    const { role, content } = message as { role?: unknown; content?: unknown };
    if (role !== 'user') continue;
    const text = textOf(content);
    if (text !== '') return text;
  }
  return '';
}

/** The text of a content value: a string, or the `text` of its text parts/blocks. */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part) => {
      const { type, text } = part as { type?: unknown; text?: unknown };
      return type === 'text' && typeof text === 'string' ? text : '';
    })
    .filter((text) => text !== '')
    .join('\n');
}
