import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from './database.js';
import type { Admission } from './journal-records.js';
import { QuorumStore } from './store.js';

const stores: QuorumStore[] = [];
function memoryStore(now = () => 1_000): QuorumStore {
  const store = new QuorumStore(':memory:', now);
  stores.push(store);
  return store;
}
afterEach(() => {
  for (const store of stores.splice(0)) store.close();
});

function message(
  id: string,
  opts: Partial<Admission> & { body?: string; ts?: number } = {},
): Admission {
  return {
    roomId: opts.roomId ?? '!room:hs',
    event: {
      event_id: id,
      sender: '@alice:hs',
      type: 'm.room.message',
      origin_server_ts: opts.ts ?? 500,
      content: { msgtype: 'm.text', body: opts.body ?? id },
    },
    threadRoot: opts.threadRoot,
    relatesTo: opts.relatesTo,
    relType: opts.relType,
    isHistory: opts.isHistory ?? false,
    ...(opts.isContentless === undefined ? {} : { isContentless: opts.isContentless }),
  };
}

describe('database file', () => {
  it('is created with mode 0600, WAL and synchronous=FULL', () => {
    const dir = mkdtempSync(join(tmpdir(), 'quorum-db-'));
    const path = join(dir, 'sub', 'quorum.db');
    const db = openDatabase({ path });
    try {
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('synchronous', { simple: true })).toBe(2);
    } finally {
      db.close();
    }
  });

  it('keeps data across reopen and does not re-run migrations', () => {
    const dir = mkdtempSync(join(tmpdir(), 'quorum-db-'));
    const path = join(dir, 'quorum.db');
    const first = new QuorumStore(path);
    first.accounts.save({
      entity: 'calc',
      userId: '@q:hs',
      accessToken: 't',
      deviceId: 'D',
      password: 'p',
    });
    first.close();
    const second = new QuorumStore(path);
    expect(second.accounts.get('calc')?.deviceId).toBe('D');
    second.close();
  });
});

describe('IngressJournal', () => {
  it('admits an event once, whichever bot delivers it first', () => {
    const { journal } = memoryStore();
    expect(journal.admit('router', 's1', [message('$a')]).map((e) => e.eventId)).toEqual(['$a']);
    expect(
      journal.admit('calc', 'c1', [message('$a'), message('$b')]).map((e) => e.eventId),
    ).toEqual(['$b']);
    expect(journal.syncToken('router')).toBe('s1');
    expect(journal.syncToken('calc')).toBe('c1');
  });

  it('keeps the token of a batch with nothing new in memory until flushed', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'quorum-db-')), 'quorum.db');
    let now = 1_000;
    const store = new QuorumStore(path, () => now);
    stores.push(store);
    const durableToken = (bot: string): string | undefined => {
      const reader = new QuorumStore(path);
      try {
        return reader.journal.syncToken(bot);
      } finally {
        reader.close();
      }
    };
    store.journal.admit('router', 's1', [message('$a')]);
    store.journal.admit('calc', 'c1', [message('$a')]);
    expect(store.journal.syncToken('calc')).toBe('c1');
    // Not written: replaying from an older token would only re-deliver $a, already admitted.
    expect(durableToken('calc')).toBeUndefined();
    store.journal.flushSyncToken('calc');
    expect(durableToken('calc')).toBe('c1');
    now += 31_000;
    store.journal.admit('calc', 'c2', [message('$a')]);
    expect(durableToken('calc')).toBe('c2');
  });

  it('saves the token and the events together or not at all', () => {
    const { journal } = memoryStore();
    const broken = { ...message('$x'), event: { ...message('$x').event, content: { n: 1n } } };
    expect(() => journal.admit('router', 's2', [message('$ok'), broken])).toThrow();
    expect(journal.syncToken('router')).toBeUndefined();
    expect(journal.get('$ok')).toBeUndefined();
  });

  it('lists undecided actionable events until they are decided', () => {
    const { journal } = memoryStore();
    journal.admit('router', 's1', [message('$a'), message('$h', { isHistory: true })]);
    expect(journal.listUndecided().map((e) => e.eventId)).toEqual(['$a']);
    journal.markDecided('$a', 'respond:calc');
    expect(journal.listUndecided()).toEqual([]);
    expect(journal.get('$a')?.decision).toBe('respond:calc');
  });

  it('reads a thread oldest first, its senders and the events related to a target', () => {
    const { journal } = memoryStore();
    journal.admit('router', 's1', [
      message('$root', { ts: 1 }),
      message('$r1', { ts: 2, threadRoot: '$root', relatesTo: '$root', relType: 'm.thread' }),
      message('$e1', { ts: 3, relatesTo: '$r1', relType: 'm.replace' }),
      message('$other', { ts: 4 }),
    ]);
    expect(journal.thread('!room:hs', '$root', 10).map((e) => e.eventId)).toEqual(['$root', '$r1']);
    expect(journal.thread('!room:hs', '$root', 1).map((e) => e.eventId)).toEqual(['$r1']);
    expect(journal.threadSenders('!room:hs', '$root')).toEqual(['@alice:hs']);
    expect(journal.related('$r1', 'm.replace').map((e) => e.eventId)).toEqual(['$e1']);
  });

  it('stores contentless admissions without their content', () => {
    const { journal } = memoryStore();
    journal.admit('router', undefined, [message('$s', { isContentless: true, body: 'partial' })]);
    expect(journal.get('$s')?.event.content).toEqual({});
  });
});

