import { linkSignal } from '../shared/index.js';
import type {
  ChatCallOptions,
  ChatModel,
  ChatRequest,
  ChatResponse,
  ChatStreamEvent,
} from './chat-model.js';

/**
 * Base of the SDK adapters: each call gets its own child signal, so the SDK's abort
 * listener lands on it (and is dropped with it) instead of piling up on the caller's
 * long-lived signal (the openai SDK added one listener per call otherwise).
 */
export abstract class PerCallSignalModel implements ChatModel {
  abstract readonly modelId: string;

  async complete(request: ChatRequest, options: ChatCallOptions = {}): Promise<ChatResponse> {
    const linked = linkSignal(options.signal);
    try {
      return await this.completeWith(request, linked.signal);
    } finally {
      linked.cleanup();
    }
  }

  async *stream(
    request: ChatRequest,
    options: ChatCallOptions = {},
  ): AsyncGenerator<ChatStreamEvent, void, undefined> {
    const linked = linkSignal(options.signal);
    try {
      yield* this.streamWith(request, linked.signal);
    } finally {
      linked.cleanup();
    }
  }

  /** One complete call, aborted through `signal`. */
  protected abstract completeWith(request: ChatRequest, signal: AbortSignal): Promise<ChatResponse>;

  /** One streamed call, aborted through `signal`. */
  protected abstract streamWith(
    request: ChatRequest,
    signal: AbortSignal,
  ): AsyncGenerator<ChatStreamEvent, void, undefined>;
}
