import type OpenAI from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { Logger } from '../shared/index.js';
import { PerCallSignalModel } from './per-call-signal-model.js';
import type {
  ChatRequest,
  ChatResponse,
  ChatStreamEvent,
  FinishReason,
  ToolCall,
  Usage,
} from './chat-model.js';
import { ModelError } from './errors.js';
import { fromOpenAiFinishReason, toOpenAiBody } from './openai-messages.js';
import type { OpenAiBodySettings } from './openai-messages.js';
import { OPENAI_ERRORS, openAiClient } from './openai-client.js';
import { abortReasonOf, mapSdkError } from './sdk-support.js';
import { toolCallFromJson } from './tool-arguments.js';

/** Where and how to reach an OpenAI-compatible chat-completions endpoint. */
export interface OpenAiChatModelOptions {
  /** The provider's model id, sent as `model`. */
  readonly modelId: string;
  /** Sent as the bearer token. Local servers that need none still get a placeholder. */
  readonly apiKey: string;
  /** e.g. `https://api.openai.com/v1`, `http://localhost:11434/v1`. */
  readonly baseUrl: string;
  readonly temperature?: number;
  readonly maxTokens?: number;
  /** Which body field carries `maxTokens`; default `max_tokens`. */
  readonly maxTokensParam?: 'max_tokens' | 'max_completion_tokens';
  /** Client timeout per request in ms; default 600 000 (the SDK's). */
  readonly timeoutMs?: number;
  /** Added to every request body (e.g. `top_p`); our own fields win on conflict. */
  readonly extraBody?: Readonly<Record<string, unknown>>;
  readonly defaultHeaders?: Readonly<Record<string, string>>;
  /** Receives the SDK's warnings and errors. */
  readonly log?: Logger;
  /** Current time in ms, for `retry-after` dates; default `Date.now`. */
  readonly now?: () => number;
  /** Replaces global fetch (tests, proxies). */
  readonly fetch?: typeof fetch;
}

/**
 * A {@link ChatModel} over the openai SDK's chat completions, for OpenAI itself and every
 * OpenAI-compatible server (Ollama, OpenRouter, Groq, DeepSeek, vLLM, ...). The SDK never
 * retries (the resilience decorator owns that) and reads no credentials from the
 * environment.
 */
export class OpenAiChatModel extends PerCallSignalModel {
  readonly modelId: string;
  private readonly client: OpenAI;
  private readonly settings: OpenAiBodySettings;
  private readonly now: () => number;

  constructor(options: OpenAiChatModelOptions) {
    super();
    this.modelId = options.modelId;
    this.now = options.now ?? Date.now;
    this.settings = {
      modelId: options.modelId,
      temperature: options.temperature,
      maxTokens: options.maxTokens,
      maxTokensParam: options.maxTokensParam ?? 'max_tokens',
      extraBody: options.extraBody ?? {},
    };
    this.client = openAiClient({
      apiKey: options.apiKey,
      baseUrl: options.baseUrl,
      timeoutMs: options.timeoutMs ?? 600_000,
      log: options.log,
      defaultHeaders: options.defaultHeaders,
      fetch: options.fetch,
    });
  }

  protected async completeWith(request: ChatRequest, signal: AbortSignal): Promise<ChatResponse> {
    let completion: OpenAI.ChatCompletion;
    try {
      completion = await this.client.chat.completions.create(
        { ...toOpenAiBody(request, this.settings), stream: false },
        { signal },
      );
    } catch (error: unknown) {
      throw mapSdkError(error, OPENAI_ERRORS, { signal, nowMs: this.now() });
    }
    const choice = completion.choices[0];
    if (choice === undefined) {
      throw new ModelError('invalid_response', 'chat completion has no choices');
    }
    const toolCalls = (choice.message.tool_calls ?? []).flatMap((call) =>
      call.type === 'function'
        ? [toolCallFromJson(call.id, call.function.name, call.function.arguments)]
        : [],
    );
    const refusal = choice.message.refusal ?? undefined;
    const usage = completion.usage === undefined ? undefined : fromOpenAiUsage(completion.usage);
    const response = {
      text: choice.message.content ?? refusal ?? '',
      toolCalls,
      finishReason:
        refusal !== undefined && choice.message.content === null
          ? 'content_filter'
          : fromOpenAiFinishReason(choice.finish_reason),
      modelId: completion.model || this.modelId,
    } satisfies ChatResponse;
    return usage === undefined ? response : { ...response, usage };
  }

