import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { NewSchedule } from './schedule-records.js';
import { QuorumStore } from './store.js';

const stores: QuorumStore[] = [];
const dirs: string[] = [];
let clockMs = 1_000;
function open(path = ':memory:'): QuorumStore {
  const store = new QuorumStore(path, () => clockMs);
  stores.push(store);
  return store;
}
function tempPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'quorum-schedules-'));
  dirs.push(dir);
  return join(dir, 'quorum.db');
}
afterEach(() => {
  clockMs = 1_000;
  for (const store of stores.splice(0)) store.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const LIMITS = { perPerson: 10, perRoom: 20 };

function schedule(overrides: Partial<NewSchedule> = {}): NewSchedule {
  return {
    id: 'abc123',
    roomId: '!room:hs',
    threadRoot: '$thread',
    newThread: false,
    createdBy: '@alice:hs',
    timing: { kind: 'once', atMs: 60_000 },
    timezone: 'Europe/Berlin',
    message: '@calc what is 5+5',
    description: 'once',
    mentions: ['calc'],
    historyLimit: undefined,
    timeStyle: '24h',
    parsedBy: 'rules',
    nextDueAt: 60_000,
    ...overrides,
  };
}

describe('ScheduleStore', () => {
  it('stores a schedule active with its timing, mentions and thread', () => {
    const { schedules } = open();
    const outcome = schedules.insert(schedule({ historyLimit: 5 }), LIMITS);
    expect(outcome.kind).toBe('created');
    expect(schedules.get('abc123')).toMatchObject({
      roomId: '!room:hs',
      threadRoot: '$thread',
      timing: { kind: 'once', atMs: 60_000 },
      mentions: ['calc'],
      historyLimit: 5,
      state: 'active',
      nextDueAt: 60_000,
      fireCount: 0,
      createdAt: 1_000,
    });
    expect(schedules.earliestDue()).toBe(60_000);
  });

  it('refuses a schedule beyond the per-person or per-room limit, and a taken id', () => {
    const { schedules } = open();
    const limits = { perPerson: 2, perRoom: 3 };
    expect(schedules.insert(schedule({ id: 'a1' }), limits).kind).toBe('created');
    expect(schedules.insert(schedule({ id: 'a2' }), limits).kind).toBe('created');
    expect(schedules.insert(schedule({ id: 'a3' }), limits)).toEqual({
      kind: 'limit',
      scope: 'person',
      limit: 2,
    });
    expect(schedules.insert(schedule({ id: 'b1', createdBy: '@bob:hs' }), limits).kind).toBe(
      'created',
    );
    expect(schedules.insert(schedule({ id: 'b2', createdBy: '@bob:hs' }), limits)).toEqual({
      kind: 'limit',
      scope: 'room',
      limit: 3,
    });
    // Ended schedules do not count.
    expect(schedules.end('a1', 'cancelled', 'test')).toBe(true);
    expect(schedules.insert(schedule({ id: 'a1' }), limits)).toEqual({ kind: 'duplicate_id' });
    expect(schedules.insert(schedule({ id: 'a4' }), limits).kind).toBe('created');
  });

  it('claims each (schedule, due time) once and advances the schedule in the same step', () => {
    const { schedules } = open();
    schedules.insert(
      schedule({ timing: { kind: 'cron', cron: '*/5 * * * *' }, nextDueAt: 300_000 }),
      LIMITS,
    );
    const claim = {
      scheduleId: 'abc123',
      expectedNextDueAt: 300_000,
      dueAt: 300_000,
      kind: 'fire' as const,
      payload: { message: 'hello' },
      advance: { state: 'active' as const, nextDueAt: 600_000 },
    };
    expect(schedules.claim(claim)).toBe('claimed');
    expect(schedules.get('abc123')).toMatchObject({
      nextDueAt: 600_000,
      lastDueAt: 300_000,
      fireCount: 1,
    });
    // The same claim again is stale: the schedule moved on.
    expect(schedules.claim(claim)).toBe('stale');
    expect(schedules.undelivered()).toMatchObject([
      { id: 'abc123@300000', dueAt: 300_000, state: 'claimed', payload: { message: 'hello' } },
    ]);
    expect(schedules.markDelivered('abc123@300000')).toBe(true);
    expect(schedules.markDelivered('abc123@300000')).toBe(false);
    expect(schedules.undelivered()).toEqual([]);
  });

  it('reports a duplicate when a due time was claimed before, and still advances', () => {
    const { schedules } = open();
    schedules.insert(
      schedule({ timing: { kind: 'cron', cron: '* * * * *' }, nextDueAt: 60_000 }),
      LIMITS,
    );
    const base = { scheduleId: 'abc123', dueAt: 60_000, kind: 'fire' as const, payload: {} };
    schedules.claim({
      ...base,
      expectedNextDueAt: 60_000,
      advance: { state: 'active', nextDueAt: 60_000 },
    });
    expect(
      schedules.claim({
        ...base,
        expectedNextDueAt: 60_000,
        advance: { state: 'active', nextDueAt: 120_000 },
      }),
    ).toBe('duplicate');
    expect(schedules.get('abc123')).toMatchObject({ nextDueAt: 120_000, fireCount: 1 });
    expect(schedules.firesOf('abc123')).toHaveLength(1);
  });

  it('ends a one-time schedule with its claim, and refuses a claim on an edited schedule', () => {
    const { schedules } = open();
    schedules.insert(schedule(), LIMITS);
    schedules.update('abc123', { timing: { kind: 'once', atMs: 90_000 }, nextDueAt: 90_000 });
    const claim = {
      scheduleId: 'abc123',
      dueAt: 60_000,
      kind: 'fire' as const,
      payload: {},
      advance: { state: 'done' as const, reason: 'fired' },
    };
    expect(schedules.claim({ ...claim, expectedNextDueAt: 60_000 })).toBe('stale');
    expect(schedules.claim({ ...claim, dueAt: 90_000, expectedNextDueAt: 90_000 })).toBe('claimed');
    expect(schedules.get('abc123')).toMatchObject({
      state: 'done',
      nextDueAt: undefined,
      endReason: 'fired',
    });
    expect(schedules.earliestDue()).toBeUndefined();
  });

  it('updates only the given fields, and clears the history limit when asked', () => {
    const { schedules } = open();
    schedules.insert(schedule({ historyLimit: 3 }), LIMITS);
    const updated = schedules.update('abc123', { message: 'new text' });
    expect(updated).toMatchObject({ message: 'new text', historyLimit: 3, mentions: ['calc'] });
    expect(schedules.update('abc123', { historyLimit: undefined })?.historyLimit).toBeUndefined();
    schedules.end('abc123', 'cancelled', 'by @alice:hs');
    expect(schedules.update('abc123', { message: 'x' })).toBeUndefined();
  });

  it('cancels all of a room, or only one creator’s', () => {
    const { schedules } = open();
    schedules.insert(schedule({ id: 'a1' }), LIMITS);
    schedules.insert(schedule({ id: 'b1', createdBy: '@bob:hs', nextDueAt: 30_000 }), LIMITS);
    schedules.insert(schedule({ id: 'c1', roomId: '!other:hs' }), LIMITS);
    expect(schedules.cancelAllInRoom('!room:hs', '@bob:hs', 'x')).toEqual(['b1']);
    expect(schedules.cancelAllInRoom('!room:hs', undefined, 'x')).toEqual(['a1']);
    expect(schedules.listActive('!room:hs')).toEqual([]);
    expect(schedules.listActive('!other:hs').map((s) => s.id)).toEqual(['c1']);
  });

  it('lists due schedules in due order', () => {
    const { schedules } = open();
    schedules.insert(schedule({ id: 'late', nextDueAt: 50 }), LIMITS);
    schedules.insert(schedule({ id: 'early', nextDueAt: 10 }), LIMITS);
    schedules.insert(schedule({ id: 'future', nextDueAt: 5_000 }), LIMITS);
    expect(schedules.due(100, 10).map((s) => s.id)).toEqual(['early', 'late']);
    expect(schedules.due(100, 1).map((s) => s.id)).toEqual(['early']);
  });

  it('keeps claims across a reopen of the database file', () => {
    const path = tempPath();
    const first = open(path);
    first.schedules.insert(schedule(), LIMITS);
    first.schedules.claim({
      scheduleId: 'abc123',
      expectedNextDueAt: 60_000,
      dueAt: 60_000,
      kind: 'fire',
      payload: { n: 1 },
      advance: { state: 'done', reason: 'fired' },
    });
    first.close();
    const second = open(path);
    expect(second.schedules.undelivered().map((f) => f.id)).toEqual(['abc123@60000']);
    expect(second.schedules.get('abc123')?.state).toBe('done');
  });

  it('prunes old ended schedules and settled fires, never an undelivered one', () => {
    const { schedules } = open();
    schedules.insert(schedule({ id: 'a1' }), LIMITS);
    schedules.insert(schedule({ id: 'a2' }), LIMITS);
    for (const id of ['a1', 'a2']) {
      schedules.claim({
        scheduleId: id,
        expectedNextDueAt: 60_000,
        dueAt: 60_000,
        kind: 'fire',
        payload: {},
        advance: { state: 'done', reason: 'fired' },
      });
    }
    schedules.markDelivered('a1@60000');
    clockMs = 10_000_000;
    expect(schedules.prune(5_000_000)).toEqual({ schedules: 1, fires: 1 });
    expect(schedules.get('a1')).toBeUndefined();
    expect(schedules.get('a2')).toBeDefined();
    expect(schedules.undelivered().map((f) => f.id)).toEqual(['a2@60000']);
  });

  it('counts failed attempts and gives up on request', () => {
    const { schedules } = open();
    schedules.insert(schedule(), LIMITS);
    schedules.claim({
      scheduleId: 'abc123',
      expectedNextDueAt: 60_000,
      dueAt: 60_000,
      kind: 'fire',
      payload: {},
      advance: { state: 'done', reason: 'fired' },
    });
    schedules.recordAttempt('abc123@60000', 'homeserver down');
    expect(schedules.getFire('abc123@60000')).toMatchObject({
      attempts: 1,
      lastError: 'homeserver down',
      state: 'claimed',
    });
    expect(schedules.markFailed('abc123@60000', 'gave up')).toBe(true);
    expect(schedules.undelivered()).toEqual([]);
  });

  it('binds a fire to the first event posted for it, and to no other', () => {
    const { schedules } = open();
    schedules.insert(schedule(), LIMITS);
    schedules.insert(schedule({ id: 'other1', createdBy: '@bob:hs' }), LIMITS);
    for (const id of ['abc123', 'other1']) {
      schedules.claim({
        scheduleId: id,
        expectedNextDueAt: 60_000,
        dueAt: 60_000,
        kind: 'fire',
        payload: {},
        advance: { state: 'done', reason: 'fired' },
      });
    }
    expect(schedules.bindFireEvent('abc123@60000', '$posted')).toBe('bound');
    expect(schedules.bindFireEvent('abc123@60000', '$posted')).toBe('same');
    expect(schedules.bindFireEvent('abc123@60000', '$again')).toBe('other');
    // One event never stands for two fires.
    expect(schedules.bindFireEvent('other1@60000', '$posted')).toBe('other');
    expect(schedules.bindFireEvent('nope@1', '$x')).toBe('unknown');
    expect(schedules.fireByEvent('$posted')).toMatchObject({ id: 'abc123@60000' });
    expect(schedules.getFire('abc123@60000')?.eventId).toBe('$posted');
    expect(schedules.fireByEvent('$again')).toBeUndefined();
  });

  it('binds only fires, never a notice', () => {
    const { schedules } = open();
    schedules.insert(schedule(), LIMITS);
    schedules.claim({
      scheduleId: 'abc123',
      expectedNextDueAt: 60_000,
      dueAt: 60_000,
      kind: 'missed',
      payload: {},
      advance: { state: 'missed', reason: 'offline' },
    });
    expect(schedules.bindFireEvent('abc123@60000', '$posted')).toBe('unknown');
  });
});
