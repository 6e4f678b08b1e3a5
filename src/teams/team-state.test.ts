import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock, flushMicrotasks } from '../../test/support/fake-clock.js';
import { ScriptedChatModel, step } from '../../test/support/scripted-chat-model.js';
import { ModelError } from '../llm/index.js';
import { AbortReason } from '../shared/index.js';
import type { TeamStateSnapshot } from '../storage/index.js';
import {
  EMPTY_TEAM_STATE,
  TEAM_STATE_MAX_ITEMS,
  extractTeamState,
  formatTeamStateForPrompt,
} from './team-state.js';

const previous: TeamStateSnapshot = {
  topic: 'Launch',
  decisions: ['ship Friday'],
  openQuestions: ['who writes the post?'],
};
const exchange = [
  { senderName: 'Alice', body: 'Scribe writes the post. Should we tweet too?' },
  { senderName: 'Dev Team', body: 'Noted: Scribe writes it.' },
];

const models: ScriptedChatModel[] = [];
afterEach(() => {
  for (const model of models.splice(0)) model.assertDone();
});
function scripted(...steps: Parameters<ScriptedChatModel['enqueue']>): ScriptedChatModel {
  const model = new ScriptedChatModel({ steps });
  models.push(model);
  return model;
}
const signal = new AbortController().signal;

describe('extractTeamState', () => {
  it('asks once with a strict schema, showing the previous state and the exchange', async () => {
    const model = scripted(
      step.json({
        topic: 'Launch announcement',
        decisions: ['ship Friday', 'Scribe writes the post'],
        open_questions: ['should we tweet too?'],
      }),
    );
    const result = await extractTeamState({ model, previous, latestExchange: exchange, signal });
    expect(result).toEqual({
      kind: 'updated',
      state: {
        topic: 'Launch announcement',
        decisions: ['ship Friday', 'Scribe writes the post'],
        openQuestions: ['should we tweet too?'],
      },
    });
    const request = model.requests[0];
    expect(request?.responseFormat).toMatchObject({
      type: 'json_schema',
      name: 'team_state',
      strict: true,
      schema: { required: ['topic', 'decisions', 'open_questions'] },
    });
    expect(request?.messages[0]?.content).toContain('"decisions":["ship Friday"]');
    expect(request?.messages[0]?.content).toContain('Alice: Scribe writes the post.');
    expect(request?.messages[0]?.content).toContain('Dev Team: Noted');
  });

  it('cleans the answer: trims, drops blanks and repeats, keeps the newest items', async () => {
    const many = Array.from({ length: TEAM_STATE_MAX_ITEMS + 3 }, (_, i) => `d${i}`);
    const model = scripted(
      step.text(
        '```json\n' +
          JSON.stringify({
            topic: '  Launch  ',
            decisions: [' a ', '', 'a', 7, ...many],
            openQuestions: ['q'],
          }) +
          '\n```',
      ),
    );
    const result = await extractTeamState({ model, previous, latestExchange: exchange, signal });
    expect(result.kind).toBe('updated');
    expect(result.state.topic).toBe('Launch');
    expect(result.state.decisions).toHaveLength(TEAM_STATE_MAX_ITEMS);
    expect(result.state.decisions.at(-1)).toBe(`d${TEAM_STATE_MAX_ITEMS + 2}`);
    expect(result.state.openQuestions).toEqual(['q']);
  });

  it('keeps the previous value of a field the model left out', async () => {
    const model = scripted(step.json({ topic: 'New topic' }));
    const result = await extractTeamState({ model, previous, latestExchange: exchange, signal });
    expect(result.state).toEqual({ ...previous, topic: 'New topic' });
  });

  it('keeps the previous state when the answer is nonsense', async () => {
    for (const answer of [step.text('I cannot help with that.'), step.json({ mood: 'good' })]) {
      const model = scripted(answer);
      const result = await extractTeamState({ model, previous, latestExchange: exchange, signal });
      expect(result).toMatchObject({ kind: 'kept', state: previous });
    }
  });

  it('keeps the previous state when the model fails', async () => {
    const model = scripted(step.error(new ModelError('rate_limited', 'slow down')));
    const result = await extractTeamState({ model, previous, latestExchange: exchange, signal });
    expect(result).toMatchObject({ kind: 'kept', state: previous });
    expect(result.kind === 'kept' && result.reason).toMatch(/model failed: .*slow down/);
  });

  it('keeps the previous state after the timeout, and cancels the call', async () => {
    const clock = new FakeClock();
    const model = scripted(step.hang());
    const pending = extractTeamState({
      model,
      previous,
      latestExchange: exchange,
      signal,
      clock,
      timeoutMs: 5_000,
    });
    await flushMicrotasks();
    await clock.advance(5_000);
    await expect(pending).resolves.toEqual({
      kind: 'kept',
      state: previous,
      reason: 'timed out after 5000 ms',
    });
    expect(model.calls[0]?.signal?.aborted).toBe(true);
  });

  it('keeps the previous state, without rejecting, when aborted', async () => {
    const controller = new AbortController();
    const model = scripted(step.hang());
    const pending = extractTeamState({
      model,
      previous,
      latestExchange: exchange,
      signal: controller.signal,
      clock: new FakeClock(),
    });
    await flushMicrotasks();
    controller.abort(new AbortReason('shutdown'));
    await expect(pending).resolves.toMatchObject({ kind: 'kept', reason: 'aborted' });
  });
});

describe('formatTeamStateForPrompt', () => {
  it('lists the topic, decisions and open questions', () => {
    expect(formatTeamStateForPrompt(previous)).toBe(
      'Topic: Launch\nDecisions made:\n- ship Friday\nOpen questions:\n- who writes the post?',
    );
  });

  it('gives nothing for an empty state', () => {
    expect(formatTeamStateForPrompt(EMPTY_TEAM_STATE)).toBeUndefined();
  });
});
