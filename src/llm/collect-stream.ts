import type { ChatResponse, ChatStreamEvent, FinishReason, ToolCall, Usage } from './chat-model.js';
import { ModelError } from './errors.js';

/** Options of {@link collectChatStream}. */
export interface CollectStreamOptions {
  /** Receives the text so far after every text delta (for streaming a reply as it grows). */
  readonly onText?: (textSoFar: string) => void;
}

/**
 * The one loop that folds a stream of {@link ChatStreamEvent}s into a {@link ChatResponse}:
 * text deltas are joined (and reported through `onText`), tool calls kept in order, usage and
 * the model id taken from the final events. Throws `invalid_response` when the stream ends
 * without its `done` event (a reply that may have been cut short must not pass as complete).
 */
export async function collectChatStream(
  events: AsyncIterable<ChatStreamEvent>,
  options: CollectStreamOptions = {},
): Promise<ChatResponse> {
  let text = '';
  const toolCalls: ToolCall[] = [];
  let usage: Usage | undefined;
  let done: { finishReason: FinishReason; modelId: string } | undefined;
  for await (const event of events) {
    switch (event.type) {
      case 'text_delta':
        text += event.text;
        options.onText?.(text);
        break;
      case 'tool_call':
        toolCalls.push(event.toolCall);
        break;
      case 'usage':
        usage = event.usage;
        break;
      case 'done':
        done = { finishReason: event.finishReason, modelId: event.modelId };
        break;
    }
  }
  if (done === undefined) {
    throw new ModelError('invalid_response', 'model stream ended without a done event');
  }
  return usage === undefined ? { text, toolCalls, ...done } : { text, toolCalls, usage, ...done };
}
