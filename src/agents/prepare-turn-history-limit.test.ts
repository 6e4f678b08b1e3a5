import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.js';
import { ScriptedChatModel } from '../../test/support/scripted-chat-model.js';
import { ROOM, admitMessage, directoryOf, profile } from '../../test/support/turn-fixtures.js';
import { QuorumMetrics, silentLogger } from '../shared/index.js';
import { QuorumStore, type TurnRecord } from '../storage/index.js';
import { HandoffLedger } from './handoff.js';
import { createModelProvider } from './model-choice.js';
import { prepareTurn, type PrepareTurnDeps } from './prepare-turn.js';

const ALICE = '@alice:hs';
const stores: QuorumStore[] = [];
afterEach(() => {
  for (const store of stores.splice(0)) store.close();
});

function setup(historyLimitOf?: PrepareTurnDeps['historyLimitOf']) {
  const store = new QuorumStore(':memory:');
  stores.push(store);
  const model = new ScriptedChatModel();
  const directory = directoryOf([profile('calc', { historyMessages: 4 })]);
  const deps: PrepareTurnDeps = {
    journal: store.journal,
    directory,
    models: createModelProvider({
      catalog: () => ({ model: () => model, names: () => ['default'] }),
      modelsOf: () => ({ model: 'default', roomModels: {} }),
      threadModel: () => undefined,
      aliasOf: () => undefined,
    }),
    handoffs: new HandoffLedger(store.threadSettings),
    context: [],
    usage: store.usage,
    maxPromptBytes: () => 200_000,
    ...(historyLimitOf === undefined ? {} : { historyLimitOf }),
    metrics: new QuorumMetrics(),
    clock: new FakeClock(),
    log: silentLogger,
  };
  admitMessage(store, { eventId: '$root', sender: ALICE, body: 'first', originTs: 1 });
  for (let i = 1; i <= 5; i++) {
    admitMessage(store, {
      eventId: `$m${i}`,
      sender: ALICE,
      body: `message ${i}`,
      threadRoot: '$root',
      originTs: 1 + i,
    });
  }
  store.turns.claim({
    responder: 'calc',
    sourceEventId: '$m5',
    sourceVersion: '$m5',
    roomId: ROOM,
    threadRoot: '$root',
    requester: ALICE,
  });
  const turn = store.turns.get('calc', '$m5') as TurnRecord;
  const subject = { profile: directory.profile('calc') ?? profile('calc'), entity: 'calc' };
  const prepare = () => prepareTurn(turn, subject, { signal: new AbortController().signal }, deps);
  return { prepare };
}

const historyText = (history: readonly { content: unknown }[]): string =>
  history.map((message) => String(message.content)).join('\n');

describe('prepareTurn', () => {
  it("keeps the agent's own history length without a limit for the turn", async () => {
    const prepared = await setup().prepare();
    expect(historyText(prepared?.history ?? [])).toBe(
      'alice: message 1\n\nalice: message 2\n\nalice: message 3\n\nalice: message 4',
    );
  });

  it("applies a schedule fire's history limit below the agent's own", async () => {
    const limited = await setup(() => 2).prepare();
    expect(historyText(limited?.history ?? [])).toBe('alice: message 3\n\nalice: message 4');
    const none = await setup(() => 0).prepare();
    expect(none?.history).toEqual([]);
    expect(none?.request).toBe('alice: message 5');
    // A limit above the agent's own changes nothing.
    const wide = await setup(() => 50).prepare();
    expect(wide?.history).toEqual((await setup().prepare())?.history);
  });
});
