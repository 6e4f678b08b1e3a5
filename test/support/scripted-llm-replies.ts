/**
 * What the scripted LLM server answers with, protocol-neutral: each reply is rendered as
 * an OpenAI chat completion or an Anthropic message, plain or streamed, by the protocol
 * writers.
 */

/** Pacing of a streamed reply (ignored, except `firstTokenDelayMs`, for plain replies). */
export interface StreamPacing {
  /** Characters per streamed chunk; default: the whole text in one chunk. */
  readonly chunkSize?: number;
  /** Wait between chunks, in ms; default 0. */
  readonly chunkDelayMs?: number;
  /** Wait before the first token (the whole reply when not streaming), in ms; default 0. */
  readonly firstTokenDelayMs?: number;
  /** Cut the connection after this many content chunks (a mid-stream network failure). */
  readonly dropAfterChunks?: number;
}

/** Token counts to report instead of the server's estimate. */
export interface ScriptedUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
}

/** A tool call the scripted model makes. `arguments` may be a value or raw JSON text. */
export interface ScriptedToolCall {
  readonly id?: string;
  readonly name: string;
  readonly arguments: unknown;
}

/** One scripted answer. */
export type ScriptedLlmReply =
  | (StreamPacing & {
      readonly kind: 'text';
      readonly text: string;
      readonly finishReason?: 'stop' | 'length';
      readonly usage?: ScriptedUsage;
    })
  | (StreamPacing & {
      readonly kind: 'tool_calls';
      readonly calls: readonly ScriptedToolCall[];
      /** Text the model writes before calling. */
      readonly text?: string;
      readonly usage?: ScriptedUsage;
    })
  | (StreamPacing & {
      /** A JSON answer: OpenAI gets it as content; Anthropic as the forced tool's input. */
      readonly kind: 'json';
      readonly value: unknown;
      readonly usage?: ScriptedUsage;
    })
  | {
      readonly kind: 'failure';
      readonly status: number;
      /** Response body; default: the provider's error shape with a generic message. */
      readonly body?: unknown;
      /** Sent as the `retry-after` header (seconds, or an HTTP date). */
      readonly retryAfter?: number | string;
      readonly headers?: Readonly<Record<string, string>>;
    }
  | {
      /** Never answers; the request ends when the client disconnects. */
      readonly kind: 'hang';
    };

/** Builders for {@link ScriptedLlmReply}. */
export const llmReply = {
  /** A text answer; streamed per `pacing` when the client streams. */
  text(
    text: string,
    pacing: StreamPacing & { finishReason?: 'stop' | 'length'; usage?: ScriptedUsage } = {},
  ): ScriptedLlmReply {
    return { kind: 'text', text, ...pacing };
  },
  /** Tool calls (ids default to `call_<n>` / `toolu_<n>`), optionally after some text. */
  toolCalls(
    calls: readonly ScriptedToolCall[],
    options: StreamPacing & { text?: string; usage?: ScriptedUsage } = {},
  ): ScriptedLlmReply {
    return { kind: 'tool_calls', calls, ...options };
  },
  /** A structured (json_schema) answer. */
  json(value: unknown, pacing: StreamPacing & { usage?: ScriptedUsage } = {}): ScriptedLlmReply {
    return { kind: 'json', value, ...pacing };
  },
  /** An HTTP error, e.g. `failure(429, { retryAfter: 1 })` or `failure(503)`. */
  failure(
    status: number,
    options: {
      body?: unknown;
      retryAfter?: number | string;
      headers?: Record<string, string>;
    } = {},
  ): ScriptedLlmReply {
    return { kind: 'failure', status, ...options };
  },
  /** No answer until the client gives up (abort, timeout). */
  hang(): ScriptedLlmReply {
    return { kind: 'hang' };
  },
};

/** Splits `text` into chunks of `size` characters (one chunk when size is absent). */
export function chunkText(text: string, size: number | undefined): string[] {
  if (size === undefined || size <= 0 || text.length <= size) return text === '' ? [] : [text];
  const chunks: string[] = [];
  for (let at = 0; at < text.length; at += size) chunks.push(text.slice(at, at + size));
  return chunks;
}

/** A rough, deterministic token count: one token per four characters, at least one. */
export function estimateTokens(value: unknown): number {
  const text = typeof value === 'string' ? value : JSON.stringify(value ?? '');
  return Math.max(1, Math.ceil(text.length / 4));
}

/** The text a reply produces (for usage estimates). */
export function replyOutputText(reply: ScriptedLlmReply): string {
  switch (reply.kind) {
    case 'text':
      return reply.text;
    case 'tool_calls':
      return (reply.text ?? '') + reply.calls.map((call) => argumentsText(call)).join('');
    case 'json':
      return JSON.stringify(reply.value);
    case 'failure':
    case 'hang':
      return '';
  }
}

/** The JSON text of a scripted call's arguments. */
export function argumentsText(call: ScriptedToolCall): string {
  return typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments);
}
