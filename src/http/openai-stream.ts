/**
 * Server-sent events in OpenAI's chat-completion format: a role chunk, content chunks, a chunk
 * with the finish reason, an optional usage chunk (`stream_options.include_usage`), then
 * `data: [DONE]`. A failure mid-stream is sent as one `data: {"error": …}` event, without
 * `[DONE]`, which OpenAI clients raise as an error.
 */
import type { CompletionDelta, CompletionUsage } from './agent-completions.js';
import type { TextScrubber, TextStreamScrubber } from '../shared/index.js';

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

/** Scrubs responses: whole texts, and streams piece by piece (`SecretScrubber` is one). */
export interface ApiScrubber extends TextScrubber {
  stream(): TextStreamScrubber;
}

/** What {@link streamCompletion} needs. */
export interface StreamCompletionInput {
  readonly deltas: AsyncIterable<CompletionDelta>;
  readonly frame: ChunkFrame;
  readonly includeUsage: boolean;
  readonly scrubber: ApiScrubber;
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

/** The bytes of one completion's events. */
class ChunkWriter {
  private readonly redaction: TextStreamScrubber;

  constructor(
    private readonly frame: ChunkFrame,
    private readonly scrubber: ApiScrubber,
  ) {
    this.redaction = scrubber.stream();
  }

  private chunk(delta: Record<string, unknown>, finishReason: string | null): Uint8Array {
    return event({
      id: this.frame.id,
      object: 'chat.completion.chunk',
      created: this.frame.created,
      model: this.frame.model,
      choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }],
    });
  }

  start(): Uint8Array {
    return this.chunk({ role: 'assistant', content: '' }, null);
  }

  /** A content chunk, or nothing while the text might be the start of a secret. */
  text(text: string): Uint8Array | undefined {
    const safe = this.redaction.push(text);
    return safe === '' ? undefined : this.chunk({ content: safe }, null);
  }

  /** The rest of the text, the finish chunk, the usage chunk when asked, and `[DONE]`. */
  end(delta: Extract<CompletionDelta, { type: 'done' }>, includeUsage: boolean): Uint8Array[] {
    const out: Uint8Array[] = [];
    const rest = this.redaction.flush();
    if (rest !== '') out.push(this.chunk({ content: rest }, null));
    out.push(this.chunk({}, delta.finishReason));
    if (includeUsage) {
      out.push(
        event({
          id: this.frame.id,
          object: 'chat.completion.chunk',
          created: this.frame.created,
          model: this.frame.model,
          choices: [],
          usage: usageOf(delta.usage),
        }),
      );
    }
    out.push(encoder.encode('data: [DONE]\n\n'));
    return out;
  }

  error(failure: StreamError): Uint8Array {
    const message = this.scrubber.scrub(failure.message);
    return event({ error: { message, type: failure.type, param: null, code: failure.code } });
  }
}

/**
 * The SSE body for one streamed completion. It pulls from `deltas` only as fast as the client
 * reads (backpressure), and cancels the completion when the client disconnects.
 */
export function streamCompletion(input: StreamCompletionInput): ReadableStream<Uint8Array> {
  const writer = new ChunkWriter(input.frame, input.scrubber);
  const iterator = input.deltas[Symbol.asyncIterator]();
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
        controller.enqueue(writer.start());
        return;
      }
      try {
        // Keep reading until something can be sent: a pull that enqueues nothing would stall.
        for (;;) {
          const next = await iterator.next();
          const delta: CompletionDelta =
            next.done === true ? { type: 'done', finishReason: 'stop' } : next.value;
          if (delta.type === 'text') {
            const bytes = writer.text(delta.text);
            if (bytes === undefined) continue;
            controller.enqueue(bytes);
            return;
          }
          for (const bytes of writer.end(delta, input.includeUsage)) controller.enqueue(bytes);
          controller.close();
          end('completed');
          return;
        }
      } catch (error: unknown) {
        // The client went away: cancel() already ended the stream.
        if (hasEnded) return;
        controller.enqueue(writer.error(input.errorOf(error)));
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