describe('ResponseTracker', () => {
  const claim = {
    responder: 'calc',
    sourceEventId: '$m',
    roomId: '!room:hs',
    threadRoot: '$m',
    requester: '@alice:hs',
    sourceVersion: '$m',
  };

  it('grants one claim per responder and source event', () => {
    const { turns } = memoryStore();
    expect(turns.claim(claim)).toBe('claimed');
    expect(turns.claim(claim)).toBe('duplicate');
    expect(turns.claim({ ...claim, responder: 'other' })).toBe('claimed');
    expect(turns.forSource('$m').map((t) => t.responder)).toEqual(['calc', 'other']);
  });

  it('tracks the reply through to a final state and lists open turns', () => {
    const { turns } = memoryStore();
    turns.claim(claim);
    expect(turns.listOpen().map((t) => t.state)).toEqual(['claimed']);
    turns.recordReply('calc', '$m', '$reply');
    expect(turns.byReply('$reply')?.state).toBe('replying');
    turns.finish('calc', '$m', 'completed');
    expect(turns.listOpen()).toEqual([]);
    expect(turns.threadResponders('!room:hs', '$m')).toEqual(['calc']);
  });

  it('reopens a turn for an edit, keeping the reply and bumping the generation', () => {
    const { turns } = memoryStore();
    turns.claim(claim);
    turns.recordReply('calc', '$m', '$reply');
    turns.finish('calc', '$m', 'completed');
    expect(turns.reopen('calc', '$m', '$edit')).toBe(1);
    const turn = turns.get('calc', '$m');
    expect(turn).toMatchObject({
      state: 'replying',
      replyEventId: '$reply',
      sourceVersion: '$edit',
    });
  });
});

describe('UsageStore and ThreadSettingsStore', () => {
  it('sums usage per responder', () => {
    const { usage } = memoryStore();
    const base = { roomId: '!r:hs', userId: '@a:hs', model: 'm', inputTokens: 10, outputTokens: 5 };
    usage.record({ ...base, responder: 'calc' });
    usage.record({ ...base, responder: 'calc' });
    usage.record({ ...base, responder: 'scribe', inputTokens: 1 });
    expect(usage.totals('responder')).toEqual([
      { key: 'calc', inputTokens: 20, outputTokens: 10, calls: 2 },
      { key: 'scribe', inputTokens: 1, outputTokens: 5, calls: 1 },
    ]);
  });

  it('stores and clears per-thread settings', () => {
    const { threadSettings } = memoryStore();
    threadSettings.set('!r:hs', '$t', 'model', 'fast');
    expect(threadSettings.get('!r:hs', '$t', 'model')).toBe('fast');
    threadSettings.delete('!r:hs', '$t', 'model');
    expect(threadSettings.get('!r:hs', '$t', 'model')).toBeUndefined();
  });
});

describe('retention', () => {
  it('prunes old journal events and finished turns, never open ones', () => {
    let now = 1_000;
    const store = memoryStore(() => now);
    store.journal.admit('router', 's1', [message('$old')]);
    const base = { roomId: '!r:hs', threadRoot: '$t', requester: '@a:hs' };
    store.turns.claim({
      ...base,
      responder: 'calc',
      sourceEventId: '$done',
      sourceVersion: '$done',
    });
    store.turns.finish('calc', '$done', 'completed');
    store.turns.claim({
      ...base,
      responder: 'calc',
      sourceEventId: '$open',
      sourceVersion: '$open',
    });
    now = 5_000;
    store.journal.admit('router', 's2', [message('$new')]);
    expect(store.journal.prune(2_000)).toBe(1);
    expect(store.turns.pruneFinished(2_000)).toBe(1);
    expect(store.journal.get('$new')).toBeDefined();
    expect(store.turns.get('calc', '$open')).toBeDefined();
  });
});

describe('usage per thread', () => {
  it('sums the tokens of one thread, for the thread budget', () => {
    const { usage } = memoryStore();
    const base = { responder: 'calc', roomId: '!r:hs', userId: '@a:hs', model: 'm' };
    usage.record({ ...base, inputTokens: 100, outputTokens: 20, threadRoot: '$t1' });
    usage.record({ ...base, inputTokens: 50, outputTokens: 5, threadRoot: '$t1' });
    usage.record({ ...base, inputTokens: 7, outputTokens: 7, threadRoot: '$t2' });
    usage.record({ ...base, inputTokens: 1, outputTokens: 1 });
    expect(usage.threadTokens('!r:hs', '$t1')).toBe(175);
    expect(usage.threadTokens('!r:hs', '$none')).toBe(0);
    expect(usage.threadTokens('!other:hs', '$t1')).toBe(0);
  });
});
