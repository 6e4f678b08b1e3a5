/**
 * Model requests pass the secret scrubber: whatever reached a conversation (a tool result
 * that printed an environment variable, a quoted error body, a pasted token), the values of
 * known secrets are replaced before the request leaves for the provider.
 */
import { scrubDeep, type TextScrubber } from '../shared/index.js';
import type {
  ChatCallOptions,
  ChatMessage,
  ChatModel,
  ChatRequest,
  ChatResponse,
  ChatStreamEvent,
  ToolDefinition,
  UserContentPart,
} from './chat-model.js';

/** `request` with every text a provider would see scrubbed (images are passed as they are). */
export function scrubChatRequest(request: ChatRequest, scrubber: TextScrubber): ChatRequest {
  return {
    ...request,
    ...(request.system === undefined ? {} : { system: scrubber.scrub(request.system) }),
    messages: request.messages.map((message) => scrubMessage(message, scrubber)),
    ...(request.tools === undefined
      ? {}
      : { tools: request.tools.map((tool) => scrubTool(tool, scrubber)) }),
  };
}

function scrubMessage(message: ChatMessage, scrubber: TextScrubber): ChatMessage {
  switch (message.role) {
    case 'user':
      return {
        role: 'user',
        content:
          typeof message.content === 'string'
            ? scrubber.scrub(message.content)
            : message.content.map((part) => scrubPart(part, scrubber)),
      };
    case 'assistant':
      return {
        ...message,
        content: scrubber.scrub(message.content),
        ...(message.toolCalls === undefined
          ? {}
          : {
              toolCalls: message.toolCalls.map((call) => ({
                ...call,
                arguments: scrubDeep(call.arguments, scrubber) as Readonly<Record<string, unknown>>,
                argumentsJson: scrubber.scrub(call.argumentsJson),
              })),
            }),
      };
    case 'tool':
      return { ...message, content: scrubber.scrub(message.content) };
  }
}

function scrubPart(part: UserContentPart, scrubber: TextScrubber): UserContentPart {
  switch (part.type) {
    case 'text':
      return { type: 'text', text: scrubber.scrub(part.text) };
    case 'attachment':
      return { ...part, name: scrubber.scrub(part.name), text: scrubber.scrub(part.text) };
    case 'image':
      return part;
  }
}

function scrubTool(tool: ToolDefinition, scrubber: TextScrubber): ToolDefinition {
  return {
    name: tool.name,
    description: scrubber.scrub(tool.description),
    parameters: scrubDeep(tool.parameters, scrubber) as Readonly<Record<string, unknown>>,
  };
}

/** A {@link ChatModel} that scrubs every request before `inner` sends it. */
export class ScrubbingChatModel implements ChatModel {
  constructor(
    private readonly inner: ChatModel,
    private readonly scrubber: TextScrubber,
  ) {}

  get modelId(): string {
    return this.inner.modelId;
  }

  complete(request: ChatRequest, options?: ChatCallOptions): Promise<ChatResponse> {
    return this.inner.complete(scrubChatRequest(request, this.scrubber), options);
  }

  stream(request: ChatRequest, options?: ChatCallOptions): AsyncIterable<ChatStreamEvent> {
    return this.inner.stream(scrubChatRequest(request, this.scrubber), options);
  }
}
