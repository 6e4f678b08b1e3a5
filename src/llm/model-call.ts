import type { ChatModel, ChatRequest, ChatResponse } from './chat-model.js';
import { collectChatStream } from './collect-stream.js';

/** Options of {@link callChatModel}. */
export interface ModelCallOptions {
  readonly signal: AbortSignal;
  /** Streams the call and receives the text so far; when absent the call does not stream. */
  readonly onText?: ((textSoFar: string) => void) | undefined;
}

/**
 * One model call as every turn makes it: streamed through {@link collectChatStream} when
 * `onText` is given (so a reply can show progress), otherwise a plain `complete`. Rejects as
 * the model does (a `ModelError`, or the signal's reason on abort).
 */
export function callChatModel(
  model: ChatModel,
  request: ChatRequest,
  options: ModelCallOptions,
): Promise<ChatResponse> {
  const { signal, onText } = options;
  if (onText === undefined) return model.complete(request, { signal });
  return collectChatStream(model.stream(request, { signal }), { onText });
}
