import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock, flushMicrotasks } from '../../test/support/fake-clock.js';
import { RecordingLogger } from '../../test/support/recording-logger.js';
import { ScriptedChatModel, step } from '../../test/support/scripted-chat-model.js';
import { ModelError } from '../llm/index.js';
import { RouterDecisionCache } from './router-decision-cache.js';
import type { RouteCandidate } from './router-model.js';
import { RoutingPolicy, askToMentionText, type RouteRequest } from './routing-policy.js';

const calc: RouteCandidate = {
  name: 'calc',
  displayName: 'Calculator',
  kind: 'agent',
  role: 'maths',
  tools: ['calculator'],
};
const scribe: RouteCandidate = {
  name: 'scribe',
  displayName: 'Scribe',
  kind: 'agent',
  role: 'writing',
  tools: [],
};

const models: ScriptedChatModel[] = [];
afterEach(() => {
  for (const model of models.splice(0)) model.assertDone();
});

function setup(...steps: Parameters<ScriptedChatModel['enqueue']>) {
  const clock = new FakeClock();
  const model = new ScriptedChatModel({ steps, clock });
  models.push(model);
  const cache = new RouterDecisionCache({ clock });
  const log = new RecordingLogger();
  const policy = new RoutingPolicy({ cache, clock, log });
  const request = (overrides: Partial<RouteRequest> = {}): RouteRequest => ({
    model,
    roomId: '!r',
    threadRoot: '$t',
    message: { senderName: 'Alice', body: 'hi' },
    recent: [],
    candidates: [calc, scribe],
    signal: new AbortController().signal,
    ...overrides,
  });
  return { clock, model, cache, log, policy, request };
}

describe('RoutingPolicy', () => {
  it('answers with the only candidate without calling the model', async () => {
    const { policy, request, model } = setup();
    await expect(policy.route(request({ candidates: [scribe] }))).resolves.toEqual({
      kind: 'respond',
      name: 'scribe',
      reason: 'the only candidate',
      via: 'only-candidate',
    });
    expect(model.calls).toHaveLength(0);
  });

  it("follows the model's choice and reuses it for the thread for 60 s", async () => {
    const { policy, request, model, clock } = setup(
      step.json({ agent: 'scribe', reason: 'writing' }),
      step.json({ agent: 'calc', reason: 'sums' }),
    );
    await expect(policy.route(request())).resolves.toEqual({
      kind: 'respond',
      name: 'scribe',
      reason: 'writing',
      via: 'model',
    });
    await clock.advance(59_000);
    await expect(policy.route(request())).resolves.toMatchObject({ name: 'scribe', via: 'cache' });
    expect(model.calls).toHaveLength(1);
    await clock.advance(1_000);
    await expect(policy.route(request())).resolves.toMatchObject({ name: 'calc', via: 'model' });
  });

  it('asks the model again when the cached choice is no longer a candidate', async () => {
    const { policy, request, cache } = setup(step.json({ agent: 'calc', reason: 'sums' }));
    cache.set('!r', '$t', { name: 'gone', reason: '' });
    await expect(policy.route(request())).resolves.toMatchObject({ name: 'calc', via: 'model' });
  });

  it('falls back to the configured agent when the model returns nonsense, and caches nothing', async () => {
    const { policy, request, cache, log } = setup(step.text('no idea, sorry'));
    await expect(policy.route(request({ fallback: 'calc' }))).resolves.toMatchObject({
      kind: 'respond',
      name: 'calc',
      via: 'fallback',
    });
    expect(cache.size).toBe(0);
    expect(log.lines.map((line) => line.message)).toContain('router model gave no usable answer');
  });

  it('asks the person to mention someone when the model fails and there is no usable fallback', async () => {
    const { policy, request } = setup(step.error(new ModelError('server_error', 'down')));
    const outcome = await policy.route(request({ fallback: 'not-here' }));
    expect(outcome).toMatchObject({
      kind: 'ask-to-mention',
      text: "I'm not sure who should answer that. Please mention one of: @calc (Calculator), @scribe.",
    });
  });

  it('asks to mention someone when the model times out', async () => {
    const { policy, request, clock } = setup(step.hang());
    const pending = policy.route(request());
    await flushMicrotasks();
    await clock.advance(10_000);
    await expect(pending).resolves.toMatchObject({ kind: 'ask-to-mention' });
  });

  it('says so when nobody is available', async () => {
    const { policy, request } = setup();
    await expect(policy.route(request({ candidates: [] }))).resolves.toMatchObject({
      kind: 'ask-to-mention',
      reason: 'no candidates',
    });
  });
});

describe('askToMentionText', () => {
  it('lists every candidate as a plain @mention', () => {
    expect(askToMentionText([calc])).toBe(
      "I'm not sure who should answer that. Please mention one of: @calc (Calculator).",
    );
  });
});
