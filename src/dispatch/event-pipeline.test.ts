import { afterEach, describe, expect, it } from 'vitest';
import type { Decision } from '../routing/index.js';
import { QuorumMetrics, silentLogger, systemClock } from '../shared/index.js';
import { QuorumStore, type Admission } from '../storage/index.js';
import type { FleetView, RoomMembership } from './dispatch-ports.js';
import { EventPipeline, type DecisionExecutor, type EventPipelineDeps } from './event-pipeline.js';
import type { GrantRooms } from './dispatch-ports.js';

/** Records decisions; `next()` resolves with the next one (rejects after a second). */
class RecordingExecutor implements DecisionExecutor {
  readonly decisions: Decision[] = [];
  private waiter: ((decision: Decision) => void) | undefined;

  execute(decision: Decision): Promise<void> {
    this.decisions.push(decision);
    this.waiter?.(decision);
    return Promise.resolve();
  }

  next(): Promise<Decision> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error('no decision was executed'));
      }, 1_000);
      this.waiter = (decision) => {
        clearTimeout(timer);
        this.waiter = undefined;
        resolve(decision);
      };
    });
  }
}

const FLEET: FleetView = {
  entities: [],
  teams: new Map(),
  botAccounts: new Set(),
  authorization: {
    globalUsers: new Set(),
    roomPermissions: new Map(),
    defaultRoomAccess: false,
    allowFederation: false,
    serverName: 'hs',
  },
  catchUpWindowMs: 60_000,
  entityOf: () => undefined,
};

/** No entity is in any room. */
const NO_ROOMS: RoomMembership = {
  joinedEntities: () => new Set(),
  directEntities: () => new Set(),
  setJoined: () => undefined,
  markDirect: () => undefined,
};

function message(eventId: string): Admission {
  return {
    roomId: '!room:hs',
    event: {
      event_id: eventId,
      sender: '@alice:hs',
      type: 'm.room.message',
      origin_server_ts: Date.now(),
      content: { msgtype: 'm.text', body: 'hello' },
    },
    threadRoot: undefined,
    relatesTo: undefined,
    relType: undefined,
    isHistory: false,
  };
}

const stores: QuorumStore[] = [];
afterEach(() => {
  for (const store of stores.splice(0)) store.close();
});

function setup(extra: Partial<EventPipelineDeps> = {}) {
  const store = new QuorumStore(':memory:');
  stores.push(store);
  const executor = new RecordingExecutor();
  const pipeline = new EventPipeline({
    ...extra,
    journal: store.journal,
    turns: store.turns,
    interactions: store.interactions,
    threadSettings: store.threadSettings,
    rooms: NO_ROOMS,
    fleet: () => FLEET,
    executor,
    clock: systemClock,
    log: silentLogger,
    metrics: new QuorumMetrics(),
    ...extra,
  });
  return { store, executor, pipeline };
}

describe('EventPipeline', () => {
  it('dispatches events admitted after a boot that had nothing to dispatch', async () => {
    const { store, executor, pipeline } = setup();
    // A quiet restart: nothing arrived during boot and nothing was left undecided.
    pipeline.hold();
    pipeline.release();

    const decided = executor.next();
    pipeline.onAdmitted(store.journal.admit('calc', 's1', [message('$m1')]));
    await decided;
    await pipeline.idle();
    expect(store.journal.get('$m1')?.decision).toBeDefined();
  });

  it('dispatches events that arrived while held once released', async () => {
    const { store, executor, pipeline } = setup();
    pipeline.hold();
    pipeline.onAdmitted(store.journal.admit('calc', 's1', [message('$m1')]));
    expect(executor.decisions).toEqual([]);

    const decided = executor.next();
    pipeline.release();
    await decided;
    await pipeline.idle();
    expect(store.journal.get('$m1')?.decision).toBeDefined();
  });

  it('decides on the journal’s copy: a message deleted while it waited in its lane is skipped', async () => {
    const { store, executor, pipeline } = setup();
    pipeline.hold();
    pipeline.onAdmitted(store.journal.admit('calc', 's1', [message('$m1')]));
    const redaction: Admission = {
      roomId: '!room:hs',
      event: {
        event_id: '$del',
        sender: '@alice:hs',
        type: 'm.room.redaction',
        origin_server_ts: Date.now(),
        content: {},
        redacts: '$m1',
      },
      threadRoot: undefined,
      relatesTo: '$m1',
      relType: 'm.redaction',
      isHistory: false,
    };
    // Admitted, but not handed to the pipeline yet: the lane still holds the old copy.
    store.journal.admit('calc', 's2', [redaction]);
    pipeline.release();
    await pipeline.idle();
    expect(store.journal.get('$m1')?.decision).toBe('ignore:redacted');
    // Only the redaction itself was decided (nothing to stop).
    expect(executor.decisions).toEqual([{ kind: 'ignore', reason: 'nothing-to-stop' }]);
  });

  it('learns grant rooms before deciding and feeds them every membership event', async () => {
    const seen: string[] = [];
    let asked = 0;
    const grantRooms: GrantRooms = {
      members: () => {
        asked += 1;
        return Promise.resolve(new Map());
      },
      snapshot: () => new Map(),
      onMembership: (roomId, userId, membership) => {
        seen.push(`${roomId} ${userId} ${membership}`);
      },
    };
    const { store, pipeline } = setup({ grantRooms });
    pipeline.hold();
    pipeline.release();
    const member: Admission = {
      roomId: '!room:hs',
      event: {
        event_id: '$join',
        sender: '@carol:hs',
        type: 'm.room.member',
        state_key: '@carol:hs',
        origin_server_ts: Date.now(),
        content: { membership: 'join' },
      },
      threadRoot: undefined,
      relatesTo: undefined,
      relType: undefined,
      isHistory: true,
    };
    pipeline.onAdmitted(store.journal.admit('calc', 's1', [member, message('$m1')]));
    await pipeline.idle();
    expect(seen).toEqual(['!room:hs @carol:hs join']);
    expect(asked).toBe(1);
  });
});
