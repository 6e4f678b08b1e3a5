import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.js';
import { FakeResponders } from '../../test/support/turn-fixtures.js';
import { MatrixRequestError, type OutgoingText } from '../matrix/index.js';
import {
  ScheduleDeliveryRefused,
  type ScheduleFire,
  type ScheduleNotice,
} from '../schedules/index.js';
import { AbortReason, silentLogger, type EventId } from '../shared/index.js';
import { QuorumStore, type JournalEntry } from '../storage/index.js';
import { PipelineFireSink, SCHEDULE_FIRE_KEY } from './schedule-fire-sink.js';

const ROOM = '!room:hs';
const USER_IDS: Readonly<Record<string, string>> = {
  router: '@quorum_router:hs',
  calc: '@quorum_calc:hs',
  writer: '@quorum_writer:hs',
};

const stores: QuorumStore[] = [];
afterEach(() => {
  for (const store of stores.splice(0)) store.close();
});

function fireOf(overrides: Partial<ScheduleFire> = {}): ScheduleFire {
  return {
    id: 'k3x9ab2q@60000',
    scheduleId: 'k3x9ab2q',
    dueAt: 60_000,
    roomId: ROOM,
    threadRoot: '$thread',
    newThread: false,
    requester: '@alice:hs',
    message: '@calc what is 5+5',
    mentions: ['calc'],
    historyLimit: undefined,
    description: 'once',
    isRecurring: false,
    lateByMs: 0,
    coalesced: 0,
    ...overrides,
  };
}

function setup(options: { joined?: readonly string[]; direct?: readonly string[] } = {}) {
  const store = new QuorumStore(':memory:');
  stores.push(store);
  const clock = new FakeClock(60_000);
  const responders = new FakeResponders(['router', 'calc', 'writer']);
  const handed: { entries: readonly JournalEntry[]; bot: string }[] = [];
  const sink = new PipelineFireSink({
    responders,
    rooms: {
      joinedEntities: () => new Set(options.joined ?? ['router', 'calc', 'writer']),
      directEntities: () => new Set(options.direct ?? []),
    },
    userIdOf: (name) => USER_IDS[name],
    journal: store.journal,
    pipeline: () => ({
      onAdmitted: (entries, bot) => {
        handed.push({ entries, bot });
      },
    }),
    fires: store.schedules,
    clock,
    log: silentLogger,
  });
  return { store, clock, responders, handed, sink };
}

/** Claims `fire` in the store as the scheduler would. */
function claim(store: QuorumStore, fire: ScheduleFire): void {
  store.schedules.insert(
    {
      id: fire.scheduleId,
      roomId: fire.roomId,
      threadRoot: fire.threadRoot,
      newThread: fire.newThread,
      createdBy: fire.requester,
      timing: { kind: 'once', atMs: fire.dueAt },
      timezone: 'UTC',
      message: fire.message,
      description: fire.description,
      mentions: fire.mentions,
      historyLimit: fire.historyLimit,
      timeStyle: '24h',
      parsedBy: 'rules',
      nextDueAt: fire.dueAt,
    },
    { perPerson: 10, perRoom: 10 },
  );
  store.schedules.claim({
    scheduleId: fire.scheduleId,
    expectedNextDueAt: fire.dueAt,
    dueAt: fire.dueAt,
    kind: 'fire',
    payload: fire,
    advance: { state: 'done', reason: 'fired' },
  });
}

const signal = (): AbortSignal => new AbortController().signal;

