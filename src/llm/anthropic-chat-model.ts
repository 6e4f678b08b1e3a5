import Anthropic from '@anthropic-ai/sdk';
import type {
  Message,
  RawMessageStreamEvent,
  StopReason,
  Usage as AnthropicUsage,
} from '@anthropic-ai/sdk/resources/messages';
import type { Logger } from '../shared/index.js';
import { silentLogger } from '../shared/index.js';
import { PerCallSignalModel } from './per-call-signal-model.js';
import { fromAnthropicStopReason, toAnthropicBody } from './anthropic-messages.js';
import type { AnthropicBodySettings } from './anthropic-messages.js';
import type { ChatRequest, ChatResponse, ChatStreamEvent, ToolCall, Usage } from './chat-model.js';
import { ModelError } from './errors.js';
import { abortReasonOf, mapSdkError, sdkLoggerFor } from './sdk-support.js';
import type { SdkErrorClasses } from './sdk-support.js';
import { toolCallFromJson } from './tool-arguments.js';

/** Output-token limit when the config sets none; the Messages API requires one. */
export const DEFAULT_ANTHROPIC_MAX_TOKENS = 8192;

/** Where and how to reach the Anthropic Messages API. */
export interface AnthropicChatModelOptions {
  readonly modelId: string;
  readonly apiKey: string;
  /** Default `https://api.anthropic.com`; the SDK appends `/v1/messages`. */
  readonly baseUrl?: string;
  readonly temperature?: number;
  /** Default {@link DEFAULT_ANTHROPIC_MAX_TOKENS}. */
  readonly maxTokens?: number;
  /** Client timeout per request in ms; default 600 000. */
  readonly timeoutMs?: number;
  /** Added to every request body (e.g. `top_k`); our own fields win on conflict. */
  readonly extraBody?: Readonly<Record<string, unknown>>;
  readonly defaultHeaders?: Readonly<Record<string, string>>;
  readonly log?: Logger;
  /** Current time in ms, for `retry-after` dates; default `Date.now`. */
  readonly now?: () => number;
  readonly fetch?: typeof fetch;
}

const ANTHROPIC_ERRORS: SdkErrorClasses = {
  apiError: Anthropic.APIError,
  userAbortError: Anthropic.APIUserAbortError,
  connectionError: Anthropic.APIConnectionError,
  connectionTimeoutError: Anthropic.APIConnectionTimeoutError,
};

/**
 * A {@link ChatModel} over @anthropic-ai/sdk's Messages API. Tool calls map to
 * `tool_use` / `tool_result` blocks; `responseFormat` is served by a forced tool whose
 * input becomes the reply text. The SDK never retries and reads no credentials, profile
 * or telemetry settings from the environment.
 */
export class AnthropicChatModel extends PerCallSignalModel {
  readonly modelId: string;
  private readonly client: Anthropic;
  private readonly settings: AnthropicBodySettings;
  private readonly now: () => number;

  constructor(options: AnthropicChatModelOptions) {
    super();
    this.modelId = options.modelId;
    this.now = options.now ?? Date.now;
    this.settings = {
      modelId: options.modelId,
      temperature: options.temperature,
      maxTokens: options.maxTokens ?? DEFAULT_ANTHROPIC_MAX_TOKENS,
      extraBody: options.extraBody ?? {},
    };
    this.client = new Anthropic({
      apiKey: options.apiKey,
      baseURL: options.baseUrl ?? 'https://api.anthropic.com',
      webhookKey: null,
      maxRetries: 0,
      timeout: options.timeoutMs ?? 600_000,
      logLevel: 'warn',
      logger: sdkLoggerFor(options.log ?? silentLogger),
      openTelemetry: false,
      ...(options.defaultHeaders === undefined ? {} : { defaultHeaders: options.defaultHeaders }),
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    });
  }

  protected async completeWith(request: ChatRequest, signal: AbortSignal): Promise<ChatResponse> {
    let message: Message;
    try {
      message = await this.client.messages.create(
        { ...toAnthropicBody(request, this.settings), stream: false },
        { signal },
      );
    } catch (error: unknown) {
      throw mapSdkError(error, ANTHROPIC_ERRORS, { signal, nowMs: this.now() });
    }
    const jsonName = request.responseFormat?.name;
    let text = '';
    const toolCalls: ToolCall[] = [];
    for (const block of message.content) {
      // In JSON mode only the forced tool's input is the answer; any preamble is dropped.
      if (block.type === 'text' && jsonName === undefined) text += block.text;
      if (block.type !== 'tool_use') continue;
      if (block.name === jsonName) text += JSON.stringify(block.input);
      else toolCalls.push(toolCallFromJson(block.id, block.name, JSON.stringify(block.input)));
    }
    return {
      text,
      toolCalls,
      usage: fromAnthropicUsage(message.usage),
      finishReason: fromAnthropicStopReason(message.stop_reason, jsonName !== undefined),
      modelId: message.model || this.modelId,
    };
  }

