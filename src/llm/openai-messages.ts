import type {
  ChatCompletionContentPart,
  ChatCompletionCreateParamsBase,
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from 'openai/resources/chat/completions';
import type { ChatRequest, FinishReason, UserMessage } from './chat-model.js';
import { renderAttachmentText } from './message-rendering.js';

/** Request settings an OpenAI-compatible body needs beside the messages. */
export interface OpenAiBodySettings {
  readonly modelId: string;
  readonly temperature: number | undefined;
  readonly maxTokens: number | undefined;
  /**
   * OpenAI's own newer models reject `max_tokens` and want `max_completion_tokens`;
   * most compatible servers (Ollama, vLLM, Groq) still expect `max_tokens`.
   */
  readonly maxTokensParam: 'max_tokens' | 'max_completion_tokens';
  /** Extra body fields from the model config (e.g. `top_p`, `reasoning_effort`). */
  readonly extraBody: Readonly<Record<string, unknown>>;
}

/** Builds the chat-completions body (without `stream`) for `request`. */
export function toOpenAiBody(
  request: ChatRequest,
  settings: OpenAiBodySettings,
): Omit<ChatCompletionCreateParamsBase, 'stream'> {
  const temperature = request.temperature ?? settings.temperature;
  const maxTokens = request.maxTokens ?? settings.maxTokens;
  const tools = request.tools?.map((tool): ChatCompletionTool => ({
    type: 'function',
    function: {
      name: tool.name,
      description: tool.description,
      parameters: { ...tool.parameters },
    },
  }));
  return {
    ...settings.extraBody,
    model: settings.modelId,
    messages: toOpenAiMessages(request),
    ...(tools === undefined || tools.length === 0 ? {} : { tools }),
    ...(temperature === undefined ? {} : { temperature }),
    ...(maxTokens === undefined ? {} : { [settings.maxTokensParam]: maxTokens }),
    ...(request.responseFormat === undefined
      ? {}
      : {
          response_format: {
            type: 'json_schema',
            json_schema: {
              name: request.responseFormat.name,
              schema: { ...request.responseFormat.schema },
              ...(request.responseFormat.strict === true ? { strict: true } : {}),
            },
          },
        }),
  };
}

/** Converts our conversation to OpenAI chat messages, system prompt first. */
export function toOpenAiMessages(request: ChatRequest): ChatCompletionMessageParam[] {
  const out: ChatCompletionMessageParam[] = [];
  if (request.system !== undefined && request.system !== '') {
    out.push({ role: 'system', content: request.system });
  }
  for (const message of request.messages) {
    switch (message.role) {
      case 'user':
        out.push({ role: 'user', content: toOpenAiUserContent(message) });
        break;
      case 'assistant': {
        const toolCalls = message.toolCalls ?? [];
        out.push({
          role: 'assistant',
          // An assistant turn that only called tools has no text; OpenAI wants null then.
          content: message.content === '' && toolCalls.length > 0 ? null : message.content,
          ...(toolCalls.length === 0
            ? {}
            : {
                tool_calls: toolCalls.map((call) => ({
                  id: call.id,
                  type: 'function' as const,
                  function: { name: call.name, arguments: call.argumentsJson },
                })),
              }),
        });
        break;
      }
      case 'tool':
        out.push({ role: 'tool', tool_call_id: message.toolCallId, content: message.content });
        break;
    }
  }
  return out;
}

function toOpenAiUserContent(message: UserMessage): string | ChatCompletionContentPart[] {
  if (typeof message.content === 'string') return message.content;
  return message.content.map((part): ChatCompletionContentPart => {
    switch (part.type) {
      case 'text':
        return { type: 'text', text: part.text };
      case 'image':
        return { type: 'image_url', image_url: { url: part.url } };
      case 'attachment':
        return { type: 'text', text: renderAttachmentText(part) };
    }
  });
}

/** Maps OpenAI's `finish_reason` to ours. */
export function fromOpenAiFinishReason(reason: string): FinishReason {
  switch (reason) {
    case 'stop':
      return 'stop';
    case 'tool_calls':
    case 'function_call':
      return 'tool_calls';
    case 'length':
      return 'length';
    case 'content_filter':
      return 'content_filter';
    default:
      return 'other';
  }
}