describe('PipelineFireSink.fire', () => {
  it('posts the fire as the router in its thread and hands the admitted event to dispatch', async () => {
    const { store, responders, handed, sink } = setup();
    await sink.fire(fireOf(), { signal: signal() });

    const [sent] = responders.outbox('router').ops;
    expect(sent).toMatchObject({ op: 'send', roomId: ROOM });
    expect(sent?.txnId).toMatch(/^qs\.[A-Za-z0-9_-]{22}$/);
    const message = sent?.message as OutgoingText;
    expect(message.body).toBe(
      '⏰ @calc what is 5+5\n\n— scheduled task `k3x9ab2q` by @alice:hs · once',
    );
    expect(message.thread).toEqual({ rootId: '$thread' });
    expect(message.mentions).toEqual(['@quorum_calc:hs']);
    expect(message.extraContent).toEqual({ [SCHEDULE_FIRE_KEY]: 'k3x9ab2q@60000' });

    const entry = store.journal.get('$out1');
    expect(entry).toMatchObject({
      sender: '@quorum_router:hs',
      roomId: ROOM,
      threadRoot: '$thread',
      relType: 'm.thread',
      isHistory: false,
      decision: undefined,
    });
    expect(entry?.event.content[SCHEDULE_FIRE_KEY]).toBe('k3x9ab2q@60000');
    expect(entry?.event.content['m.mentions']).toEqual({ user_ids: ['@quorum_calc:hs'] });
    expect(handed.map(({ entries, bot }) => [entries.map((e) => e.eventId), bot])).toEqual([
      [['$out1'], 'router'],
    ]);
  });

  it('repeats the same send after a crash and hands nothing twice', async () => {
    const { responders, handed, sink } = setup();
    // A homeserver deduplicates by transaction id: the repeat gets the same event id back.
    const outbox = responders.outbox('router');
    const ids = new Map<string, EventId>();
    const send = outbox.sendText.bind(outbox);
    outbox.sendText = async (roomId, message, txnId) => {
      const first = ids.get(txnId);
      if (first !== undefined) return first;
      const id = await send(roomId, message, txnId);
      ids.set(txnId, id);
      return id;
    };
    await sink.fire(fireOf(), { signal: signal() });
    await sink.fire(fireOf(), { signal: signal() });
    expect(new Set(outbox.ops.map((op) => op.txnId)).size).toBe(1);
    expect(handed).toHaveLength(1);
  });

  it('does not post again once dispatch acted on a posted copy', async () => {
    const { store, responders, handed, sink } = setup();
    const fire = fireOf();
    claim(store, fire);
    expect(store.schedules.bindFireEvent(fire.id, '$posted')).toBe('bound');
    await sink.fire(fire, { signal: signal() });
    expect(responders.outbox('router').ops).toEqual([]);
    expect(handed).toEqual([]);
  });

  it('never pings the room or a named person: m.mentions holds the mentioned agents only', async () => {
    const { responders, store, sink } = setup();
    await sink.fire(
      fireOf({ message: '@room @bob:hs @calc look', mentions: ['calc'], threadRoot: undefined }),
      { signal: signal() },
    );
    const content = store.journal.get('$out1')?.event.content;
    expect(content?.['m.mentions']).toEqual({ user_ids: ['@quorum_calc:hs'] });
    expect(content?.['m.relates_to']).toBeUndefined();
    expect(responders.outbox('router').ops[0]?.message?.mentions).toEqual(['@quorum_calc:hs']);
  });

  it('says how late a fire is and how many runs were folded into it', async () => {
    const { responders, sink } = setup();
    await sink.fire(
      fireOf({ isRecurring: true, description: 'every hour', lateByMs: 180_000, coalesced: 2 }),
      { signal: signal() },
    );
    expect(responders.outbox('router').ops[0]?.body).toContain(
      '— scheduled task `k3x9ab2q` by @alice:hs · every hour · 3 min late: Quorum was offline at the due time · 2 earlier runs missed while Quorum was offline',
    );
  });

  it('posts as a mentioned agent, then a DM’s agent, when the router is not in the room', async () => {
    const mentioned = setup({ joined: ['writer', 'calc'] });
    await mentioned.sink.fire(fireOf(), { signal: signal() });
    expect(mentioned.responders.outbox('calc').ops).toHaveLength(1);
    expect(mentioned.store.journal.get('$out1')?.sender).toBe('@quorum_calc:hs');

    const direct = setup({ joined: ['writer', 'calc'], direct: ['writer'] });
    await direct.sink.fire(fireOf({ mentions: [], message: 'check the build' }), {
      signal: signal(),
    });
    expect(direct.responders.outbox('writer').ops).toHaveLength(1);
  });

  it('refuses for good when the homeserver refuses the room', async () => {
    // Nobody known in the room: the router tries, and the homeserver says it is not in it.
    const empty = setup({ joined: [] });
    empty.responders.outbox('router').sendText = () =>
      Promise.reject(new MatrixRequestError('forbidden', 'not in room'));
    await expect(empty.sink.fire(fireOf(), { signal: signal() })).rejects.toBeInstanceOf(
      ScheduleDeliveryRefused,
    );

    for (const code of ['forbidden', 'not_found', 'encryption_unavailable'] as const) {
      const { responders, sink } = setup();
      responders.outbox('router').sendText = () =>
        Promise.reject(new MatrixRequestError(code, 'no'));
      await expect(sink.fire(fireOf(), { signal: signal() })).rejects.toBeInstanceOf(
        ScheduleDeliveryRefused,
      );
    }
  });

  it('lets the router try when the room registry knows nobody in the room yet', async () => {
    const { responders, store, sink } = setup({ joined: [] });
    await sink.fire(fireOf(), { signal: signal() });
    expect(responders.outbox('router').ops).toHaveLength(1);
    expect(store.journal.get('$out1')?.sender).toBe('@quorum_router:hs');
  });

  it('leaves transient failures to the scheduler’s retries', async () => {
    const { responders, handed, sink } = setup();
    responders.outbox('router').sendText = () =>
      Promise.reject(new MatrixRequestError('server_error', 'down'));
    const error: unknown = await sink.fire(fireOf(), { signal: signal() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MatrixRequestError);
    expect(error).not.toBeInstanceOf(ScheduleDeliveryRefused);
    expect(handed).toEqual([]);

    const stopped = setup();
    stopped.responders.stop('router');
    await expect(stopped.sink.fire(fireOf(), { signal: signal() })).rejects.toThrow(
      'router is not connected',
    );
  });

  it('stops waiting for a hung send when its signal aborts', async () => {
    const { responders, handed, sink } = setup();
    responders.outbox('router').sendText = () => new Promise<EventId>(() => undefined);
    const controller = new AbortController();
    const pending = sink.fire(fireOf(), { signal: controller.signal });
    controller.abort(new AbortReason('shutdown', 'scheduler stopped'));
    await expect(pending).rejects.toMatchObject({ kind: 'shutdown' });
    expect(handed).toEqual([]);
  });

  it('replaces a copy the journal holds still encrypted by the plaintext it posted', async () => {
    const { store, handed, sink } = setup();
    store.journal.admit('router', 's1', [
      {
        roomId: ROOM,
        event: {
          event_id: '$out1',
          sender: '@quorum_router:hs',
          type: 'm.room.encrypted',
          origin_server_ts: 60_000,
          content: { algorithm: 'm.megolm.v1.aes-sha2', ciphertext: 'x' },
        },
        threadRoot: undefined,
        relatesTo: undefined,
        relType: undefined,
        isHistory: false,
      },
    ]);
    await sink.fire(fireOf(), { signal: signal() });
    expect(store.journal.get('$out1')).toMatchObject({
      type: 'm.room.message',
      threadRoot: '$thread',
    });
    expect(handed.flatMap(({ entries }) => entries.map((e) => e.eventId))).toEqual(['$out1']);
  });
});

describe('PipelineFireSink.notify', () => {
  it('posts a notice in the schedule’s thread, idempotent by notice id, mentioning its creator', async () => {
    const { responders, handed, sink } = setup();
    const notice: ScheduleNotice = {
      id: 'k3x9ab2q@60000',
      kind: 'missed',
      scheduleId: 'k3x9ab2q',
      roomId: ROOM,
      threadRoot: '$thread',
      requester: '@alice:hs',
      markdown: '⏰ @alice:hs: scheduled task `k3x9ab2q` was missed',
    };
    await sink.notify(notice, { signal: signal() });
    await sink.notify(notice, { signal: signal() });
    const ops = responders.outbox('router').ops;
    expect(ops.map((op) => op.txnId)).toEqual([ops[0]?.txnId, ops[0]?.txnId]);
    expect(ops[0]?.txnId).toMatch(/^qn\./);
    expect(ops[0]?.message).toMatchObject({
      msgtype: 'm.notice',
      thread: { rootId: '$thread' },
      mentions: ['@alice:hs'],
    });
    expect(handed).toEqual([]);
  });
});