  protected async *streamWith(
    request: ChatRequest,
    signal: AbortSignal,
  ): AsyncGenerator<ChatStreamEvent, void, undefined> {
    const mapError = (error: unknown): Error =>
      mapSdkError(error, ANTHROPIC_ERRORS, { signal, nowMs: this.now() });
    let sdkStream: AsyncIterable<RawMessageStreamEvent> & { controller: AbortController };
    try {
      sdkStream = await this.client.messages.create(
        { ...toAnthropicBody(request, this.settings), stream: true },
        { signal },
      );
    } catch (error: unknown) {
      throw mapError(error);
    }

    const reader = new AnthropicStreamReader(this.modelId, request.responseFormat?.name);
    let isFinished = false;
    try {
      for await (const event of sdkStream) {
        // Events already buffered must not reach a consumer that has stopped the turn.
        if (signal.aborted) break;
        for (const out of reader.read(event)) yield out;
      }
      isFinished = true;
    } catch (error: unknown) {
      throw mapError(error);
    } finally {
      // Stop generation (and billing) when the consumer leaves early.
      if (!isFinished) sdkStream.controller.abort();
    }
    // The SDK ends the iteration quietly when the request is aborted mid-body.
    if (signal.aborted) throw abortReasonOf(signal);
    yield* reader.finish();
  }
}

function fromAnthropicUsage(usage: AnthropicUsage): Usage {
  // `input_tokens` excludes prompt-cache reads and writes; the model still read them.
  const cached = (usage.cache_creation_input_tokens ?? 0) + (usage.cache_read_input_tokens ?? 0);
  return { inputTokens: usage.input_tokens + cached, outputTokens: usage.output_tokens };
}

/** Turns the Messages API's raw stream events into our stream events. */
class AnthropicStreamReader {
  private modelId: string;
  private readonly blocks = new Map<
    number,
    { kind: 'text' | 'tool' | 'json' | 'other'; id: string; name: string; json: string }
  >();
  private inputTokens = 0;
  private outputTokens = 0;
  private hasUsage = false;
  private stopReason: StopReason | null = null;
  private isStopped = false;

  constructor(
    modelId: string,
    private readonly jsonToolName: string | undefined,
  ) {
    this.modelId = modelId;
  }

  *read(event: RawMessageStreamEvent): Generator<ChatStreamEvent> {
    switch (event.type) {
      case 'message_start': {
        if (event.message.model) this.modelId = event.message.model;
        const usage = fromAnthropicUsage(event.message.usage);
        this.inputTokens = usage.inputTokens;
        this.outputTokens = usage.outputTokens;
        this.hasUsage = true;
        break;
      }
      case 'content_block_start': {
        const block = event.content_block;
        if (block.type === 'text' && this.jsonToolName === undefined) {
          this.blocks.set(event.index, { kind: 'text', id: '', name: '', json: '' });
          if (block.text !== '') yield { type: 'text_delta', text: block.text };
        } else if (block.type === 'tool_use') {
          const kind = block.name === this.jsonToolName ? 'json' : 'tool';
          this.blocks.set(event.index, { kind, id: block.id, name: block.name, json: '' });
        } else {
          this.blocks.set(event.index, { kind: 'other', id: '', name: '', json: '' });
        }
        break;
      }
      case 'content_block_delta': {
        const block = this.blocks.get(event.index);
        const delta = event.delta;
        if (delta.type === 'text_delta' && block?.kind === 'text' && delta.text !== '') {
          yield { type: 'text_delta', text: delta.text };
        } else if (delta.type === 'input_json_delta' && block !== undefined) {
          // JSON-mode input *is* the answer text, so it streams like text.
          if (block.kind === 'json' && delta.partial_json !== '') {
            yield { type: 'text_delta', text: delta.partial_json };
          }
          block.json += delta.partial_json;
        }
        break;
      }
      case 'content_block_stop': {
        const block = this.blocks.get(event.index);
        if (block?.kind === 'tool') {
          yield { type: 'tool_call', toolCall: toolCallFromJson(block.id, block.name, block.json) };
        }
        break;
      }
      case 'message_delta': {
        this.stopReason = event.delta.stop_reason;
        // message_delta usage counts are cumulative for the whole message.
        this.outputTokens = event.usage.output_tokens;
        if (typeof event.usage.input_tokens === 'number') {
          const cached =
            (event.usage.cache_creation_input_tokens ?? 0) +
            (event.usage.cache_read_input_tokens ?? 0);
          this.inputTokens = event.usage.input_tokens + cached;
        }
        this.hasUsage = true;
        break;
      }
      case 'message_stop':
        this.isStopped = true;
        break;
    }
  }

  *finish(): Generator<ChatStreamEvent> {
    if (!this.isStopped) {
      throw new ModelError('invalid_response', 'model stream ended without message_stop');
    }
    if (this.hasUsage) {
      yield {
        type: 'usage',
        usage: { inputTokens: this.inputTokens, outputTokens: this.outputTokens },
      };
    }
    yield {
      type: 'done',
      finishReason: fromAnthropicStopReason(this.stopReason, this.jsonToolName !== undefined),
      modelId: this.modelId,
    };
  }
}
