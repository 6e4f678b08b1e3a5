import { afterEach, describe, expect, it } from 'vitest';
import type { Decision } from '../routing/index.js';
import { QuorumMetrics, silentLogger, systemClock } from '../shared/index.js';
import { QuorumStore, type Admission } from '../storage/index.js';
import type { FleetView, RoomMembership } from './dispatch-ports.js';
import { EventPipeline, type DecisionExecutor } from './event-pipeline.js';

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

function setup() {
  const store = new QuorumStore(':memory:');
  stores.push(store);
  const executor = new RecordingExecutor();
  const pipeline = new EventPipeline({
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
});