  protected async *streamWith(
    request: ChatRequest,
    signal: AbortSignal,
  ): AsyncGenerator<ChatStreamEvent, void, undefined> {
    const mapError = (error: unknown): Error =>
      mapSdkError(error, OPENAI_ERRORS, { signal, nowMs: this.now() });
    let sdkStream: AsyncIterable<ChatCompletionChunk> & { controller: AbortController };
    try {
      sdkStream = await this.client.chat.completions.create(
        {
          ...toOpenAiBody(request, this.settings),
          stream: true,
          stream_options: { include_usage: true },
        },
        { signal },
      );
    } catch (error: unknown) {
      throw mapError(error);
    }

    const toolCalls = new ToolCallAssembler();
    let finishReason: FinishReason | undefined;
    let usage: Usage | undefined;
    let modelId = this.modelId;
    let isFinished = false;
    try {
      for await (const chunk of sdkStream) {
        // Chunks already buffered must not reach a consumer that has stopped the turn.
        if (signal.aborted) break;
        if (chunk.model) modelId = chunk.model;
        if (chunk.usage) usage = fromOpenAiUsage(chunk.usage);
        // We never ask for n > 1, so only the first choice carries the reply.
        const choice = chunk.choices.find((c) => c.index === 0) ?? chunk.choices[0];
        if (choice === undefined) continue;
        const content = choice.delta.content;
        if (typeof content === 'string' && content !== '') {
          yield { type: 'text_delta', text: content };
        }
        for (const delta of choice.delta.tool_calls ?? []) toolCalls.add(delta);
        if (choice.finish_reason) {
          finishReason = fromOpenAiFinishReason(choice.finish_reason);
          for (const call of toolCalls.drain()) yield { type: 'tool_call', toolCall: call };
        }
      }
      isFinished = true;
    } catch (error: unknown) {
      throw mapError(error);
    } finally {
      // A consumer that stops early (break, stop command) must not leave the HTTP
      // request running: the provider would keep generating (and billing).
      if (!isFinished) sdkStream.controller.abort();
    }
    // The SDK ends the iteration quietly when the request is aborted mid-body.
    if (signal.aborted) throw abortReasonOf(signal);
    if (finishReason === undefined) {
      throw new ModelError('invalid_response', 'model stream ended without a finish reason');
    }
    if (usage !== undefined) yield { type: 'usage', usage };
    yield { type: 'done', finishReason, modelId };
  }
}

function fromOpenAiUsage(usage: OpenAI.CompletionUsage): Usage {
  return { inputTokens: usage.prompt_tokens, outputTokens: usage.completion_tokens };
}

type ToolCallDelta = ChatCompletionChunk.Choice.Delta.ToolCall;

/**
 * Joins streamed tool-call fragments: the first fragment of a call carries its index, id
 * and name, later ones only argument pieces with the same index.
 */
class ToolCallAssembler {
  private readonly pending = new Map<number, { id: string; name: string; args: string }>();

  add(delta: ToolCallDelta): void {
    // Some compatible servers omit `index`; a fragment with a new id then starts a call.
    let index = delta.index as number | undefined;
    if (index === undefined) {
      const last = [...this.pending.keys()].at(-1);
      const lastEntry = last === undefined ? undefined : this.pending.get(last);
      index =
        last === undefined || (delta.id !== undefined && delta.id !== lastEntry?.id)
          ? this.pending.size
          : last;
    }
    const entry = this.pending.get(index) ?? { id: '', name: '', args: '' };
    if (delta.id) entry.id = delta.id;
    if (delta.function?.name && entry.name === '') entry.name = delta.function.name;
    if (delta.function?.arguments) entry.args += delta.function.arguments;
    this.pending.set(index, entry);
  }

  /** The completed calls in index order; empties the assembler. */
  drain(): ToolCall[] {
    const calls = [...this.pending.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, entry]) =>
        toolCallFromJson(entry.id === '' ? `call_${index}` : entry.id, entry.name, entry.args),
      );
    this.pending.clear();
    return calls;
  }
}
