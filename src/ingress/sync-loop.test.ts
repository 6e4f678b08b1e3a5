import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.js';
import type { BackfillOptions, RawEvent, SyncBatch, SyncOptions } from '../matrix/index.js';
import { asRoomId, silentLogger } from '../shared/index.js';
import { QuorumStore, type JournalEntry } from '../storage/index.js';
import { DEFAULT_STANDBY_INTERVAL_MS, SyncLoop, type SyncCoverage } from './sync-loop.js';

const ROOM = asRoomId('!r:hs');
const clock = new FakeClock(1_000_000);
const stores: QuorumStore[] = [];
afterEach(() => {
  for (const store of stores.splice(0)) store.close();
});

function event(id: string, overrides: Partial<RawEvent> = {}): RawEvent {
  return {
    event_id: id,
    sender: '@alice:hs',
    type: 'm.room.message',
    origin_server_ts: clock.now() - 1000,
    content: { msgtype: 'm.text', body: id },
    ...overrides,
  };
}

function batch(
  next: string,
  timeline: RawEvent[],
  extra: Partial<SyncBatch['joined'][number]> = {},
): SyncBatch {
  return {
    nextBatch: next,
    joined: [{ roomId: ROOM, timeline, limited: false, prevBatch: undefined, state: [], ...extra }],
    invited: [],
    left: [],
  };
}

/** Replays scripted batches; after the script ends, waits until aborted. */
class ScriptedSync {
  readonly sinceSeen: (string | undefined)[] = [];
  readonly requests: SyncOptions[] = [];
  readonly backfills: BackfillOptions[] = [];
  constructor(
    private readonly batches: SyncBatch[],
    private readonly history: RawEvent[] = [],
  ) {}
  async sync(options: SyncOptions): Promise<SyncBatch> {
    this.sinceSeen.push(options.since);
    this.requests.push(options);
    const next = this.batches.shift();
    if (next !== undefined) return next;
    return new Promise((_resolve, reject) => {
      options.signal.addEventListener('abort', () => {
        reject(new Error('aborted'));
      });
    });
  }
  backfill(
    _room: string,
    options: BackfillOptions,
  ): Promise<{ events: RawEvent[]; end: string | undefined }> {
    this.backfills.push(options);
    const events = this.history.splice(0);
    return Promise.resolve({ events, end: events.length > 0 ? 'older' : undefined });
  }
  getEvent(): Promise<RawEvent> {
    return Promise.reject(new Error('unused'));
  }
  getThread(): Promise<RawEvent[]> {
    return Promise.resolve([]);
  }
}

async function runUntil(
  source: ScriptedSync,
  store: QuorumStore,
  batches: number,
): Promise<JournalEntry[][]> {
  const admitted: JournalEntry[][] = [];
  const controller = new AbortController();
  let seen = 0;
  const loop = new SyncLoop({
    bot: 'calc',
    client: source,
    journal: store.journal,
    sink: {
      onAdmitted: (entries) => admitted.push([...entries]),
      onInvites: () => undefined,
      onLeftRooms: () => undefined,
    },
    clock,
    log: silentLogger,
    isEntityUser: (user) => user.startsWith('@quorum_'),
    catchUpWindowMs: 15 * 60_000,
    pollTimeoutMs: 30_000,
    onBatch: () => {
      seen += 1;
      // Abort once the loop is back in its next long-poll, as a real stop would.
      if (seen === batches)
        setImmediate(() => {
          controller.abort();
        });
    },
  });
  await loop.run(controller.signal);
  return admitted;
}

function newStore(): QuorumStore {
  const store = new QuorumStore(':memory:', () => clock.now());
  stores.push(store);
  return store;
}

