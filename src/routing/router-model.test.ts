import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock, flushMicrotasks } from '../../test/support/fake-clock.js';
import { ScriptedChatModel, step } from '../../test/support/scripted-chat-model.js';
import { ModelError } from '../llm/index.js';
import { AbortReason } from '../shared/index.js';
import {
  chooseResponder,
  findCandidate,
  interpretRouterAnswer,
  type RouteCandidate,
} from './router-model.js';

const candidates: RouteCandidate[] = [
  {
    name: 'calc',
    displayName: 'Calculator',
    kind: 'agent',
    role: 'Does arithmetic',
    tools: ['calculator'],
  },
  {
    name: 'code_agent',
    displayName: 'Code Agent',
    kind: 'agent',
    role: 'Writes code',
    tools: [],
    description: 'Knows TypeScript',
  },
  { name: 'devteam', displayName: 'Dev Team', kind: 'team', role: 'Builds', tools: ['a', 'b'] },
];

const message = { senderName: 'Alice', body: 'what is 2+2?' };
const models: ScriptedChatModel[] = [];
function scripted(...steps: Parameters<ScriptedChatModel['enqueue']>): ScriptedChatModel {
  const model = new ScriptedChatModel({ steps });
  models.push(model);
  return model;
}
afterEach(() => {
  for (const model of models.splice(0)) model.assertDone();
});

describe('chooseResponder', () => {
  it('asks once with a strict json_schema whose agent field enumerates the candidates', async () => {
    const model = scripted(step.json({ agent: 'calc', reason: 'arithmetic' }));
    const choice = await chooseResponder({
      model,
      message,
      recent: [{ senderName: 'Bob', body: 'hello' }],
      candidates,
      signal: new AbortController().signal,
    });
    expect(choice).toEqual({ kind: 'chosen', name: 'calc', reason: 'arithmetic' });
    const request = model.requests[0];
    expect(model.calls[0]?.method).toBe('complete');
    expect(request?.responseFormat).toMatchObject({
      type: 'json_schema',
      name: 'route',
      strict: true,
      schema: {
        properties: { agent: { enum: ['calc', 'code_agent', 'devteam'] } },
        required: ['agent', 'reason'],
        additionalProperties: false,
      },
    });
  });

  it("shows the model the message, the recent messages and each candidate's role, tools and description", async () => {
    const model = scripted(step.json({ agent: 'calc', reason: '' }));
    await chooseResponder({
      model,
      message,
      recent: [{ senderName: 'Bob', body: 'earlier question' }],
      candidates,
      signal: new AbortController().signal,
    });
    const request = model.requests[0];
    expect(request?.system).toContain(
      '- calc (agent, "Calculator"): role: Does arithmetic; tools: calculator',
    );
    expect(request?.system).toContain('description: Knows TypeScript');
    expect(request?.system).toContain('- devteam (team, "Dev Team"): role: Builds; members: a, b');
    const content = request?.messages[0]?.content;
    expect(content).toContain('Bob: earlier question');
    expect(content).toContain('Message to route:\nAlice: what is 2+2?');
  });

  it('shows only the last five earlier messages', async () => {
    const model = scripted(step.json({ agent: 'calc', reason: '' }));
    const recent = Array.from({ length: 8 }, (_, i) => ({ senderName: 'Bob', body: `m${i}` }));
    await chooseResponder({
      model,
      message,
      recent,
      candidates,
      signal: new AbortController().signal,
    });
    const content = model.requests[0]?.messages[0]?.content;
    expect(content).not.toContain('m2');
    expect(content).toContain('m3');
    expect(content).toContain('m7');
  });

  it('accepts JSON wrapped in prose and code fences, naming the display name with @ in another case', async () => {
    const model = scripted(
      step.text('Here you go:\n```json\n{"agent": "@code agent", "reason": "code"}\n```'),
    );
    const choice = await chooseResponder({
      model,
      message,
      recent: [],
      candidates,
      signal: new AbortController().signal,
    });
    expect(choice).toEqual({ kind: 'chosen', name: 'code_agent', reason: 'code' });
  });

  it('fails when the model names someone who is not a candidate', async () => {
    const model = scripted(step.json({ agent: 'ghost', reason: 'boo' }));
    const choice = await chooseResponder({
      model,
      message,
      recent: [],
      candidates,
      signal: new AbortController().signal,
    });
    expect(choice).toEqual({
      kind: 'failed',
      reason: 'the router model named an unknown candidate "ghost"',
    });
  });

  it('fails, without throwing, when the model call fails', async () => {
    const model = scripted(step.error(new ModelError('server_error', 'boom')));
    const choice = await chooseResponder({
      model,
      message,
      recent: [],
      candidates,
      signal: new AbortController().signal,
    });
    expect(choice.kind).toBe('failed');
    expect(choice.kind === 'failed' && choice.reason).toMatch(/router model failed: .*boom/);
  });

  it('fails after the timeout and cancels the model call', async () => {
    const clock = new FakeClock();
    const model = scripted(step.hang());
    const pending = chooseResponder({
      model,
      message,
      recent: [],
      candidates,
      signal: new AbortController().signal,
      clock,
      timeoutMs: 10_000,
    });
    await flushMicrotasks();
    await clock.advance(10_000);
    await expect(pending).resolves.toEqual({
      kind: 'failed',
      reason: 'the router model took longer than 10000 ms',
    });
    expect(model.calls[0]?.signal?.aborted).toBe(true);
    expect(clock.pendingSleeps).toBe(0);
  });

  it("rejects with the caller's reason when the caller aborts", async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    const model = scripted(step.hang());
    const pending = chooseResponder({
      model,
      message,
      recent: [],
      candidates,
      signal: controller.signal,
      clock,
    });
    await flushMicrotasks();
    controller.abort(new AbortReason('shutdown'));
    await expect(pending).rejects.toMatchObject({ kind: 'shutdown' });
    expect(clock.pendingSleeps).toBe(0);
  });
});

describe('interpretRouterAnswer', () => {
  it('accepts a bare candidate name from a model that ignores the format', () => {
    expect(interpretRouterAnswer('@Calc.', candidates)).toEqual({
      kind: 'chosen',
      name: 'calc',
      reason: '',
    });
  });

  it('accepts `name` in place of `agent`', () => {
    expect(interpretRouterAnswer('{"name":"devteam","reason":"big job"}', candidates)).toEqual({
      kind: 'chosen',
      name: 'devteam',
      reason: 'big job',
    });
  });

  it('fails on nonsense: empty text, prose, a number, an object without a name', () => {
    for (const text of ['', 'I think it depends on many things.\nReally.', '{"agent": 3}', '{}']) {
      expect(interpretRouterAnswer(text, candidates).kind).toBe('failed');
    }
  });
});

describe('findCandidate', () => {
  it('matches names, display names, user ids and squashed spellings', () => {
    expect(findCandidate('CALC', candidates)?.name).toBe('calc');
    expect(findCandidate('calculator', candidates)?.name).toBe('calc');
    expect(findCandidate('@calc:example.org', candidates)?.name).toBe('calc');
    expect(findCandidate('Code-Agent', candidates)?.name).toBe('code_agent');
    expect(findCandidate('dev team', candidates)?.name).toBe('devteam');
    expect(findCandidate('calculus', candidates)).toBeUndefined();
    expect(findCandidate('@', candidates)).toBeUndefined();
  });
});
