import type {
  AgentCompletions,
  CompletionDelta,
  CompletionModel,
  CompletionRequest,
  CompletionResult,
} from '../../src/http/index.js';

/** How the fake answers one request. */
export type ScriptedAnswer =
  | {
      readonly kind: 'text';
      readonly chunks: readonly string[];
      readonly usage?: { promptTokens: number; completionTokens: number };
    }
  | { readonly kind: 'error'; readonly error: Error; readonly afterChunks?: readonly string[] }
  | { readonly kind: 'hang' };

/**
 * An AgentCompletions for HTTP tests: fixed models, answers chosen per request by `answer`
 * (default: echo the last user message), every request and its signal recorded.
 */
export class ScriptedCompletions implements AgentCompletions {
  readonly requests: CompletionRequest[] = [];
  readonly signals: AbortSignal[] = [];
  answer: (request: CompletionRequest) => ScriptedAnswer = (request) => ({
    kind: 'text',
    chunks: [`echo: ${request.messages.filter((m) => m.role === 'user').at(-1)?.content ?? ''}`],
    usage: { promptTokens: 7, completionTokens: 3 },
  });

  constructor(
    private readonly modelList: readonly CompletionModel[] = [
      { id: 'calc', name: 'Calculator', kind: 'agent' },
      { id: 'general', name: 'General', kind: 'agent' },
      { id: 'team/super_team', name: 'Super Team', kind: 'team' },
    ],
  ) {}

  models(): readonly CompletionModel[] {
    return this.modelList;
  }

  async complete(
    request: CompletionRequest,
    options: { readonly signal: AbortSignal },
  ): Promise<CompletionResult> {
    let text = '';
    let usage: CompletionResult['usage'];
    for await (const delta of this.stream(request, options)) {
      if (delta.type === 'text') text += delta.text;
      else usage = delta.usage;
    }
    return { text, finishReason: 'stop', ...(usage === undefined ? {} : { usage }) };
  }

  async *stream(
    request: CompletionRequest,
    options: { readonly signal: AbortSignal },
  ): AsyncGenerator<CompletionDelta, void, undefined> {
    this.requests.push(request);
    this.signals.push(options.signal);
    const answer = this.answer(request);
    if (answer.kind === 'hang') {
      await new Promise<never>((_, reject) => {
        const onAbort = (): void => {
          reject(
            options.signal.reason instanceof Error ? options.signal.reason : new Error('aborted'),
          );
        };
        if (options.signal.aborted) onAbort();
        else options.signal.addEventListener('abort', onAbort, { once: true });
      });
      return;
    }
    if (answer.kind === 'error') {
      for (const chunk of answer.afterChunks ?? []) yield { type: 'text', text: chunk };
      throw answer.error;
    }
    for (const chunk of answer.chunks) {
      options.signal.throwIfAborted();
      yield { type: 'text', text: chunk };
    }
    yield {
      type: 'done',
      finishReason: 'stop',
      ...(answer.usage === undefined ? {} : { usage: answer.usage }),
    };
  }
}