describe('SyncLoop', () => {
  it('admits each batch with its token and resumes from the stored token', async () => {
    const store = newStore();
    store.journal.admit('calc', 's0', []);
    const source = new ScriptedSync([batch('s1', [event('$a')]), batch('s2', [event('$b')])]);
    const admitted = await runUntil(source, store, 2);
    expect(admitted.map((entries) => entries.map((e) => e.eventId))).toEqual([['$a'], ['$b']]);
    expect(source.sinceSeen).toEqual(['s0', 's1', 's2']);
    expect(store.journal.syncToken('calc')).toBe('s2');
    expect(store.journal.get('$b')).toBeDefined();
  });

  it('treats a first sync as history that is never acted on', async () => {
    const store = newStore();
    const admitted = await runUntil(
      new ScriptedSync([batch('s1', [event('$old')]), batch('s2', [event('$new')])]),
      store,
      2,
    );
    expect(admitted.flat().map((e) => [e.eventId, e.isHistory])).toEqual([
      ['$old', true],
      ['$new', false],
    ]);
    expect(store.journal.listUndecided().map((e) => e.eventId)).toEqual(['$new']);
  });

  it('backfills a limited timeline before admitting it, oldest first', async () => {
    const store = newStore();
    store.journal.admit('calc', 's0', []);
    const source = new ScriptedSync(
      [batch('s1', [event('$c')], { limited: true, prevBatch: 'p1' })],
      [event('$b'), event('$a')], // /messages returns newest first
    );
    const admitted = await runUntil(source, store, 1);
    expect(source.backfills[0]).toMatchObject({ from: 'p1', to: 's0' });
    expect(admitted.flat().map((e) => e.eventId)).toEqual(['$a', '$b', '$c']);
  });

  it('stores other bots’ streaming edits without content and marks old events as history', async () => {
    const store = newStore();
    store.journal.admit('calc', 's0', []);
    const streaming = event('$s', {
      sender: '@quorum_scribe:hs',
      content: {
        body: '* part',
        'm.new_content': { body: 'part', 'io.quorum.stream_status': 'streaming' },
        'm.relates_to': { rel_type: 'm.replace', event_id: '$orig' },
      },
    });
    const old = event('$old', { origin_server_ts: clock.now() - 20 * 60_000 });
    await runUntil(new ScriptedSync([batch('s1', [streaming, old])]), store, 1);
    expect(store.journal.get('$s')).toMatchObject({
      relatesTo: '$orig',
      relType: 'm.replace',
      event: { content: {} },
    });
    expect(store.journal.get('$old')?.isHistory).toBe(true);
  });

  it('leaves out the covered rooms, and refresh re-asks at once with the new coverage', async () => {
    const store = newStore();
    store.journal.admit('calc', 's0', []);
    const source = new ScriptedSync([batch('s1', [])]);
    let coverage: SyncCoverage = { excludeRooms: [ROOM], isFullyCovered: false };
    const { loop, stop } = startLoop(source, store, () => coverage);
    await vi.waitFor(() => {
      expect(source.requests).toHaveLength(2);
    });
    // The second request is the long-poll, parked until something happens.
    expect(source.requests[1]).toMatchObject({
      since: 's1',
      timeoutMs: 30_000,
      excludeRooms: [ROOM],
    });

    coverage = { excludeRooms: [], isFullyCovered: false };
    loop.refresh();
    await vi.waitFor(() => {
      expect(source.requests).toHaveLength(3);
    });
    expect(source.requests[1]?.signal.aborted).toBe(true);
    // Same token (the abandoned poll returned nothing), no waiting, every room included.
    expect(source.requests[2]).toMatchObject({ since: 's1', timeoutMs: 0, excludeRooms: [] });
    expect(store.journal.syncToken('calc')).toBe('s1');
    await stop();
  });

  it('checks in at the standby interval instead of long-polling while fully covered', async () => {
    const store = newStore();
    store.journal.admit('calc', 's0', []);
    const source = new ScriptedSync([batch('s1', []), batch('s2', []), batch('s3', [])]);
    let coverage: SyncCoverage = { excludeRooms: [ROOM], isFullyCovered: true };
    const { loop, stop } = startLoop(source, store, () => coverage);
    // The first request of a run never waits.
    await vi.waitFor(() => {
      expect(source.requests).toHaveLength(1);
    });
    expect(source.requests[0]).toMatchObject({ since: 's0', timeoutMs: 0 });
    // Then nothing is asked until the standby interval has passed, and that check does not wait.
    await vi.waitFor(() => {
      expect(clock.pendingSleeps).toBe(1);
    });
    expect(source.requests).toHaveLength(1);
    await clock.advance(DEFAULT_STANDBY_INTERVAL_MS);
    await vi.waitFor(() => {
      expect(source.requests).toHaveLength(2);
    });
    expect(source.requests[1]).toMatchObject({ since: 's1', timeoutMs: 0, excludeRooms: [ROOM] });

    // Coverage ends (the router went down): the pause is cut short and long-polling resumes.
    await vi.waitFor(() => {
      expect(clock.pendingSleeps).toBe(1);
    });
    coverage = { excludeRooms: [], isFullyCovered: false };
    loop.refresh();
    // One request at once with the new coverage, then a long-poll.
    await vi.waitFor(() => {
      expect(source.requests).toHaveLength(4);
    });
    expect(source.requests[2]).toMatchObject({ since: 's2', timeoutMs: 0, excludeRooms: [] });
    expect(source.requests[3]).toMatchObject({ since: 's3', timeoutMs: 30_000 });
    await stop();
  });
});

