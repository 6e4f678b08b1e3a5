import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.js';
import { RecordingLogger } from '../../test/support/recording-logger.js';
import { ScriptedChatModel, step } from '../../test/support/scripted-chat-model.js';
import {
  FakeResponders,
  ROOM,
  admitMessage,
  directoryOf,
  profile,
} from '../../test/support/turn-fixtures.js';
import { AbortReason, QuorumMetrics } from '../shared/index.js';
import { QuorumStore, type TurnRecord } from '../storage/index.js';
import type { ToolRunner } from '../tools/index.js';
import { AgentTurnRunner, type FollowUp } from './agent-turn-runner.js';
import type { ContextProvider } from './context-provider.js';
import { HandoffLedger } from './handoff.js';
import { createModelProvider } from './model-choice.js';
import type { AgentTools } from './turn-ports.js';

const ALICE = '@alice:hs';
const models: ScriptedChatModel[] = [];
const stores: QuorumStore[] = [];

afterEach(() => {
  for (const model of models.splice(0)) model.assertDone();
  for (const store of stores.splice(0)) store.close();
});

function setup(
  options: {
    readonly tools?: AgentTools;
    readonly context?: readonly ContextProvider[];
    readonly maxPromptBytes?: number;
    readonly maxToolCallsPerStep?: number;
  } = {},
) {
  const store = new QuorumStore(':memory:');
  stores.push(store);
  const model = new ScriptedChatModel();
  models.push(model);
  const clock = new FakeClock();
  const log = new RecordingLogger();
  const metrics = new QuorumMetrics();
  const responders = new FakeResponders(['calc', 'writer']);
  const directory = directoryOf([profile('calc'), profile('writer')]);
  const handoffs = new HandoffLedger(store.threadSettings);
  const runner = new AgentTurnRunner({
    turns: store.turns,
    responders,
    directory,
    tools: options.tools ?? { toolsFor: () => undefined, toolsWithoutApproval: () => undefined },
    handoffs,
    prepare: {
      journal: store.journal,
      directory,
      models: createModelProvider({
        catalog: () => ({ model: () => model, names: () => ['default'] }),
        modelsOf: () => ({ model: 'default', roomModels: {} }),
        threadModel: () => undefined,
        aliasOf: () => undefined,
      }),
      handoffs,
      context: options.context ?? [],
      usage: store.usage,
      maxPromptBytes: () => options.maxPromptBytes ?? 200_000,
      metrics,
      clock,
      log,
    },
    interactions: store.interactions,
    maxToolCallsPerStep: () => options.maxToolCallsPerStep ?? 8,
    clock,
    log,
    metrics,
  });
  const claim = (responder: string, sourceEventId: string, threadRoot = sourceEventId) => {
    store.turns.claim({
      responder,
      sourceEventId,
      sourceVersion: sourceEventId,
      roomId: ROOM,
      threadRoot,
      requester: ALICE,
    });
    const turn = store.turns.get(responder, sourceEventId);
    if (turn === undefined) throw new Error('no turn');
    return turn;
  };
  return { store, model, responders, runner, handoffs, log, claim };
}

function runOwn(
  runner: AgentTurnRunner,
  turn: TurnRecord,
  extra: {
    signal?: AbortSignal;
    request?: Parameters<AgentTurnRunner['runOwnTurn']>[1]['request'];
  } = {},
) {
  const followUps: FollowUp[] = [];
  const result = runner.runOwnTurn(turn, {
    signal: extra.signal ?? new AbortController().signal,
    request: extra.request,
    onFollowUp: (followUp) => followUps.push(followUp),
  });
  return { result, followUps };
}

