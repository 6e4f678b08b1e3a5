import { afterEach, describe, expect, it } from 'vitest';
import type { Decision, DispatchContext, EntityView, MessageInput } from '../routing/index.js';
import type { ScheduleFire } from '../schedules/index.js';
import { QuorumMetrics, silentLogger, systemClock } from '../shared/index.js';
import { QuorumStore, type Admission, type JournalEntry } from '../storage/index.js';
import type { FleetView, RoomMembership } from './dispatch-ports.js';
import { EventPipeline } from './event-pipeline.js';
import { ScheduleFireInputs, decideScheduleFire } from './schedule-fire-inputs.js';
import { SCHEDULE_FIRE_KEY } from './schedule-fire-sink.js';

const ROOM = '!room:hs';
const ALICE = '@alice:hs';
const ROUTER = '@quorum_router:hs';

const entity = (name: string, kind: EntityView['kind'] = 'agent'): EntityView => ({
  name,
  kind,
  userId: `@quorum_${name}:hs`,
  displayName: name,
  rooms: new Set([ROOM]),
  acceptsInvites: false,
});

const ENTITIES = [entity('router', 'router'), entity('calc'), entity('writer')];

const FLEET: FleetView = {
  entities: ENTITIES,
  teams: new Map(),
  botAccounts: new Set(),
  authorization: {
    globalUsers: new Set([ALICE]),
    roomPermissions: new Map(),
    defaultRoomAccess: false,
    allowFederation: false,
    serverName: 'hs',
  },
  catchUpWindowMs: 60_000,
  entityOf: (userId) => ENTITIES.find((e) => e.userId === userId)?.name,
};

const ROOMS: RoomMembership = {
  joinedEntities: () => new Set(['router', 'calc', 'writer']),
  directEntities: () => new Set(),
  setJoined: () => undefined,
  markDirect: () => undefined,
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
    threadRoot: undefined,
    newThread: false,
    requester: ALICE,
    message: '@calc what is 5+5',
    mentions: ['calc'],
    historyLimit: 3,
    description: 'once',
    isRecurring: false,
    lateByMs: 0,
    coalesced: 0,
    ...overrides,
  };
}

