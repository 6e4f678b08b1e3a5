/**
 * An in-memory ChatModel for unit tests (after openai-agents-js's scriptedModel): it
 * replays scripted steps in order, records every request, and fails loudly on a call it
 * has no step for or on steps left unconsumed (`assertDone()`).
 */
import type {
  ChatCallOptions,
  ChatModel,
  ChatRequest,
  ChatResponse,
  ChatStreamEvent,
  FinishReason,
  ToolCall,
  Usage,
} from '../../src/llm/index.js';
import { collectChatStream, toolCallFromJson } from '../../src/llm/index.js';
import type { Clock } from '../../src/shared/index.js';
import { systemClock } from '../../src/shared/index.js';

/** Fields every step may carry. */
interface StepBase {
  /** Wait this long (through the model's clock) before the first event. */
  readonly delayMs?: number;
  /** Called with the request before the step runs; throw to fail the call. */
  readonly expect?: (request: ChatRequest) => void;
}

/** One scripted answer. */
export type ScriptedStep = StepBase &
  (
    | {
        readonly kind: 'reply';
        /** Streamed as these chunks, in order; `complete` joins them. */
        readonly chunks: readonly string[];
        /** Wait between chunks. */
        readonly chunkDelayMs?: number;
        readonly toolCalls?: readonly ToolCall[];
        readonly usage?: Usage;
        readonly finishReason?: FinishReason;
      }
    | {
        readonly kind: 'error';
        readonly error: Error;
        /** Chunks streamed before the error, to script a mid-stream failure. */
        readonly chunksBefore?: readonly string[];
      }
    | { readonly kind: 'hang' }
  );

/** Builders for {@link ScriptedStep}s. */
export const step = {
  /** A plain text reply, streamed as one chunk. */
  text(text: string, extra: Partial<StepBase> & { usage?: Usage } = {}): ScriptedStep {
    return { kind: 'reply', chunks: [text], ...extra };
  },
  /** A reply streamed in the given chunks, `chunkDelayMs` apart. */
  chunks(
    chunks: readonly string[],
    extra: Partial<StepBase> & { chunkDelayMs?: number } = {},
  ): ScriptedStep {
    return { kind: 'reply', chunks, ...extra };
  },
  /** A reply that calls tools (ids default to `call_<n>`). */
  toolCalls(
    calls: readonly { id?: string; name: string; arguments: Record<string, unknown> }[],
    extra: Partial<StepBase> & { text?: string; usage?: Usage } = {},
  ): ScriptedStep {
    const { text, ...rest } = extra;
    return {
      kind: 'reply',
      chunks: text === undefined ? [] : [text],
      toolCalls: calls.map((call, index) =>
        toolCallFromJson(call.id ?? `call_${index}`, call.name, JSON.stringify(call.arguments)),
      ),
      finishReason: 'tool_calls',
      ...rest,
    };
  },
  /** A JSON reply (for `responseFormat` requests). */
  json(value: unknown, extra: Partial<StepBase> = {}): ScriptedStep {
    return { kind: 'reply', chunks: [JSON.stringify(value)], ...extra };
  },
  /** A failure; with `chunksBefore`, a stream fails after yielding them. */
  error(
    error: Error,
    extra: Partial<StepBase> & { chunksBefore?: readonly string[] } = {},
  ): ScriptedStep {
    return { kind: 'error', error, ...extra };
  },
  /** Never answers; the call ends only when its signal aborts. */
  hang(extra: Partial<StepBase> = {}): ScriptedStep {
    return { kind: 'hang', ...extra };
  },
};

/** One recorded call. */
export interface ScriptedCall {
  readonly method: 'complete' | 'stream';
  readonly request: ChatRequest;
  readonly signal: AbortSignal | undefined;
}

/** Options of {@link ScriptedChatModel}. */
export interface ScriptedChatModelOptions {
  readonly modelId?: string;
  readonly steps?: readonly ScriptedStep[];
  /** Delays sleep through it; default the real clock. */
  readonly clock?: Clock;
}

/** See the file comment. */
export class ScriptedChatModel implements ChatModel {
  readonly modelId: string;
  readonly calls: ScriptedCall[] = [];
  private readonly steps: ScriptedStep[];
  private readonly clock: Clock;
  private readonly surprises: string[] = [];

  constructor(options: ScriptedChatModelOptions = {}) {
    this.modelId = options.modelId ?? 'scripted-model';
    this.steps = [...(options.steps ?? [])];
    this.clock = options.clock ?? systemClock;
  }

  /** The requests received, in order. */
  get requests(): ChatRequest[] {
    return this.calls.map((call) => call.request);
  }

  /** Steps not yet consumed. */
  get remainingSteps(): number {
    return this.steps.length;
  }

  /** Appends steps to the script. */
  enqueue(...steps: ScriptedStep[]): this {
    this.steps.push(...steps);
    return this;
  }

  /** Throws when a call had no step, or when steps are left over. */
  assertDone(): void {
    const problems = [...this.surprises];
    if (this.steps.length > 0)
      problems.push(`${this.steps.length} scripted step(s) never consumed`);
    if (problems.length > 0) throw new Error(`ScriptedChatModel: ${problems.join('; ')}`);
  }

  complete(request: ChatRequest, options: ChatCallOptions = {}): Promise<ChatResponse> {
    return collectChatStream(this.run('complete', request, options));
  }

  stream(request: ChatRequest, options: ChatCallOptions = {}): AsyncIterable<ChatStreamEvent> {
    return this.run('stream', request, options);
  }

  private async *run(
    method: ScriptedCall['method'],
    request: ChatRequest,
    options: ChatCallOptions,
  ): AsyncGenerator<ChatStreamEvent, void, undefined> {
    const { signal } = options;
    this.calls.push({ method, request, signal });
    const next = this.steps.shift();
    if (next === undefined) {
      const problem = `unexpected ${method} call #${this.calls.length} (no step left)`;
      this.surprises.push(problem);
      throw new Error(`ScriptedChatModel: ${problem}`);
    }
    next.expect?.(request);
    signal?.throwIfAborted();
    if (next.delayMs !== undefined) await this.clock.sleep(next.delayMs, signal);
    switch (next.kind) {
      case 'hang':
        await waitForAbort(signal);
        return;
      case 'error':
        for (const chunk of next.chunksBefore ?? []) yield { type: 'text_delta', text: chunk };
        throw next.error;
      case 'reply': {
        for (const [index, chunk] of next.chunks.entries()) {
          if (index > 0 && next.chunkDelayMs !== undefined) {
            await this.clock.sleep(next.chunkDelayMs, signal);
          }
          signal?.throwIfAborted();
          if (chunk !== '') yield { type: 'text_delta', text: chunk };
        }
        for (const toolCall of next.toolCalls ?? []) yield { type: 'tool_call', toolCall };
        if (next.usage !== undefined) yield { type: 'usage', usage: next.usage };
        yield { type: 'done', finishReason: next.finishReason ?? 'stop', modelId: this.modelId };
      }
    }
  }
}

/** Rejects with the signal's reason once it aborts; never settles without a signal. */
function waitForAbort(signal: AbortSignal | undefined): Promise<never> {
  return new Promise<never>((_resolve, reject) => {
    if (signal === undefined) return;
    const onAbort = (): void => {
      reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}