describe('AgentTurnRunner', () => {
  it("answers its own turn with the thread's history and records reply, outcome and usage", async () => {
    const { store, model, responders, runner, claim } = setup();
    admitMessage(store, { eventId: '$root', sender: ALICE, body: '@calc hi' });
    admitMessage(store, {
      eventId: '$r1',
      sender: '@calc:hs',
      body: 'Hello!',
      threadRoot: '$root',
    });
    admitMessage(store, {
      eventId: '$q',
      sender: ALICE,
      body: 'what is 2+2?',
      threadRoot: '$root',
    });
    model.enqueue(step.text('4', { usage: { inputTokens: 12, outputTokens: 1 } }));

    const { result } = runOwn(runner, claim('calc', '$q', '$root'));
    expect((await result)?.outcome).toBe('completed');

    const request = model.requests[0];
    expect(request?.system).toContain('The calc agent.');
    expect(request?.messages).toEqual([
      { role: 'user', content: 'alice: @calc hi' },
      { role: 'assistant', content: 'Hello!' },
      { role: 'user', content: 'alice: what is 2+2?' },
    ]);
    expect(responders.outbox('calc').sentBodies).toEqual(['4']);
    const turn = store.turns.get('calc', '$q');
    expect(turn?.state).toBe('completed');
    expect(turn?.replyEventId).toBe('$out1');
    expect(store.usage.totals('responder')).toMatchObject([
      { key: 'calc', inputTokens: 12, outputTokens: 1, calls: 1 },
    ]);
  });

  it('hands the conversation over: records the chain and hands the target back as a follow-up', async () => {
    const { store, model, responders, runner, handoffs, claim } = setup();
    admitMessage(store, { eventId: '$m', sender: ALICE, body: '@calc write me a poem' });
    model.enqueue(
      step.toolCalls([
        { name: 'handoff_to_agent', arguments: { target: 'writer', reason: 'prose' } },
      ]),
      step.text('Writer will take it from here.'),
    );

    const calcTurn = claim('calc', '$m');
    const { result, followUps } = runOwn(runner, calcTurn);
    expect((await result)?.outcome).toBe('completed');
    expect(model.requests[0]?.tools?.map((tool) => tool.name)).toEqual(['handoff_to_agent']);
    expect(followUps).toEqual([{ kind: 'handoff', turn: calcTurn, target: 'writer' }]);
    expect(handoffs.chain(ROOM, '$m', '$m', 'calc').agents).toEqual(['calc', 'writer']);

    // The target's turn is told who handed over, and cannot hand back.
    model.enqueue(step.text('Roses are red.'));
    const { result: writerResult } = runOwn(runner, claim('writer', '$m'));
    expect((await writerResult)?.outcome).toBe('completed');
    expect(model.requests[2]?.system).toContain('Calc handed this conversation to you.');
    expect(model.requests[2]?.tools).toBeUndefined();
    expect(responders.outbox('writer').sentBodies[0]).toBe(
      '_Calc handed this over: prose_\n\nRoses are red.',
    );
  });

  it('posts a team contribution with its preamble without touching the turn record', async () => {
    const { store, model, responders, runner, claim } = setup();
    admitMessage(store, { eventId: '$m', sender: ALICE, body: '@team sum it up' });
    model.enqueue(step.text('Three points.'));
    const teamTurn = claim('team', '$m');

    const result = await runner.runContribution(teamTurn, 'calc', {
      prompt: 'Summarise the thread.',
      preamble: '_For Team:_',
      txnKey: 'calc#team',
      signal: new AbortController().signal,
    });
    expect(result?.answer).toBe('Three points.');
    expect(model.requests[0]?.messages.at(-1)).toEqual({
      role: 'user',
      content: 'Summarise the thread.',
    });
    expect(responders.outbox('calc').sentBodies).toEqual(['_For Team:_\n\nThree points.']);
    expect(store.turns.get('team', '$m')?.state).toBe('claimed');
  });

  it('continues after a restart by running the approved call once and answering with its result', async () => {
    let runs = 0;
    const plainTools: ToolRunner = {
      definitions: [],
      run: (call) => {
        runs += 1;
        return Promise.resolve({ content: `${call.name} gave 42`, isError: false });
      },
    };
    const { store, model, runner, claim } = setup({
      tools: { toolsFor: () => undefined, toolsWithoutApproval: () => plainTools },
    });
    admitMessage(store, { eventId: '$ok', sender: ALICE, body: '✅' });
    const record = store.interactions.create({
      kind: 'approval',
      payload: { toolName: 'calculator', arguments: { expression: '6*7' }, callId: '' },
      roomId: ROOM,
      requester: ALICE,
      responder: 'calc',
      sourceEventId: '$m',
      expiresAt: Date.now() + 60_000,
    });
    store.interactions.decide(record.id, 'approved', undefined, '$ok');
    const approved = store.interactions.get(record.id);
    if (approved === undefined) throw new Error('no record');
    model.enqueue(step.text('It is 42.'), step.text('Still 42.'));

    const first = runOwn(runner, claim('calc', '$ok'), {
      request: { kind: 'continuation', record: approved },
    });
    await first.result;
    expect(runs).toBe(1);
    expect(model.requests[0]?.messages.at(-1)?.content).toContain(
      'approved your call to calculator {"expression":"6*7"}; it returned: calculator gave 42',
    );
    expect(store.interactions.get(record.id)?.state).toBe('executed');

    // The same continuation again (a duplicate delivery) does not run the call twice.
    store.turns.reopen('calc', '$ok', '$ok');
    const again = store.turns.get('calc', '$ok');
    if (again === undefined) throw new Error('no turn');
    await runOwn(runner, again, { request: { kind: 'continuation', record: approved } }).result;
    expect(runs).toBe(1);
  });

  it('fails the turn when its responder is not running', async () => {
    const { store, responders, runner, claim } = setup();
    admitMessage(store, { eventId: '$m', sender: ALICE, body: '@calc hi' });
    responders.stop('calc');
    expect(await runOwn(runner, claim('calc', '$m')).result).toBeUndefined();
    expect(store.turns.get('calc', '$m')?.state).toBe('failed');
  });

  it('goes on without a context provider that fails, and uses those that answer', async () => {
    const { store, model, runner, log, claim } = setup({
      context: [
        { name: 'broken', sectionsFor: () => Promise.reject(new Error('index unavailable')) },
        {
          name: 'notes',
          sectionsFor: () => Promise.resolve([{ title: 'Notes', body: 'Alice prefers metric.' }]),
        },
      ],
    });
    admitMessage(store, { eventId: '$m', sender: ALICE, body: '@calc hi' });
    model.enqueue(step.text('Hi!'));
    expect((await runOwn(runner, claim('calc', '$m')).result)?.outcome).toBe('completed');
    expect(model.requests[0]?.system).toContain('## Notes\nAlice prefers metric.');
    expect(log.lines.map((line) => line.message)).toContain(
      'a context provider failed; the turn goes on without it',
    );
  });

  it('ends a stopped turn with what it wrote so far and a stop note', async () => {
    const { store, model, responders, runner, claim } = setup();
    admitMessage(store, { eventId: '$m', sender: ALICE, body: '@calc count to a million' });
    model.enqueue(step.hang());
    const controller = new AbortController();
    const { result } = runOwn(runner, claim('calc', '$m'), { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort(new AbortReason('stopped', 'stopped by alice'));

    expect((await result)?.outcome).toBe('stopped');
    expect(store.turns.get('calc', '$m')?.state).toBe('stopped');
    expect(responders.outbox('calc').sentBodies.at(-1)).toContain('Stopped.');
  });

  it('keeps the prompt within its byte budget: the newest history, a cut request', async () => {
    const { store, model, runner, claim } = setup({ maxPromptBytes: 8_192 });
    admitMessage(store, { eventId: '$root', sender: ALICE, body: '@calc start' });
    for (let n = 1; n <= 40; n++) {
      admitMessage(store, {
        eventId: `$h${n}`,
        sender: n % 2 === 0 ? '@calc:hs' : ALICE,
        body: `message ${n} ${'.'.repeat(400)}`,
        threadRoot: '$root',
      });
    }
    admitMessage(store, {
      eventId: '$q',
      sender: ALICE,
      body: `CANARY-START ${'q'.repeat(60_000)}`,
      threadRoot: '$root',
    });
    model.enqueue(step.text('ok'));
    await runOwn(runner, claim('calc', '$q', '$root')).result;

    const request = model.requests[0];
    const size = JSON.stringify(request?.messages ?? []).length + (request?.system?.length ?? 0);
    expect(size).toBeLessThan(8_192 * 1.1);
    const texts = (request?.messages ?? []).map((message) =>
      typeof message.content === 'string' ? message.content : JSON.stringify(message.content),
    );
    expect(texts.at(-1)).toMatch(/^alice: CANARY-START q+\n… \[cut: \d+ bytes/);
    expect(texts.join('\n')).toContain('message 39');
    expect(texts.join('\n')).not.toContain('message 1 ');
  });

  it('runs at most the configured tool calls from one answer and answers the rest with an error', async () => {
    const calls: string[] = [];
    const tools: ToolRunner = {
      definitions: [{ name: 'lookup', description: 'x', parameters: { type: 'object' } }],
      run: (call) => {
        calls.push(call.id);
        return Promise.resolve({ content: 'found', isError: false });
      },
    };
    const { store, model, runner, claim } = setup({
      tools: { toolsFor: () => tools, toolsWithoutApproval: () => tools },
      maxToolCallsPerStep: 3,
    });
    admitMessage(store, { eventId: '$m', sender: ALICE, body: '@calc look everything up' });
    model.enqueue(
      step.toolCalls(
        Array.from({ length: 12 }, (_, n) => ({ id: `c${n}`, name: 'lookup', arguments: {} })),
      ),
      step.text('Done.'),
    );
    await runOwn(runner, claim('calc', '$m')).result;
    expect(calls).toEqual(['c0', 'c1', 'c2']);
    const results = model.requests[1]?.messages.filter((message) => message.role === 'tool') ?? [];
    expect(results).toHaveLength(12);
    expect(results[5]).toMatchObject({
      isError: true,
      content: expect.stringContaining('at most 3 tool calls'),
    });
  });
});