function setup(fire: ScheduleFire = fireOf()) {
  const store = new QuorumStore(':memory:');
  stores.push(store);
  store.schedules.insert(
    {
      id: fire.scheduleId,
      roomId: fire.roomId,
      threadRoot: undefined,
      newThread: false,
      createdBy: fire.requester,
      timing: { kind: 'once', atMs: fire.dueAt },
      timezone: 'UTC',
      message: fire.message,
      description: 'once',
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
  const inputs = new ScheduleFireInputs({ fires: store.schedules, log: silentLogger });
  return { store, inputs };
}

function posted(
  eventId: string,
  options: { sender?: string; fireId?: unknown; roomId?: string; edit?: boolean } = {},
): Admission {
  const relation = options.edit === true ? { rel_type: 'm.replace', event_id: '$orig' } : undefined;
  return {
    roomId: options.roomId ?? ROOM,
    event: {
      event_id: eventId,
      sender: options.sender ?? ROUTER,
      type: 'm.room.message',
      origin_server_ts: Date.now(),
      content: {
        msgtype: 'm.text',
        body: '⏰ @calc what is 5+5',
        'm.mentions': { user_ids: ['@quorum_calc:hs'] },
        ...(relation === undefined ? {} : { 'm.relates_to': relation }),
        ...('fireId' in options ? { [SCHEDULE_FIRE_KEY]: options.fireId } : {}),
      },
    },
    threadRoot: undefined,
    relatesTo: relation?.event_id,
    relType: relation?.rel_type,
    isHistory: false,
  };
}

function admit(store: QuorumStore, admission: Admission): JournalEntry {
  const [entry] = store.journal.admit('router', undefined, [admission]);
  if (entry === undefined) throw new Error('not admitted');
  return entry;
}

describe('ScheduleFireInputs.read', () => {
  it('reads a fire posted by Quorum as its creator’s message, and binds the fire to it', () => {
    const { store, inputs } = setup();
    const entry = admit(store, posted('$fire', { fireId: 'k3x9ab2q@60000' }));
    expect(inputs.read(entry, () => FLEET)).toEqual({
      kind: 'fire',
      fireId: 'k3x9ab2q@60000',
      input: {
        kind: 'message',
        eventId: '$fire',
        roomId: ROOM,
        sender: ALICE,
        body: '@calc what is 5+5',
        threadRoot: undefined,
        mentionedUserIds: ['@quorum_calc:hs'],
        originTs: entry.originTs,
        isFinal: true,
        isNotice: false,
      },
    });
    expect(store.schedules.fireByEvent('$fire')?.id).toBe('k3x9ab2q@60000');
    // Read again after a crash before the decision: still the same fire.
    expect(inputs.read(entry, () => FLEET)?.kind).toBe('fire');
  });

  it('is not fooled by a person’s copy of the marker, and ignores messages without one', () => {
    const { store, inputs } = setup();
    const forged = admit(store, posted('$forged', { sender: ALICE, fireId: 'k3x9ab2q@60000' }));
    expect(inputs.read(forged, () => FLEET)).toBeUndefined();
    expect(store.schedules.getFire('k3x9ab2q@60000')?.eventId).toBeUndefined();
    expect(inputs.read(admit(store, posted('$plain')), () => FLEET)).toBeUndefined();
  });

  it('acts on one copy of a fire posted twice', () => {
    const { store, inputs } = setup();
    const first = admit(store, posted('$first', { fireId: 'k3x9ab2q@60000' }));
    const second = admit(store, posted('$second', { fireId: 'k3x9ab2q@60000' }));
    expect(inputs.read(first, () => FLEET)?.kind).toBe('fire');
    expect(inputs.read(second, () => FLEET)).toMatchObject({ kind: 'skip' });
  });

  it('skips unknown fires, fires of other rooms, edits and non-string markers', () => {
    const { store, inputs } = setup();
    const cases = [
      posted('$a', { fireId: 'nope@1' }),
      posted('$b', { fireId: 'k3x9ab2q@60000', roomId: '!other:hs' }),
      posted('$c', { fireId: 'k3x9ab2q@60000', edit: true }),
    ];
    for (const admission of cases) {
      expect(inputs.read(admit(store, admission), () => FLEET)).toMatchObject({ kind: 'skip' });
    }
    expect(inputs.read(admit(store, posted('$d', { fireId: 42 })), () => FLEET)).toBeUndefined();
    expect(store.schedules.getFire('k3x9ab2q@60000')?.eventId).toBeUndefined();
  });
});

function context(overrides: Partial<DispatchContext> = {}): DispatchContext {
  return {
    entities: ENTITIES,
    teams: new Map(),
    botAccounts: new Set(),
    authorization: FLEET.authorization,
    room: { roomId: ROOM, joinedEntities: ROOMS.joinedEntities(ROOM), directEntities: new Set() },
    thread: { rootId: '$fire', senders: new Set([ROUTER]), responders: [], openTurns: [] },
    targetTurns: [],
    replyTurn: undefined,
    nowMs: Date.now(),
    catchUpWindowMs: 60_000,
    ...overrides,
  };
}

function fireInput(overrides: Partial<MessageInput> = {}): MessageInput {
  return {
    kind: 'message',
    eventId: '$fire',
    roomId: ROOM,
    sender: ALICE,
    body: '@calc what is 5+5',
    threadRoot: undefined,
    mentionedUserIds: ['@quorum_calc:hs'],
    originTs: Date.now(),
    isFinal: true,
    isNotice: false,
    ...overrides,
  };
}

describe('decideScheduleFire', () => {
  it('lets the mentioned agent answer for the creator', () => {
    expect(decideScheduleFire(fireInput(), context())).toMatchObject({
      kind: 'respond',
      responders: ['calc'],
      requester: ALICE,
      sourceEventId: '$fire',
      threadRoot: '$fire',
    });
  });

  it('leaves the choice to the router when nobody is mentioned', () => {
    const decision = decideScheduleFire(
      fireInput({ body: 'summarize the day', mentionedUserIds: [] }),
      context(),
    );
    expect(decision).toMatchObject({ kind: 'route', candidates: ['calc', 'writer'] });
  });

  it('judges the creator’s authorization at the due time', () => {
    const decision = decideScheduleFire(fireInput({ sender: '@mallory:hs' }), context());
    expect(decision).toEqual({ kind: 'ignore', reason: 'unauthorized' });
  });

  it('never runs a command and never answers a pending question', () => {
    const notARequest = { kind: 'ignore', reason: 'schedule-not-a-request' };
    expect(decideScheduleFire(fireInput({ body: '!help' }), context())).toEqual(notARequest);
    const running = context({
      thread: {
        rootId: '$fire',
        senders: new Set([ROUTER]),
        responders: ['calc'],
        openTurns: [
          {
            responder: 'calc',
            sourceEventId: '$q',
            requester: ALICE,
            replyEventId: undefined,
            isOpen: true,
          },
        ],
      },
    });
    expect(decideScheduleFire(fireInput({ body: '!stop' }), running)).toEqual(notARequest);
    const asked = context({
      pendingQuestion: { interactionId: 'q1', options: ['@calc what is 5+5'] },
      card: { interactionId: 'c1' },
    });
    expect(decideScheduleFire(fireInput(), asked).kind).toBe('respond');
  });
});

describe('EventPipeline with schedule fires', () => {
  it('decides a posted fire as its creator’s message, and a second copy not at all', async () => {
    const { store, inputs } = setup();
    const decisions: Decision[] = [];
    const pipeline = new EventPipeline({
      journal: store.journal,
      turns: store.turns,
      interactions: store.interactions,
      threadSettings: store.threadSettings,
      rooms: ROOMS,
      fleet: () => FLEET,
      executor: {
        execute: (decision) => {
          decisions.push(decision);
          return Promise.resolve();
        },
      },
      scheduleFires: inputs,
      clock: systemClock,
      log: silentLogger,
      metrics: new QuorumMetrics(),
    });
    pipeline.onAdmitted(
      store.journal.admit('router', undefined, [
        posted('$fire', { fireId: 'k3x9ab2q@60000' }),
        posted('$copy', { fireId: 'k3x9ab2q@60000' }),
      ]),
    );
    await pipeline.idle();
    expect(decisions).toEqual([
      expect.objectContaining({ kind: 'respond', responders: ['calc'], requester: ALICE }),
    ]);
    expect(store.journal.get('$fire')?.decision).toContain('respond');
    expect(store.journal.get('$copy')?.decision).toBe('none');
  });
});
