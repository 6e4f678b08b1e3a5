import type {
  ChatCallOptions,
  ChatModel,
  ChatRequest,
  ChatResponse,
  ChatStreamEvent,
} from './chat-model.js';
import type { ModelError } from './errors.js';

/**
 * A {@link ChatModel} that cannot be used and says why on every call (e.g. its API key is
 * missing). Standing in for the real model lets the daemon start and lets the failing
 * agent tell the room what an operator must fix, while other models keep working.
 */
export class UnavailableChatModel implements ChatModel {
  constructor(
    readonly modelId: string,
    private readonly makeError: () => ModelError,
  ) {}

  complete(_request: ChatRequest, options: ChatCallOptions = {}): Promise<ChatResponse> {
    options.signal?.throwIfAborted();
    return Promise.reject(this.makeError());
  }

  // eslint-disable-next-line require-yield -- the stream fails before its first event by design
  async *stream(
    _request: ChatRequest,
    options: ChatCallOptions = {},
  ): AsyncGenerator<ChatStreamEvent, void, undefined> {
    options.signal?.throwIfAborted();
    await Promise.resolve();
    throw this.makeError();
  }
}
