import { afterEach, describe, expect, it } from 'vitest';
import { ROOM } from '../../test/support/turn-fixtures.js';
import type { FollowUp, TurnRequest } from '../agents/index.js';
import type { Continuation } from '../interactions/index.js';
import {
  LIMIT_NOTE_KEY,
  type Decision,
  type DispatchInput,
  type LimitNote,
  type TurnView,
} from '../routing/index.js';
import { silentLogger } from '../shared/index.js';
import { QuorumStore, type TurnRecord } from '../storage/index.js';
import type { LaunchOptions } from '../teams/index.js';
import { FleetDecisionExecutor } from './decision-executor.js';
import { TurnAdmission, type TurnLimits } from './turn-admission.js';
import { FakeClock } from '../../test/support/fake-clock.js';
import type { RoomMembership } from './dispatch-ports.js';

const ALICE = '@alice:hs';
const stores: QuorumStore[] = [];
afterEach(() => {
  for (const store of stores.splice(0)) store.close();
});

/** Records launches; a launch may report a follow-up as a finished turn would. */
class RecordingLauncher {
  readonly launched: { turn: TurnRecord; request: TurnRequest | undefined }[] = [];
  /** `onFinished` of each launched turn, to end it as the coordinator would. */
  readonly finish = new Map<string, () => void>();
  followUpFor: ((turn: TurnRecord) => FollowUp | undefined) | undefined;

  launch(turn: TurnRecord, options: LaunchOptions): boolean {
    this.launched.push({ turn, request: options.request });
    this.finish.set(`${turn.responder}/${turn.sourceEventId}`, () => options.onFinished?.());
    const followUp = this.followUpFor?.(turn);
    if (followUp !== undefined) options.onFollowUp(followUp);
    return true;
  }
}

function setup(
  options: {
    routerChoice?: string;
    joined?: readonly string[];
    isRunning?: boolean;
    limits?: Partial<TurnLimits>;
  } = {},
) {
  const store = new QuorumStore(':memory:');
  stores.push(store);
  const launcher = new RecordingLauncher();
  const aborted: { responder: string; source: string; kind: string }[] = [];
  const cancelled: string[] = [];
  let continuation: Continuation | undefined;
  const routerSignals: AbortSignal[] = [];
  const lifetime = new AbortController();
  const clock = new FakeClock();
  const notices: {
    entity: string;
    text: string;
    key: string;
    extra?: Readonly<Record<string, unknown>> | undefined;
  }[] = [];
  const limits: TurnLimits = {
    turnsPerUser: 3,
    turnsPerRoom: 6,
    queuedPerRoom: 20,
    requestsPerMinute: 20,
    ...options.limits,
  };
  const rooms: RoomMembership = {
    joinedEntities: () => new Set(options.joined ?? ['router', 'calc', 'writer']),
    directEntities: () => new Set(),
    setJoined: () => undefined,
    markDirect: () => undefined,
  };
  const executor = new FleetDecisionExecutor({
    turns: store.turns,
    interactionRecords: store.interactions,
    directRooms: store.directRooms,
    launcher,
    coordinator: {
      isRunning: () => options.isRunning ?? true,
      abort: (responder, source, reason) => {
        aborted.push({ responder, source, kind: reason.kind });
        return Promise.resolve();
      },
    },
    interactions: {
      onReaction: () => Promise.resolve(continuation),
      onReply: () => Promise.resolve(continuation),
      cancelForTurn: (responder, source) => {
        cancelled.push(`${responder}/${source}`);
      },
    },
    rooms,
    joiner: { join: (_entity, roomId) => Promise.resolve(roomId) },
    router: {
      choose: (_decision, { signal }) => {
        routerSignals.push(signal);
        return Promise.resolve(options.routerChoice);
      },
    },
    commands: { handle: () => Promise.resolve() },
    admission: new TurnAdmission({ limits: () => limits, now: () => clock.now() }),
    notices: {
      post: (entity, _place, text, key, extra) => {
        notices.push({ entity, text, key, extra });
        return Promise.resolve();
      },
    },
    journal: store.journal,
    log: silentLogger,
    signal: lifetime.signal,
  });
  return {
    store,
    launcher,
    executor,
    aborted,
    cancelled,
    routerSignals,
    lifetime,
    clock,
    notices,
    setContinuation: (value: Continuation | undefined) => {
      continuation = value;
    },
  };
}

const input: DispatchInput = {
  kind: 'message',
  eventId: '$m',
  roomId: ROOM,
  sender: ALICE,
  body: 'hi',
  threadRoot: undefined,
  mentionedUserIds: [],
  originTs: 0,
  isFinal: true,
  isNotice: false,
};

const respond = (responders: readonly string[], source = '$m'): Decision => ({
  kind: 'respond',
  responders,
  sourceEventId: source,
  sourceVersion: source,
  requester: ALICE,
  threadRoot: source,
  via: 'mention',
});

