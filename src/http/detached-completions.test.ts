import { describe, expect, it } from 'vitest';
import { DetachedTurnError, type DetachedRequest, type DetachedResult } from '../agents/index.js';
import type { CompletionDelta } from './agent-completions.js';
import { detachedCompletions, type DetachedTurnSource } from './detached-completions.js';

function source(run: (request: DetachedRequest) => Promise<DetachedResult>): DetachedTurnSource {
  return {
    entities: () => [
      { name: 'calc', displayName: 'Calculator', role: 'math', kind: 'agent' },
      { name: 'duo', displayName: 'Duo', role: 'pair', kind: 'team' },
    ],
    run,
  };
}

const base = {
  messages: [{ role: 'user' as const, content: 'hi' }],
  sessionId: 's',
  caller: 'key-1',
};
const done: DetachedResult = {
  text: 'Hello there',
  outcome: 'completed',
  inputTokens: 3,
  outputTokens: 2,
};

describe('detachedCompletions', () => {
  it('offers agents by name and teams as team/<name>', () => {
    const completions = detachedCompletions(source(() => Promise.resolve(done)));
    expect(completions.models().map((model) => model.id)).toEqual(['calc', 'team/duo']);
  });

  it('runs the named entity and reports usage', async () => {
    const asked: string[] = [];
    const completions = detachedCompletions(
      source((request) => {
        asked.push(`${request.entity}/${request.caller}/${request.sessionId}`);
        return Promise.resolve(done);
      }),
    );
    const result = await completions.complete(
      { ...base, model: 'team/duo' },
      { signal: new AbortController().signal },
    );
    expect(asked).toEqual(['duo/key-1/s']);
    expect(result).toEqual({
      text: 'Hello there',
      finishReason: 'stop',
      usage: { promptTokens: 3, completionTokens: 2 },
    });
  });

  it('streams the growing answer as deltas, then done', async () => {
    const completions = detachedCompletions(
      source(async (request) => {
        request.onText?.('Hel');
        await new Promise((resolve) => setTimeout(resolve, 5));
        request.onText?.('Hello');
        request.onText?.('Hello there');
        return done;
      }),
    );
    const deltas: CompletionDelta[] = [];
    for await (const delta of completions.stream(
      { ...base, model: 'calc' },
      { signal: new AbortController().signal },
    ))
      deltas.push(delta);
    const text = deltas.flatMap((delta) => (delta.type === 'text' ? [delta.text] : [])).join('');
    expect(text).toBe('Hello there');
    expect(deltas.at(-1)).toMatchObject({ type: 'done', finishReason: 'stop' });
  });

  it('maps expected failures to the API error codes', async () => {
    const completions = detachedCompletions(
      source(() => Promise.reject(new DetachedTurnError('upstream', 'The model is unavailable.'))),
    );
    const signal = new AbortController().signal;
    await expect(
      completions.complete({ ...base, model: 'calc' }, { signal }),
    ).rejects.toMatchObject({
      code: 'upstream',
      message: 'The model is unavailable.',
    });
    await expect(
      completions.complete({ ...base, model: 'nope' }, { signal }),
    ).rejects.toMatchObject({
      code: 'model_not_found',
    });
  });
});