/** Runs a loop with `coverage` until `stop` is called. */
function startLoop(
  source: ScriptedSync,
  store: QuorumStore,
  coverage: () => SyncCoverage,
): { loop: SyncLoop; stop: () => Promise<void> } {
  const controller = new AbortController();
  const loop = new SyncLoop({
    bot: 'calc',
    client: source,
    journal: store.journal,
    sink: { onAdmitted: () => undefined, onInvites: () => undefined, onLeftRooms: () => undefined },
    clock,
    log: silentLogger,
    isEntityUser: () => false,
    catchUpWindowMs: 15 * 60_000,
    pollTimeoutMs: 30_000,
    coverage,
    onBatch: () => undefined,
  });
  const running = loop.run(controller.signal);
  return {
    loop,
    stop: async () => {
      controller.abort();
      await running;
    },
  };
}

describe('SyncLoop with encrypted events', () => {
  function held(id: string): RawEvent {
    return event(id, {
      type: 'm.room.encrypted',
      content: { algorithm: 'm.megolm.v1.aes-sha2', ciphertext: 'x', session_id: 'S' },
    });
  }

  it('replaces an event held encrypted once its keys came, and hands it on to be decided', async () => {
    const store = newStore();
    store.journal.admit('calc', 's0', []);
    const late: RawEvent = { ...event('$secret'), room_id: ROOM };
    const source = new ScriptedSync([
      batch('s1', [held('$secret')]),
      { ...batch('s2', []), decryptedLate: [late] },
    ]);
    const admitted = await runUntil(source, store, 2);
    expect(admitted.map((entries) => entries.map((e) => [e.eventId, e.type]))).toEqual([
      [['$secret', 'm.room.encrypted']],
      [['$secret', 'm.room.message']],
    ]);
    const entry = store.journal.get('$secret');
    expect(entry?.event.content['body']).toBe('$secret');
    expect(entry?.decision).toBeUndefined();
    expect(store.journal.listUndecided().map((e) => e.eventId)).toEqual(['$secret']);
  });

  it('hands events still undecryptable to the notifier', async () => {
    const store = newStore();
    store.journal.admit('calc', 's0', []);
    const reported: string[] = [];
    const controller = new AbortController();
    const loop = new SyncLoop({
      bot: 'calc',
      client: new ScriptedSync([
        batch('s1', [held('$gone')]),
        { ...batch('s2', []), undecryptable: [{ ...held('$gone'), room_id: ROOM }] },
      ]),
      journal: store.journal,
      sink: {
        onAdmitted: () => undefined,
        onInvites: () => undefined,
        onLeftRooms: () => undefined,
      },
      clock,
      log: silentLogger,
      isEntityUser: () => false,
      catchUpWindowMs: 15 * 60_000,
      pollTimeoutMs: 30_000,
      undecryptable: {
        notify: (events: readonly RawEvent[]) => {
          reported.push(...events.map((e) => e.event_id));
          setImmediate(() => {
            controller.abort();
          });
          return Promise.resolve();
        },
      },
      onBatch: () => undefined,
    });
    await loop.run(controller.signal);
    expect(reported).toEqual(['$gone']);
  });
});