describe('FleetDecisionExecutor', () => {
  it('claims and launches one turn per responder, and never twice for the same source', async () => {
    const { store, launcher, executor } = setup();
    await executor.execute(respond(['calc', 'writer']), input);
    await executor.execute(respond(['calc']), input);
    expect(launcher.launched.map((launch) => launch.turn.responder)).toEqual(['calc', 'writer']);
    expect(store.turns.get('calc', '$m')?.state).toBe('claimed');
  });

  it('asks the router under the daemon lifetime and launches its choice; no choice, no turn', async () => {
    const route: Decision = {
      kind: 'route',
      candidates: ['calc', 'writer'],
      sourceEventId: '$m',
      requester: ALICE,
      threadRoot: '$m',
    };
    const chosen = setup({ routerChoice: 'writer' });
    await chosen.executor.execute(route, input);
    expect(chosen.launcher.launched.map((launch) => launch.turn.responder)).toEqual(['writer']);
    chosen.lifetime.abort();
    expect(chosen.routerSignals[0]?.aborted).toBe(true);

    const none = setup();
    await none.executor.execute(route, input);
    expect(none.launcher.launched).toEqual([]);
  });

  it('gives an ad-hoc team to the router to post where it is in the room, else to the first member', async () => {
    const team: Decision = {
      kind: 'team',
      members: ['calc', 'writer'],
      mode: 'collaborate',
      sourceEventId: '$m',
      sourceVersion: '$m',
      requester: ALICE,
      threadRoot: '$m',
      via: 'mention',
    };
    const inRoom = setup();
    await inRoom.executor.execute(team, input);
    expect(inRoom.launcher.launched[0]?.turn.responder).toBe(
      'adhoc:collaborate:router:calc+writer',
    );

    const inDm = setup({ joined: ['calc', 'writer'] });
    await inDm.executor.execute(team, input);
    expect(inDm.launcher.launched[0]?.turn.responder).toBe('adhoc:collaborate:calc:calc+writer');
  });

  it('claims the target of a handoff on the same source when the turn hands it back', async () => {
    const { launcher, executor } = setup();
    launcher.followUpFor = (turn) =>
      turn.responder === 'calc' ? { kind: 'handoff', turn, target: 'writer' } : undefined;
    await executor.execute(respond(['calc']), input);
    expect(launcher.launched.map((launch) => launch.turn.responder)).toEqual(['calc', 'writer']);
    expect(launcher.launched[1]?.turn).toMatchObject({ sourceEventId: '$m', threadRoot: '$m' });
  });

  it('regenerates after an edit: cancels what the turn waited on, aborts it as superseded, reopens and relaunches', async () => {
    const { store, launcher, executor, aborted, cancelled } = setup();
    await executor.execute(respond(['calc']), input);
    store.turns.finish('calc', '$m', 'completed');
    await executor.execute(
      { kind: 'regenerate', sourceEventId: '$m', sourceVersion: '$edit', responders: ['calc'] },
      input,
    );
    expect(cancelled).toEqual(['calc/$m']);
    expect(aborted).toEqual([{ responder: 'calc', source: '$m', kind: 'superseded' }]);
    expect(launcher.launched.at(-1)?.turn).toMatchObject({
      sourceVersion: '$edit',
      generation: 1,
      state: 'claimed',
    });
  });

  it('stops a turn with a stop reason naming who stopped it', async () => {
    const { executor, aborted, cancelled } = setup();
    const turn: TurnView = {
      responder: 'calc',
      sourceEventId: '$m',
      requester: ALICE,
      replyEventId: '$r',
      isOpen: true,
    };
    await executor.execute({ kind: 'stop', turns: [turn], by: ALICE }, input);
    expect(aborted).toEqual([{ responder: 'calc', source: '$m', kind: 'stopped' }]);
    expect(cancelled).toEqual(['calc/$m']);
  });

  it('continues a conversation nobody waited for with a turn on the deciding event', async () => {
    const { store, launcher, executor, setContinuation } = setup();
    const record = store.interactions.create({
      kind: 'question',
      payload: { question: 'Which?', options: ['a', 'b'] },
      roomId: ROOM,
      threadRoot: '$root',
      requester: ALICE,
      responder: 'calc',
      sourceEventId: '$m',
      expiresAt: Date.now() + 60_000,
    });
    store.interactions.decide(record.id, 'answered', { index: 0, option: 'a' }, '$reaction');
    const decided = store.interactions.get(record.id);
    if (decided === undefined) throw new Error('no record');
    setContinuation({ record: decided });

    const decision: Decision = {
      kind: 'interaction',
      interactionId: record.id,
      via: 'reaction',
      eventId: '$reaction',
      sender: ALICE,
      value: '1️⃣',
      atMs: 0,
    };
    await executor.execute(decision, input);
    await executor.execute(decision, input);
    expect(launcher.launched).toHaveLength(1);
    expect(launcher.launched[0]?.turn).toMatchObject({
      responder: 'calc',
      sourceEventId: '$reaction',
      threadRoot: '$root',
    });
    expect(launcher.launched[0]?.request).toEqual({ kind: 'continuation', record: decided });
  });

  it('reopens and relaunches the turns recovery hands back', async () => {
    const { store, launcher, executor } = setup();
    await executor.execute(respond(['calc']), input);
    const open = store.turns.get('calc', '$m');
    if (open === undefined) throw new Error('no turn');
    executor.resume([open]);
    expect(launcher.launched).toHaveLength(2);
    expect(launcher.launched[1]?.turn.generation).toBe(1);
  });

  it('closes a stopped turn that is not running (its reply is already final or never came)', async () => {
    const { store, executor } = setup({ isRunning: false });
    await executor.execute(respond(['calc']), input);
    const turn: TurnView = {
      responder: 'calc',
      sourceEventId: '$m',
      requester: ALICE,
      replyEventId: undefined,
      isOpen: true,
    };
    await executor.execute({ kind: 'stop', turns: [turn], by: ALICE }, input);
    expect(store.turns.get('calc', '$m')?.state).toBe('stopped');
  });

  it('queues a turn over the per-person cap with a note, and starts it when a running one ends', async () => {
    const { launcher, executor, notices } = setup({ limits: { turnsPerUser: 1 } });
    await executor.execute(respond(['calc']), input);
    await executor.execute(respond(['writer'], '$m2'), { ...input, eventId: '$m2' });
    expect(launcher.launched.map((launch) => launch.turn.responder)).toEqual(['calc']);
    await Promise.resolve();
    expect(notices).toEqual([
      { entity: 'writer', text: '⏳ Busy: your request is queued.', key: 'queued' },
    ]);

    launcher.finish.get('calc/$m')?.();
    expect(launcher.launched.map((launch) => launch.turn.responder)).toEqual(['calc', 'writer']);
  });

  it('refuses a turn when the room queue is full, closing it with a note', async () => {
    const { store, launcher, executor, notices } = setup({
      limits: { turnsPerRoom: 1, queuedPerRoom: 0 },
    });
    await executor.execute(respond(['calc', 'writer']), input);
    expect(launcher.launched.map((launch) => launch.turn.responder)).toEqual(['calc']);
    expect(store.turns.get('writer', '$m')?.state).toBe('failed');
    await Promise.resolve();
    expect(notices.map((notice) => notice.key)).toEqual(['refused']);
  });

  it('drops requests over the rate limit, with one note a minute, and takes them again later', async () => {
    const { launcher, executor, notices, clock } = setup({ limits: { requestsPerMinute: 2 } });
    const ask = (n: number) =>
      executor.execute(respond(['calc'], `$q${n}`), { ...input, eventId: `$q${n}` });
    for (let n = 1; n <= 5; n++) await ask(n);
    expect(launcher.launched).toHaveLength(2);
    await Promise.resolve();
    expect(notices.map((notice) => notice.key)).toEqual(['rate-limited']);

    await clock.advance(30_000);
    await ask(6);
    expect(launcher.launched).toHaveLength(3);
  });

  it('posts a conversation limit note (marked as one) instead of any turn, from the router', async () => {
    const { launcher, executor, notices } = setup();
    const note: LimitNote = {
      limit: 'agent-hops',
      text: 'Agents stop here.',
      sourceEventId: '$m',
      requester: '@quorum_calc:hs',
      threadRoot: '$root',
    };
    await executor.execute({ kind: 'ignore', reason: 'agent-hop-limit', note }, input);
    await executor.execute({ kind: 'ignore', reason: 'agent-hop-limit' }, input);
    await Promise.resolve();
    expect(launcher.launched).toEqual([]);
    expect(notices).toEqual([
      {
        entity: 'router',
        text: 'Agents stop here.',
        key: 'limit-agent-hops',
        extra: { [LIMIT_NOTE_KEY]: 'agent-hops' },
      },
    ]);
    const inDm = setup({ joined: ['writer', 'calc'] });
    await inDm.executor.execute({ kind: 'ignore', reason: 'agent-hop-limit', note }, input);
    await Promise.resolve();
    expect(inDm.notices[0]?.entity).toBe('calc');
  });

  it('closes a turn whose message was deleted before it could start, without launching it', async () => {
    const { store, launcher, executor } = setup();
    store.journal.admit('test', undefined, [
      {
        roomId: ROOM,
        event: {
          event_id: '$del',
          sender: ALICE,
          type: 'm.room.redaction',
          origin_server_ts: 1,
          content: {},
          redacts: '$m',
        },
        threadRoot: undefined,
        relatesTo: '$m',
        relType: 'm.redaction',
        isHistory: false,
      },
    ]);
    await executor.execute(respond(['calc']), input);
    expect(launcher.launched).toEqual([]);
    expect(store.turns.get('calc', '$m')?.state).toBe('stopped');
  });
});
