import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.js';
import { ScriptedChatModel, step } from '../../test/support/scripted-chat-model.js';
import { profile } from '../../test/support/turn-fixtures.js';
import { ModelError } from '../llm/index.js';
import { QuorumMetrics, silentLogger } from '../shared/index.js';
import { QuorumStore } from '../storage/index.js';
import type { ToolRunner } from '../tools/index.js';
import { DetachedAgentRunner, DetachedTurnError, type DetachedRequest } from './detached-turn.js';
import { createModelProvider } from './model-choice.js';

const models: ScriptedChatModel[] = [];
const stores: QuorumStore[] = [];
afterEach(() => {
  for (const model of models.splice(0)) model.assertDone();
  for (const store of stores.splice(0)) store.close();
});

function setup(tools?: ToolRunner) {
  const store = new QuorumStore(':memory:');
  stores.push(store);
  const model = new ScriptedChatModel();
  models.push(model);
  const runner = new DetachedAgentRunner({
    profile: (name) => (name === 'calc' ? profile('calc', { isStreaming: true }) : undefined),
    models: createModelProvider({
      catalog: () => ({ model: () => model, names: () => ['default'] }),
      modelsOf: () => ({ model: 'default', roomModels: {} }),
      threadModel: () => undefined,
      aliasOf: () => undefined,
    }),
    tools: () => tools,
    context: [],
    usage: store.usage,
    metrics: new QuorumMetrics(),
    maxPromptBytes: () => 200_000,
    maxToolCallsPerStep: () => 8,
    clock: new FakeClock(),
    log: silentLogger,
  });
  return { store, model, runner };
}

function request(extra: Partial<DetachedRequest> = {}): DetachedRequest {
  return {
    entity: 'calc',
    messages: [
      { role: 'system', content: 'Answer in French.' },
      { role: 'user', content: 'hello' },
      { role: 'assistant', content: 'bonjour' },
      { role: 'user', content: 'what is 6*7?' },
    ],
    caller: 'key-1',
    sessionId: 's1',
    channel: 'the OpenAI-compatible API',
    signal: new AbortController().signal,
    ...extra,
  };
}

describe('DetachedAgentRunner', () => {
  it("answers outside Matrix with the agent's instructions, the client's and the conversation", async () => {
    const { store, model, runner } = setup();
    model.enqueue({
      kind: 'reply',
      chunks: ['qua', 'rante-deux'],
      usage: { inputTokens: 20, outputTokens: 5 },
    });
    const seen: string[] = [];
    const result = await runner.run(request({ onText: (text) => seen.push(text) }));

    expect(result).toMatchObject({ text: 'quarante-deux', outcome: 'completed', inputTokens: 20 });
    expect(seen).toEqual(['qua', 'quarante-deux', 'quarante-deux']);
    const sent = model.requests[0];
    expect(sent?.system).toContain('The calc agent.');
    expect(sent?.system).toContain('Channel: the OpenAI-compatible API (not a Matrix room)');
    expect(sent?.system).toContain('## Instructions from the API client\nAnswer in French.');
    expect(sent?.messages).toEqual([
      { role: 'user', content: 'hello' },
      { role: 'assistant', content: 'bonjour' },
      { role: 'user', content: 'what is 6*7?' },
    ]);
    expect(store.usage.totals('user_id')).toMatchObject([{ key: 'key-1', inputTokens: 20 }]);
  });

  it('refuses an unknown agent and a conversation without a user message', async () => {
    const { runner } = setup();
    await expect(runner.run(request({ entity: 'nobody' }))).rejects.toMatchObject({
      code: 'unknown_entity',
    });
    await expect(
      runner.run(request({ messages: [{ role: 'assistant', content: 'hi' }] })),
    ).rejects.toBeInstanceOf(DetachedTurnError);
  });

  it('reports a model failure as an upstream error with a safe message', async () => {
    const { model, runner } = setup();
    model.enqueue(step.error(new ModelError('server_error', 'provider down: secret detail')));
    const failure = runner.run(request());
    await expect(failure).rejects.toMatchObject({ code: 'upstream' });
    await expect(failure).rejects.not.toMatchObject({
      userMessage: expect.stringContaining('secret'),
    });
  });

  it('uses the tools it is given and answers with their result', async () => {
    const tools: ToolRunner = {
      definitions: [{ name: 'calculator', description: 'math', parameters: { type: 'object' } }],
      run: () => Promise.resolve({ content: '42', isError: false }),
    };
    const { model, runner } = setup(tools);
    model.enqueue(
      step.toolCalls([{ name: 'calculator', arguments: { expression: '6*7' } }]),
      step.text('It is 42.'),
    );
    expect((await runner.run(request())).text).toBe('It is 42.');
    expect(model.requests[1]?.messages.at(-1)).toMatchObject({ role: 'tool', content: '42' });
  });
});
