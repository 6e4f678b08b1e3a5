/**
 * Renders scripted replies in Anthropic's Messages wire format: a plain `message`, or the
 * real SSE sequence (message_start, content_block_start / content_block_delta
 * (text_delta, input_json_delta) / content_block_stop per block, message_delta with
 * usage, message_stop). A JSON reply to a request that forces a tool becomes that tool's
 * `tool_use` block, which is how clients get structured output from Anthropic.
 */
import type { ScriptedLlmReply, ScriptedUsage } from './scripted-llm-replies.js';
import {
  argumentsText,
  chunkText,
  estimateTokens,
  replyOutputText,
} from './scripted-llm-replies.js';
import type { ReplyChannel } from './scripted-llm-wire.js';

const TOOL_ARGUMENT_PIECE = 8;

type Block =
  | { readonly type: 'text'; readonly text: string }
  | {
      readonly type: 'tool_use';
      readonly id: string;
      readonly name: string;
      readonly json: string;
    };

/** Answers one Messages request with `reply` (never a failure or hang). */
export async function writeAnthropicReply(
  channel: ReplyChannel,
  reply: Exclude<ScriptedLlmReply, { kind: 'failure' } | { kind: 'hang' }>,
): Promise<void> {
  const { record } = channel;
  const model = record.model ?? 'scripted';
  const id = `msg_scripted_${record.index}`;
  const usage: ScriptedUsage = reply.usage ?? {
    inputTokens: estimateTokens([record.system, record.messages]),
    outputTokens: estimateTokens(replyOutputText(reply)),
  };
  const blocks = blocksOf(reply, forcedToolName(record.body));
  const stopReason = blocks.some((b) => b.type === 'tool_use')
    ? 'tool_use'
    : reply.kind === 'text' && reply.finishReason === 'length'
      ? 'max_tokens'
      : 'end_turn';

  if (!(await channel.sleep(reply.firstTokenDelayMs ?? 0))) return;
  if (!record.stream) {
    channel.json(200, {
      id,
      type: 'message',
      role: 'assistant',
      model,
      content: blocks.map((block) =>
        block.type === 'text'
          ? { type: 'text', text: block.text, citations: null }
          : {
              type: 'tool_use',
              id: block.id,
              name: block.name,
              input: JSON.parse(block.json) as unknown,
            },
      ),
      stop_reason: stopReason,
      stop_sequence: null,
      usage: usageBody(usage),
    });
    return;
  }

  const delayMs = reply.chunkDelayMs ?? 0;
  channel.startSse();
  const event = (type: string, data: object, isContent = false): boolean =>
    channel.sse({ type, ...data }, { event: type, isContent });
  const ok = event('message_start', {
    message: {
      id,
      type: 'message',
      role: 'assistant',
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { ...usageBody(usage), output_tokens: 1 },
    },
  });
  if (!ok) return;
  const state = { isFirstDelta: true };
  const delta = async (index: number, payload: object): Promise<boolean> => {
    if (!state.isFirstDelta && !(await channel.sleep(delayMs))) return false;
    state.isFirstDelta = false;
    return event('content_block_delta', { index, delta: payload }, true);
  };
  for (const [index, block] of blocks.entries()) {
    if (block.type === 'text') {
      if (!event('content_block_start', { index, content_block: { type: 'text', text: '' } }))
        return;
      for (const piece of chunkText(block.text, reply.chunkSize)) {
        if (!(await delta(index, { type: 'text_delta', text: piece }))) return;
      }
    } else {
      const start = { type: 'tool_use', id: block.id, name: block.name, input: {} };
      if (!event('content_block_start', { index, content_block: start })) return;
      for (const piece of chunkText(block.json, reply.chunkSize ?? TOOL_ARGUMENT_PIECE)) {
        if (!(await delta(index, { type: 'input_json_delta', partial_json: piece }))) return;
      }
    }
    if (!event('content_block_stop', { index })) return;
  }
  if (
    !event('message_delta', {
      delta: { stop_reason: stopReason, stop_sequence: null },
      usage: { output_tokens: usage.outputTokens },
    })
  ) {
    return;
  }
  event('message_stop', {});
  channel.end();
}

/** Anthropic's error body for a scripted failure. */
export function anthropicErrorBody(status: number): object {
  const type =
    status === 429
      ? 'rate_limit_error'
      : status === 529
        ? 'overloaded_error'
        : status >= 500
          ? 'api_error'
          : status === 401
            ? 'authentication_error'
            : status === 404
              ? 'not_found_error'
              : 'invalid_request_error';
  return { type: 'error', error: { type, message: `scripted failure (HTTP ${status})` } };
}

/** Anthropic's `GET /v1/models` body. */
export function anthropicModelsBody(models: readonly string[]): object {
  return {
    data: models.map((id) => ({
      type: 'model',
      id,
      display_name: id,
      created_at: '2026-01-01T00:00:00Z',
    })),
    has_more: false,
    first_id: models[0] ?? null,
    last_id: models.at(-1) ?? null,
  };
}

function blocksOf(
  reply: Exclude<ScriptedLlmReply, { kind: 'failure' } | { kind: 'hang' }>,
  forcedTool: string | undefined,
): Block[] {
  switch (reply.kind) {
    case 'text':
      return reply.text === '' ? [] : [{ type: 'text', text: reply.text }];
    case 'json':
      return forcedTool === undefined
        ? [{ type: 'text', text: JSON.stringify(reply.value) }]
        : [
            {
              type: 'tool_use',
              id: 'toolu_json',
              name: forcedTool,
              json: JSON.stringify(reply.value),
            },
          ];
    case 'tool_calls':
      return [
        ...(reply.text === undefined || reply.text === ''
          ? []
          : [{ type: 'text' as const, text: reply.text }]),
        ...reply.calls.map((call, index) => ({
          type: 'tool_use' as const,
          id: call.id ?? `toolu_${index}`,
          name: call.name,
          json: argumentsText(call),
        })),
      ];
  }
}

function forcedToolName(body: unknown): string | undefined {
  const choice = (body as { tool_choice?: { type?: unknown; name?: unknown } } | undefined)
    ?.tool_choice;
  return choice?.type === 'tool' && typeof choice.name === 'string' ? choice.name : undefined;
}

function usageBody(usage: ScriptedUsage): object {
  return {
    input_tokens: usage.inputTokens,
    output_tokens: usage.outputTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
  };
}
