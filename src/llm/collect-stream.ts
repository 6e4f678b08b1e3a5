import type { ChatResponse, ChatStreamEvent, FinishReason, ToolCall, Usage } from './chat-model.js';
import { ModelError } from './errors.js';

/**
 * Drains a stream of {@link ChatStreamEvent}s into a {@link ChatResponse}: text deltas are
 * joined, tool calls kept in order. Throws `invalid_response` when the stream ends without
 * its `done` event (a reply that may have been cut short must not pass as complete).
 */
export async function collectChatStream(
  events: AsyncIterable<ChatStreamEvent>,
): Promise<ChatResponse> {
  let text = '';
  const toolCalls: ToolCall[] = [];
  let usage: Usage | undefined;
  let done: { finishReason: FinishReason; modelId: string } | undefined;
  for await (const event of events) {
    switch (event.type) {
      case 'text_delta':
        text += event.text;
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
