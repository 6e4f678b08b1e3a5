import type {
  ContentBlockParam,
  MessageCreateParamsBase,
  MessageParam,
  StopReason,
  Tool,
} from '@anthropic-ai/sdk/resources/messages';
import type { ChatMessage, ChatRequest, FinishReason, UserContentPart } from './chat-model.js';
import { parseDataUrl, renderAttachmentText } from './message-rendering.js';

/** Request settings an Anthropic body needs beside the messages. */
export interface AnthropicBodySettings {
  readonly modelId: string;
  readonly temperature: number | undefined;
  /** The Messages API requires `max_tokens`; the adapter always has a value. */
  readonly maxTokens: number;
  readonly extraBody: Readonly<Record<string, unknown>>;
}

/** Image types the Messages API accepts inline. */
const INLINE_IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);
type InlineImageType = 'image/jpeg' | 'image/png' | 'image/gif' | 'image/webp';

/**
 * Builds the Messages API body (without `stream`). With `responseFormat`, the only tool is
 * one named after the format and `tool_choice` forces it: Anthropic has no JSON mode, and
 * a forced tool's `input` is schema-shaped JSON. The request's own tools are left out then,
 * because the forced tool is the only one the model may call anyway.
 */
export function toAnthropicBody(
  request: ChatRequest,
  settings: AnthropicBodySettings,
): Omit<MessageCreateParamsBase, 'stream'> {
  const temperature = request.temperature ?? settings.temperature;
  const format = request.responseFormat;
  const tools: Tool[] =
    format === undefined
      ? (request.tools ?? []).map((tool) => ({
          name: tool.name,
          description: tool.description,
          input_schema: { type: 'object', ...tool.parameters },
        }))
      : [
          {
            name: format.name,
            description: 'Give your answer by calling this tool with JSON matching its schema.',
            input_schema: { type: 'object', ...format.schema },
          },
        ];
  return {
    ...settings.extraBody,
    model: settings.modelId,
    max_tokens: request.maxTokens ?? settings.maxTokens,
    messages: toAnthropicMessages(request.messages),
    ...(request.system === undefined || request.system === '' ? {} : { system: request.system }),
    ...(tools.length === 0 ? {} : { tools }),
    ...(format === undefined ? {} : { tool_choice: { type: 'tool', name: format.name } }),
    ...(temperature === undefined ? {} : { temperature }),
  };
}

/**
 * Converts our conversation to Anthropic messages. Tool results become `tool_result`
 * blocks in a user turn, and consecutive turns of one role are merged into one message,
 * since the API expects user and assistant turns to alternate.
 */
export function toAnthropicMessages(messages: readonly ChatMessage[]): MessageParam[] {
  const out: { role: 'user' | 'assistant'; content: ContentBlockParam[] }[] = [];
  const append = (role: 'user' | 'assistant', blocks: ContentBlockParam[]): void => {
    if (blocks.length === 0) return;
    const last = out.at(-1);
    if (last?.role === role) last.content.push(...blocks);
    else out.push({ role, content: blocks });
  };
  for (const message of messages) {
    switch (message.role) {
      case 'user':
        append('user', userBlocks(message.content));
        break;
      case 'assistant':
        append('assistant', [
          // The API rejects empty text blocks.
          ...(message.content === '' ? [] : [{ type: 'text' as const, text: message.content }]),
          ...(message.toolCalls ?? []).map((call) => ({
            type: 'tool_use' as const,
            id: call.id,
            name: call.name,
            input: call.arguments,
          })),
        ]);
        break;
      case 'tool':
        append('user', [
          {
            type: 'tool_result',
            tool_use_id: message.toolCallId,
            content: message.content,
            ...(message.isError === true ? { is_error: true } : {}),
          },
        ]);
        break;
    }
  }
  return out;
}

function userBlocks(content: string | readonly UserContentPart[]): ContentBlockParam[] {
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  return content.map((part): ContentBlockParam => {
    switch (part.type) {
      case 'text':
        return { type: 'text', text: part.text };
      case 'attachment':
        return { type: 'text', text: renderAttachmentText(part) };
      case 'image': {
        const data = parseDataUrl(part.url);
        if (data === undefined) return { type: 'image', source: { type: 'url', url: part.url } };
        if (!INLINE_IMAGE_TYPES.has(data.mediaType)) {
          // Sending it would fail the whole request; tell the model instead.
          return { type: 'text', text: `[image of type ${data.mediaType} omitted: unsupported]` };
        }
        return {
          type: 'image',
          source: {
            type: 'base64',
            media_type: data.mediaType as InlineImageType,
            data: data.base64,
          },
        };
      }
    }
  });
}

/**
 * Maps Anthropic's `stop_reason` to ours. In JSON mode the forced tool call *is* the
 * answer, so `tool_use` means `stop` there.
 */
export function fromAnthropicStopReason(
  reason: StopReason | null,
  isJsonMode: boolean,
): FinishReason {
  switch (reason) {
    case 'end_turn':
    case 'stop_sequence':
      return 'stop';
    case 'tool_use':
      return isJsonMode ? 'stop' : 'tool_calls';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'refusal':
      return 'content_filter';
    case 'pause_turn':
    case null:
      return 'other';
  }
}
