/**
 * Server-sent events in OpenAI's chat-completion format: a role chunk, content chunks, a chunk
 * with the finish reason, an optional usage chunk (`stream_options.include_usage`), then
 * `data: [DONE]`. A failure mid-stream is sent as one `data: {"error": …}` event, without
 * `[DONE]`, which OpenAI clients raise as an error.
 */
import type { CompletionDelta, CompletionUsage } from './agent-completions.js';
import type { SecretRedactor } from './secret-redactor.js';

/** The fields every chunk of one completion repeats. */
export interface ChunkFrame {
  readonly id: string;
  /** Unix seconds. */
  readonly created: number;
  readonly model: string;
}

/** An error as the client sees it. */
export interface StreamError {
  readonly message: string;
  readonly type: string;
  readonly code: string | null;
}

/** What {@link streamCompletion} needs. */
export interface StreamCompletionInput {
  readonly deltas: AsyncIterable<CompletionDelta>;
  readonly frame: ChunkFrame;
  readonly includeUsage: boolean;
  readonly redactor: SecretRedactor;
  /** Called when the client goes away: aborts the completion. */
  readonly abort: () => void;
  /** Called once when the stream ends, however it ends. */
  readonly onEnd: (outcome: 'completed' | 'failed' | 'cancelled') => void;
  /** Turns a thrown error into what the client may see. */
  readonly errorOf: (error: unknown) => StreamError;
}

/** OpenAI's `usage` object. */
export function usageOf(usage: CompletionUsage | undefined): Record<string, number> {
  const prompt = usage?.promptTokens ?? 0;
  const completion = usage?.completionTokens ?? 0;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
  };
}

const encoder = new TextEncoder();

function event(data: unknown): Uint8Array {
  return encoder.encode(`data: ${JSON.stringify(data)}\n\n`);
}

/**
 * The SSE body for one streamed completion. It pulls from `deltas` only as fast as the client
 * reads (backpressure), and cancels the completion when the client disconnects.
 */
export function streamCompletion(input: StreamCompletionInput): ReadableStream<Uint8Array> {
  const { frame, redactor } = input;
  const chunk = (delta: Record<string, unknown>, finishReason: string | null): Uint8Array =>
    event({
      id: frame.id,
      object: 'chat.completion.chunk',
      created: frame.created,
      model: frame.model,
      choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }],
    });
  const iterator = input.deltas[Symbol.asyncIterator]();
  const redaction = redactor.stream();
  let hasStarted = false;
  let hasEnded = false;
  const end = (outcome: 'completed' | 'failed' | 'cancelled'): void => {
    if (hasEnded) return;
    hasEnded = true;
    input.onEnd(outcome);
  };

  return new ReadableStream<Uint8Array>({
    pull: async (controller) => {
      if (!hasStarted) {
        hasStarted = true;
        controller.enqueue(chunk({ role: 'assistant', content: '' }, null));
        return;
      }
      try {
        // Keep reading until something can be sent: a pull that enqueues nothing would stall.
        for (;;) {
          const next = await iterator.next();
          const delta: CompletionDelta =
            next.done === true ? { type: 'done', finishReason: 'stop' } : next.value;
          if (delta.type === 'text') {
            const text = redaction.push(delta.text);
            if (text === '') continue;
            controller.enqueue(chunk({ content: text }, null));
            return;
          }
          const rest = redaction.flush();
          if (rest !== '') controller.enqueue(chunk({ content: rest }, null));
          controller.enqueue(chunk({}, delta.finishReason));
          if (input.includeUsage) {
            controller.enqueue(
              event({
                id: frame.id,
                object: 'chat.completion.chunk',
                created: frame.created,
                model: frame.model,
                choices: [],
                usage: usageOf(delta.usage),
              }),
            );
          }
          controller.enqueue(encoder.encode('data: [DONE]\n\n'));
          controller.close();
          end('completed');
          return;
        }
      } catch (error: unknown) {
        // The client went away: cancel() already ended the stream.
        if (hasEnded) return;
        const failure = input.errorOf(error);
        controller.enqueue(
          event({
            error: {
              message: redactor.redact(failure.message),
              type: failure.type,
              param: null,
              code: failure.code,
            },
          }),
        );
        controller.close();
        end('failed');
      }
    },
    cancel: async () => {
      end('cancelled');
      input.abort();
      try {
        await iterator.return?.();
      } catch {
        // The completion rejects with the abort reason: nobody is listening any more.
      }
    },
  });
}
