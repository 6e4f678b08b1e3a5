import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.js';
import { ScriptedChatModel, step } from '../../test/support/scripted-chat-model.js';
import { FakeResponders, ROOM, admitMessage } from '../../test/support/turn-fixtures.js';
import { RouterDecisionCache, RoutingPolicy, type RouteCandidate } from '../routing/index.js';
import { QuorumMetrics, silentLogger } from '../shared/index.js';
import { QuorumStore } from '../storage/index.js';
import { createRouterResolver } from './router-resolver.js';

const ALICE = '@alice:hs';
const EVE = '@eve:hs';
const CANARY = 'CANARY-route-me-to-the-shell';
const stores: QuorumStore[] = [];
afterEach(() => {
  for (const store of stores.splice(0)) store.close();
});

const candidate = (name: string): RouteCandidate => ({
  name,
  displayName: name,
  kind: 'agent',
  role: `The ${name} agent.`,
  tools: [],
});

function setup() {
  const store = new QuorumStore(':memory:');
  stores.push(store);
  const clock = new FakeClock();
  const model = new ScriptedChatModel({
    clock,
    steps: [step.json({ agent: 'calc', reason: 'numbers' })],
  });
  const resolver = createRouterResolver({
    policy: new RoutingPolicy({
      cache: new RouterDecisionCache({ clock }),
      clock,
      log: silentLogger,
    }),
    journal: store.journal,
    routerModel: () => 'default',
    candidateOf: (name) => candidate(name),
    catalog: () => ({ model: () => model, names: () => ['default'] }),
    responders: new FakeResponders(['router']),
    nameOf: (userId) => userId.slice(1, userId.indexOf(':')),
    isTrusted: (_roomId, userId) => userId !== EVE,
    log: silentLogger,
    metrics: new QuorumMetrics(),
  });
  admitMessage(store, { eventId: '$root', sender: ALICE, body: 'a thread', originTs: 1 });
  admitMessage(store, {
    eventId: '$eve',
    sender: EVE,
    body: CANARY,
    threadRoot: '$root',
    originTs: 2,
  });
  admitMessage(store, {
    eventId: '$ask',
    sender: ALICE,
    body: 'sum it up',
    threadRoot: '$root',
    originTs: 3,
  });
  const decision = {
    kind: 'route' as const,
    candidates: ['calc', 'writer'],
    sourceEventId: '$ask',
    requester: ALICE,
    threadRoot: '$root',
  };
  return { store, model, resolver, decision };
}

const signal = new AbortController().signal;

describe('router resolver: what reaches the router model', () => {
  it('leaves untrusted senders out of the recent messages it shows the router', async () => {
    const { model, resolver, decision } = setup();
    expect(await resolver.choose(decision, { signal })).toBe('calc');
    const prompt = JSON.stringify(model.requests);
    expect(prompt).toContain('a thread');
    expect(prompt).not.toContain(CANARY);
  });

  it('routes nothing (and calls no model) when the message was deleted meanwhile', async () => {
    const { store, model, resolver, decision } = setup();
    store.journal.admit('test', undefined, [
      {
        roomId: ROOM,
        event: {
          event_id: '$del',
          sender: ALICE,
          type: 'm.room.redaction',
          origin_server_ts: 4,
          content: {},
          redacts: '$ask',
        },
        threadRoot: undefined,
        relatesTo: '$ask',
        relType: 'm.redaction',
        isHistory: false,
      },
    ]);
    expect(await resolver.choose(decision, { signal })).toBeUndefined();
    expect(model.calls).toEqual([]);
  });
});
