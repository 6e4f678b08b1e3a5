/**
 * Renders scripted replies in OpenAI's chat-completions wire format: a plain
 * `chat.completion`, or SSE `chat.completion.chunk`s ending in `data: [DONE]`, with the
 * usage chunk when `stream_options.include_usage` is set and tool calls streamed as
 * incremental `tool_calls` deltas (index, id and name first, then argument pieces).
 */
import { createHash } from 'node:crypto';
import type { ScriptedLlmReply, ScriptedUsage } from './scripted-llm-replies.js';
import {
  argumentsText,
  chunkText,
  estimateTokens,
  replyOutputText,
} from './scripted-llm-replies.js';
import type { ReplyChannel } from './scripted-llm-wire.js';

/** Size of argument pieces when streaming tool calls without a `chunkSize`. */
const TOOL_ARGUMENT_PIECE = 8;

/** Answers one chat-completions request with `reply` (never a failure or hang). */
export async function writeOpenAiReply(
  channel: ReplyChannel,
  reply: Exclude<ScriptedLlmReply, { kind: 'failure' } | { kind: 'hang' }>,
): Promise<void> {
  const { record } = channel;
  const model = record.model ?? 'scripted';
  const id = `chatcmpl-scripted-${record.index}`;
  const created = Math.floor(Date.now() / 1000);
  const usage = usageOf(reply, record.messages);
  const text = reply.kind === 'json' ? JSON.stringify(reply.value) : (reply.text ?? '');
  const calls =
    reply.kind === 'tool_calls'
      ? reply.calls.map((call, index) => ({
          id: call.id ?? `call_${index}`,
          name: call.name,
          args: argumentsText(call),
        }))
      : [];
  const finishReason =
    reply.kind === 'tool_calls'
      ? 'tool_calls'
      : reply.kind === 'text'
        ? (reply.finishReason ?? 'stop')
        : 'stop';

  if (!(await channel.sleep(reply.firstTokenDelayMs ?? 0))) return;
  if (!record.stream) {
    channel.json(200, {
      id,
      object: 'chat.completion',
      created,
      model,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: text === '' && calls.length > 0 ? null : text,
            refusal: null,
            ...(calls.length === 0
              ? {}
              : {
                  tool_calls: calls.map((call) => ({
                    id: call.id,
                    type: 'function',
                    function: { name: call.name, arguments: call.args },
                  })),
                }),
          },
          finish_reason: finishReason,
          logprobs: null,
        },
      ],
      usage: {
        prompt_tokens: usage.inputTokens,
        completion_tokens: usage.outputTokens,
        total_tokens: usage.inputTokens + usage.outputTokens,
      },
    });
    return;
  }

  const chunk = (delta: Record<string, unknown>, finish: string | null = null): object => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
  });
  const delayMs = reply.chunkDelayMs ?? 0;
  channel.startSse();
  const state = { isFirst: true };
  const send = async (delta: Record<string, unknown>): Promise<boolean> => {
    if (!state.isFirst && !(await channel.sleep(delayMs))) return false;
    const withRole = state.isFirst ? { role: 'assistant', ...delta } : delta;
    state.isFirst = false;
    return channel.sse(chunk(withRole), { isContent: true });
  };
  for (const piece of chunkText(text, reply.chunkSize)) {
    if (!(await send({ content: piece }))) return;
  }
  for (const [index, call] of calls.entries()) {
    const head = {
      index,
      id: call.id,
      type: 'function',
      function: { name: call.name, arguments: '' },
    };
    if (!(await send({ tool_calls: [head] }))) return;
    for (const piece of chunkText(call.args, reply.chunkSize ?? TOOL_ARGUMENT_PIECE)) {
      if (!(await send({ tool_calls: [{ index, function: { arguments: piece } }] }))) return;
    }
  }
  if (!channel.sse(chunk(state.isFirst ? { role: 'assistant', content: '' } : {}, finishReason)))
    return;
  if (wantsUsage(record.body)) {
    channel.sse({
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      choices: [],
      usage: {
        prompt_tokens: usage.inputTokens,
        completion_tokens: usage.outputTokens,
        total_tokens: usage.inputTokens + usage.outputTokens,
      },
    });
  }
  channel.sse('[DONE]');
  channel.end();
}

/** OpenAI's error body for a scripted failure. */
export function openAiErrorBody(status: number): object {
  const type =
    status === 429
      ? 'rate_limit_exceeded'
      : status >= 500
        ? 'server_error'
        : 'invalid_request_error';
  return { error: { message: `scripted failure (HTTP ${status})`, type, param: null, code: type } };
}

/**
 * Deterministic embeddings: each vector is derived from a SHA-256 of the input text
 * (unit length, `dimensions` long), so equal texts embed equally across runs. Honours
 * `encoding_format: 'base64'`, which the openai SDK asks for by default.
 */
export function openAiEmbeddingsBody(body: unknown, defaultDimensions: number): object {
  const request = (body ?? {}) as {
    model?: string;
    input?: unknown;
    dimensions?: number;
    encoding_format?: string;
  };
  const inputs = Array.isArray(request.input) ? request.input : [request.input ?? ''];
  const dimensions = request.dimensions ?? defaultDimensions;
  const data = inputs.map((input, index) => {
    const vector = hashedVector(
      typeof input === 'string' ? input : JSON.stringify(input),
      dimensions,
    );
    const embedding =
      request.encoding_format === 'base64'
        ? Buffer.from(new Float32Array(vector).buffer).toString('base64')
        : vector;
    return { object: 'embedding', index, embedding };
  });
  const tokens = inputs.reduce<number>((sum, input) => sum + estimateTokens(input), 0);
  return {
    object: 'list',
    data,
    model: request.model ?? 'scripted-embedding',
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}

/** A unit vector of `dimensions` floats derived from `text`. */
export function hashedVector(text: string, dimensions: number): number[] {
  const values: number[] = [];
  for (let block = 0; values.length < dimensions; block++) {
    const digest = createHash('sha256').update(`${block}:${text}`).digest();
    for (let at = 0; at + 4 <= digest.length && values.length < dimensions; at += 4) {
      values.push(digest.readUInt32LE(at) / 0xffffffff - 0.5);
    }
  }
  const norm = Math.sqrt(values.reduce((sum, v) => sum + v * v, 0)) || 1;
  // Round through Float32 so JSON and base64 encodings carry the same numbers.
  return values.map((v) => Math.fround(v / norm));
}

/** OpenAI's `GET /v1/models` body. */
export function openAiModelsBody(models: readonly string[]): object {
  return {
    object: 'list',
    data: models.map((id) => ({ id, object: 'model', created: 0, owned_by: 'scripted' })),
  };
}

function wantsUsage(body: unknown): boolean {
  const options = (body as { stream_options?: { include_usage?: unknown } } | undefined)
    ?.stream_options;
  return options?.include_usage === true;
}

function usageOf(
  reply: Exclude<ScriptedLlmReply, { kind: 'failure' } | { kind: 'hang' }>,
  messages: readonly unknown[],
): ScriptedUsage {
  return (
    reply.usage ?? {
      inputTokens: estimateTokens(messages),
      outputTokens: estimateTokens(replyOutputText(reply)),
    }
  );
}
