import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { NewInteraction } from './interaction-store.js';
import { QuorumStore } from './store.js';

const stores: QuorumStore[] = [];
let clockMs = 1_000;
function memoryStore(): QuorumStore {
  clockMs = 1_000;
  const store = new QuorumStore(':memory:', () => clockMs);
  stores.push(store);
  return store;
}
const dirs: string[] = [];
function tempDbPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'quorum-interactions-'));
  dirs.push(dir);
  return join(dir, 'quorum.db');
}
afterEach(() => {
  for (const store of stores.splice(0)) store.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function question(overrides: Partial<NewInteraction> = {}): NewInteraction {
  return {
    kind: 'question',
    payload: { question: 'Which colour?', options: ['Red', 'Blue'] },
    roomId: '!room:hs',
    threadRoot: '$root',
    requester: '@alice:hs',
    responder: 'calc',
    sourceEventId: '$source',
    expiresAt: 61_000,
    ...overrides,
  } as NewInteraction;
}

function approval(id: string): NewInteraction {
  return {
    id,
    kind: 'approval',
    payload: { toolName: 'shell', arguments: { command: 'ls' }, callId: 'call_1' },
    roomId: '!room:hs',
    requester: '@alice:hs',
    responder: 'calc',
    sourceEventId: '$source',
    expiresAt: 100_000,
  };
}

describe('InteractionStore', () => {
  it('stores an interaction pending, with its payload, and finds it by id and by card', () => {
    const { interactions } = memoryStore();
    const created = interactions.create(question({ id: 'q1' }));
    expect(created).toMatchObject({
      id: 'q1',
      kind: 'question',
      payload: { question: 'Which colour?', options: ['Red', 'Blue'] },
      state: 'pending',
      roomId: '!room:hs',
      threadRoot: '$root',
      cardEventId: undefined,
      quorumReactionIds: [],
      createdAt: 1_000,
      expiresAt: 61_000,
    });
    expect(interactions.getByCard('$card')).toBeUndefined();
    expect(interactions.attachCard('q1', '$card')).toBe(true);
    expect(interactions.attachCard('q1', '$other')).toBe(false);
    expect(interactions.getByCard('$card')?.id).toBe('q1');
    expect(interactions.get('nope')).toBeUndefined();
  });

  it('generates an id when none is given', () => {
    const { interactions } = memoryStore();
    const a = interactions.create(question());
    const b = interactions.create(question());
    expect(a.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.id).not.toBe(b.id);
  });

  it('decides once: the first decision stands', () => {
    const { interactions } = memoryStore();
    interactions.create(question({ id: 'q1' }));
    clockMs = 5_000;
    expect(interactions.decide('q1', 'answered', { option: 2, text: 'Blue' }, '$reaction')).toBe(
      'decided',
    );
    expect(interactions.decide('q1', 'cancelled')).toBe('already-decided');
    expect(interactions.decide('nope', 'cancelled')).toBe('not-found');
    expect(interactions.get('q1')).toMatchObject({
      state: 'answered',
      answer: { option: 2, text: 'Blue' },
      decidingEventId: '$reaction',
      decidedAt: 5_000,
    });
    expect(interactions.listPending()).toEqual([]);
  });

  it('matches reactions Quorum added and the deciding reaction back to the interaction', () => {
    const { interactions } = memoryStore();
    interactions.create(question({ id: 'q1' }));
    interactions.addQuorumReaction('q1', '$r1');
    interactions.addQuorumReaction('q1', '$r2');
    interactions.addQuorumReaction('q1', '$r1');
    expect(interactions.get('q1')?.quorumReactionIds).toEqual(['$r1', '$r2']);
    expect(interactions.getByReaction('$r2')?.id).toBe('q1');
    interactions.decide('q1', 'answered', { option: 1 }, '$alice-reaction');
    expect(interactions.getByReaction('$alice-reaction')?.id).toBe('q1');
    expect(interactions.getByReaction('$unrelated')).toBeUndefined();
  });

  it('claims an approved call for execution exactly once', () => {
    const { interactions } = memoryStore();
    interactions.create(approval('a1'));
    expect(interactions.markExecuting('a1')).toBe('not-approved');
    interactions.decide('a1', 'approved', undefined, '$yes');
    expect(interactions.markExecuting('a1')).toBe('claimed');
    expect(interactions.markExecuting('a1')).toBe('not-approved');
    expect(interactions.markExecuted('a1', { ok: true, content: 'done' })).toBe(true);
    expect(interactions.get('a1')).toMatchObject({
      state: 'executed',
      result: { ok: true, content: 'done' },
    });
    expect(interactions.markExecuted('a1')).toBe(false);
  });

  it('never runs a denied call', () => {
    const { interactions } = memoryStore();
    interactions.create(approval('a1'));
    interactions.decide('a1', 'denied', { reason: 'not now' }, '$reply');
    expect(interactions.markExecuting('a1')).toBe('not-approved');
  });

  it('marks an answered question as delivered', () => {
    const { interactions } = memoryStore();
    interactions.create(question({ id: 'q1' }));
    interactions.decide('q1', 'answered', { option: 1 });
    expect(interactions.markExecuted('q1')).toBe(true);
    expect(interactions.get('q1')?.state).toBe('executed');
  });

  it('settles calls a crash left executing as unknown, so a restart does not run them again', () => {
    const path = tempDbPath();
    const before = new QuorumStore(path, () => 1_000);
    before.interactions.create(approval('a1'));
    before.interactions.create(approval('a2'));
    before.interactions.decide('a1', 'approved');
    before.interactions.markExecuting('a1');
    before.interactions.decide('a2', 'approved');
    before.close();

    const after = new QuorumStore(path, () => 2_000);
    try {
      const settled = after.interactions.settleInterrupted();
      expect(settled.map((r) => [r.id, r.state, r.result])).toEqual([
        ['a1', 'executed', { outcome: 'unknown' }],
      ]);
      expect(after.interactions.markExecuting('a1')).toBe('not-approved');
      // Approved but never started: still safe to run once.
      expect(after.interactions.list(['approved']).map((r) => r.id)).toEqual(['a2']);
      expect(after.interactions.markExecuting('a2')).toBe('claimed');
      expect(after.interactions.settleInterrupted().map((r) => r.id)).toEqual(['a2']);
    } finally {
      after.close();
    }
  });

  it('keeps pending interactions across a restart', () => {
    const path = tempDbPath();
    const before = new QuorumStore(path, () => 1_000);
    before.interactions.create(question({ id: 'q1' }));
    before.interactions.attachCard('q1', '$card');
    before.close();
    const after = new QuorumStore(path, () => 2_000);
    try {
      expect(after.interactions.listPending().map((r) => r.id)).toEqual(['q1']);
      expect(after.interactions.getByCard('$card')?.payload).toEqual({
        question: 'Which colour?',
        options: ['Red', 'Blue'],
      });
    } finally {
      after.close();
    }
  });

  it('expires what is due, once, and reports the next expiry', () => {
    const { interactions } = memoryStore();
    interactions.create(question({ id: 'early', expiresAt: 10_000 }));
    interactions.create(question({ id: 'late', expiresAt: 20_000 }));
    interactions.create(question({ id: 'answered', expiresAt: 5_000 }));
    interactions.decide('answered', 'answered', { option: 1 });
    expect(interactions.nextExpiry()).toBe(10_000);
    expect(interactions.expireDue(9_999)).toEqual([]);
    clockMs = 10_000;
    expect(interactions.expireDue(10_000).map((r) => [r.id, r.state, r.decidedAt])).toEqual([
      ['early', 'expired', 10_000],
    ]);
    expect(interactions.expireDue(10_000)).toEqual([]);
    expect(interactions.decide('early', 'answered', { option: 1 })).toBe('already-decided');
    expect(interactions.nextExpiry()).toBe(20_000);
  });

  it('cancels the pending interactions of a stopped turn only', () => {
    const { interactions } = memoryStore();
    interactions.create(question({ id: 'mine' }));
    interactions.create(question({ id: 'other', sourceEventId: '$elsewhere' }));
    expect(interactions.cancelPendingForTurn('calc', '$source').map((r) => r.state)).toEqual([
      'cancelled',
    ]);
    expect(interactions.listPending().map((r) => r.id)).toEqual(['other']);
  });

  it('stores config changes with the exact text to write', () => {
    const { interactions } = memoryStore();
    const created = interactions.create({
      kind: 'config_change',
      payload: {
        path: 'agents.calc.model',
        operation: 'set',
        value: 'fast',
        oldHash: 'aaa',
        newHash: 'bbb',
        newText: 'agents:\n  calc:\n    model: fast\n',
      },
      roomId: '!room:hs',
      requester: '@alice:hs',
      responder: 'router',
      expiresAt: 2_000,
    });
    expect(created.kind === 'config_change' && created.payload.newText).toBe(
      'agents:\n  calc:\n    model: fast\n',
    );
    expect(created.sourceEventId).toBeUndefined();
  });
});

describe('InteractionStore.markShownInFull', () => {
  it('marks a pending approval shown in full, and nothing else', () => {
    const store = new QuorumStore(':memory:', () => 1_000);
    const approval = store.interactions.create({
      kind: 'approval',
      payload: { toolName: 'write', arguments: { text: 'x' }, callId: 'c' },
      roomId: '!r:hs',
      requester: '@alice:hs',
      responder: 'calc',
      expiresAt: 10_000,
    });
    expect(store.interactions.markShownInFull(approval.id)).toBe(true);
    const marked = store.interactions.get(approval.id);
    expect(marked?.kind === 'approval' && marked.payload.isShownInFull).toBe(true);
    store.interactions.decide(approval.id, 'denied');
    expect(store.interactions.markShownInFull(approval.id)).toBe(false);
    expect(store.interactions.markShownInFull('missing')).toBe(false);
    store.close();
  });
});
