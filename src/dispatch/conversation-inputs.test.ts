import { afterEach, describe, expect, it } from 'vitest';
import { ROOM, admitMessage } from '../../test/support/turn-fixtures.js';
import { LIMIT_NOTE_KEY } from '../routing/index.js';
import { QuorumStore } from '../storage/index.js';
import { LimitNoteLedger, conversationInputs } from './conversation-inputs.js';

const ALICE = '@alice:hs';
const A = '@quorum_a:hs';
const B = '@quorum_b:hs';
const isEntity = (userId: string): boolean => userId.startsWith('@quorum_');
const limits = { maxAgentHops: 3, threadTokenBudget: 1_000 };
const stores: QuorumStore[] = [];
afterEach(() => {
  for (const store of stores.splice(0)) store.close();
});

function setup() {
  const store = new QuorumStore(':memory:');
  stores.push(store);
  admitMessage(store, { eventId: '$root', sender: ALICE, body: '@a ask @b', originTs: 1 });
  store.journal.markDecided('$root', 'respond:a:mention');
  const notes = new LimitNoteLedger();
  const inputs = () =>
    conversationInputs(ROOM, '$root', limits, isEntity, {
      journal: store.journal,
      usage: store.usage,
      notes,
    });
  return { store, notes, inputs };
}

/** An agent's streamed reply: a partial message, then a final edit the dispatcher decided. */
function streamedReply(
  store: QuorumStore,
  eventId: string,
  sender: string,
  at: number,
  decision: string,
): void {
  admitMessage(store, { eventId, sender, body: '…', threadRoot: '$root', originTs: at });
  store.journal.markDecided(eventId, 'ignore:streaming-partial');
  store.journal.admit('test', undefined, [
    {
      roomId: ROOM,
      event: {
        event_id: `${eventId}-final`,
        sender,
        type: 'm.room.message',
        origin_server_ts: at + 1,
        content: {
          msgtype: 'm.text',
          body: '* done',
          'm.new_content': { msgtype: 'm.text', body: 'done' },
          'm.relates_to': { rel_type: 'm.replace', event_id: eventId },
        },
      },
      threadRoot: undefined,
      relatesTo: eventId,
      relType: 'm.replace',
      isHistory: false,
    },
  ]);
  store.journal.markDecided(`${eventId}-final`, decision);
}

describe('conversationInputs', () => {
  it('counts hops decided on final edits of streamed replies, since the last person', () => {
    const { store, inputs } = setup();
    streamedReply(store, '$a1', A, 10, 'respond:b:mention');
    streamedReply(store, '$b1', B, 20, 'respond:a:mention');
    admitMessage(store, {
      eventId: '$plain',
      sender: A,
      body: 'no mention',
      threadRoot: '$root',
      originTs: 30,
    });
    store.journal.markDecided('$plain', 'ignore:agent-not-mentioning');
    expect(inputs()).toMatchObject({ agentHops: 2, limits });
    admitMessage(store, {
      eventId: '$p2',
      sender: ALICE,
      body: 'go on',
      threadRoot: '$root',
      originTs: 40,
    });
    expect(inputs().agentHops).toBe(0);
  });

  it('knows the limit notes in the thread, and those posted but not synced back yet', () => {
    const { store, notes, inputs } = setup();
    notes.record(ROOM, '$root', 'thread-budget', 15);
    expect([...inputs().notedLimits]).toEqual(['thread-budget']);
    store.journal.admit('test', undefined, [
      {
        roomId: ROOM,
        event: {
          event_id: '$note',
          sender: A,
          type: 'm.room.message',
          origin_server_ts: 20,
          content: { msgtype: 'm.notice', body: 'stop', [LIMIT_NOTE_KEY]: 'agent-hops' },
        },
        threadRoot: '$root',
        relatesTo: '$root',
        relType: 'm.thread',
        isHistory: false,
      },
    ]);
    expect(new Set(inputs().notedLimits)).toEqual(new Set(['agent-hops', 'thread-budget']));
    // A person writes: earlier notes no longer count.
    admitMessage(store, {
      eventId: '$p2',
      sender: ALICE,
      body: 'again',
      threadRoot: '$root',
      originTs: 30,
    });
    expect(inputs().notedLimits.size).toBe(0);
  });

  it("reads the thread's spent tokens only when a budget is set", () => {
    const { store, notes, inputs } = setup();
    store.usage.record({
      responder: 'a',
      roomId: ROOM,
      userId: ALICE,
      model: 'm',
      inputTokens: 700,
      outputTokens: 400,
      threadRoot: '$root',
    });
    expect(inputs().threadTokensUsed).toBe(1_100);
    const unlimited = conversationInputs(
      ROOM,
      '$root',
      { maxAgentHops: 3, threadTokenBudget: undefined },
      isEntity,
      { journal: store.journal, usage: store.usage, notes },
    );
    expect(unlimited.threadTokensUsed).toBe(0);
  });
});

describe('conversationInputs for a person’s event', () => {
  it('counts no hops and reads no thread (hops count back to that very message)', () => {
    let reads = 0;
    const inputs = conversationInputs(
      ROOM,
      '$root',
      limits,
      isEntity,
      {
        journal: {
          thread: () => {
            reads += 1;
            return [];
          },
          related: () => [],
        },
        usage: { threadTokens: () => 42 },
        notes: new LimitNoteLedger(),
      },
      { isFromEntity: false },
    );
    expect(inputs).toEqual({ limits, agentHops: 0, notedLimits: new Set(), threadTokensUsed: 42 });
    expect(reads).toBe(0);
  });
});

describe('LimitNoteLedger', () => {
  it('forgets the oldest threads beyond its bound', () => {
    const ledger = new LimitNoteLedger();
    for (let index = 0; index <= 1_000; index++) ledger.record(ROOM, `$t${index}`, 'agent-hops', 1);
    expect(ledger.notedSince(ROOM, '$t0', 0)).toEqual([]);
    expect(ledger.notedSince(ROOM, '$t1000', 0)).toEqual(['agent-hops']);
    expect(ledger.notedSince(ROOM, '$t1000', 2)).toEqual([]);
  });
});
