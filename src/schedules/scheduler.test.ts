import { getEventListeners } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock, flushMicrotasks } from '../../test/support/fake-clock.js';
import { RecordingFireSink } from '../../test/support/recording-fire-sink.js';
import { silentLogger } from '../shared/index.js';
import { QuorumStore, type NewSchedule } from '../storage/index.js';
import { ScheduleDeliveryRefused } from './schedule-fire.js';
import { RUNTIME_TOLERANCE_MS, Scheduler } from './scheduler.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const LIMITS = { perPerson: 10_000, perRoom: 10_000 };

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'quorum-scheduler-'));
  cleanups.push(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  return join(dir, 'quorum.db');
}

interface Harness {
  readonly store: QuorumStore;
  readonly scheduler: Scheduler;
  readonly sink: RecordingFireSink;
  readonly controller: AbortController;
  /** Simulates the process ending: stops the scheduler and closes the database. */
  crash(): Promise<void>;
}

function boot(
  clock: FakeClock,
  options: {
    path?: string;
    sink?: RecordingFireSink;
    catchUpWindowMs?: number;
    mayUse?: (userId: string, roomId: string) => boolean;
    maxConcurrentDeliveries?: number;
  } = {},
): Harness {
  const store = new QuorumStore(options.path ?? ':memory:', () => clock.now());
  const sink = options.sink ?? new RecordingFireSink(clock);
  const scheduler = new Scheduler({
    store: store.schedules,
    sink,
    clock,
    log: silentLogger,
    settings: () => ({ catchUpWindowMs: options.catchUpWindowMs ?? 15 * MINUTE }),
    mayUse: options.mayUse ?? (() => true),
    ...(options.maxConcurrentDeliveries === undefined
      ? {}
      : { maxConcurrentDeliveries: options.maxConcurrentDeliveries }),
  });
  const controller = new AbortController();
  let isClosed = false;
  const crash = async (): Promise<void> => {
    if (isClosed) return;
    isClosed = true;
    controller.abort();
    await scheduler.stop();
    store.close();
  };
  cleanups.push(crash);
  scheduler.start(controller.signal);
  return { store, scheduler, sink, controller, crash };
}

function once(id: string, atMs: number, overrides: Partial<NewSchedule> = {}): NewSchedule {
  return {
    id,
    roomId: '!room:hs',
    threadRoot: '$thread',
    newThread: false,
    createdBy: '@alice:hs',
    timing: { kind: 'once', atMs },
    timezone: 'UTC',
    message: '@calc what is 5+5',
    description: 'once',
    mentions: ['calc'],
    historyLimit: undefined,
    timeStyle: '24h',
    parsedBy: 'rules',
    nextDueAt: atMs,
    ...overrides,
  };
}

function cron(id: string, expression: string, firstDue: number): NewSchedule {
  return once(id, 0, {
    timing: { kind: 'cron', cron: expression },
    description: expression,
    nextDueAt: firstDue,
  });
}

describe('Scheduler', () => {
  it('fires a one-time schedule once at its due time, not before, to its thread', async () => {
    const clock = new FakeClock();
    const { store, scheduler, sink } = boot(clock);
    const due = clock.now() + 20_000;
    store.schedules.insert(once('s1', due), LIMITS);
    scheduler.changed();
    await clock.advance(19_999);
    expect(sink.fireCalls).toEqual([]);
    await clock.advance(1);
    await scheduler.whenIdle();
    expect(sink.fireCalls.map((call) => call.atMs)).toEqual([due]);
    expect(sink.admitted).toMatchObject([
      {
        id: 's1@' + String(due),
        scheduleId: 's1',
        dueAt: due,
        roomId: '!room:hs',
        threadRoot: '$thread',
        requester: '@alice:hs',
        message: '@calc what is 5+5',
        mentions: ['calc'],
        isRecurring: false,
        lateByMs: 0,
        coalesced: 0,
      },
    ]);
    expect(store.schedules.get('s1')).toMatchObject({ state: 'done', fireCount: 1 });
    expect(store.schedules.getFire(`s1@${due}`)?.state).toBe('delivered');
    await clock.advance(HOUR);
    expect(sink.fireCalls).toHaveLength(1);
    expect(scheduler.armedAt).toBeUndefined();
  });

  it('fires a recurring schedule at each due time until it is cancelled', async () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1, 0, 0, 0));
    const { store, scheduler, sink } = boot(clock);
    store.schedules.insert(cron('r1', '*/5 * * * * *', Date.UTC(2026, 0, 1, 0, 0, 5)), LIMITS);
    scheduler.changed();
    await clock.advance(15_000);
    await scheduler.whenIdle();
    expect(sink.admitted.map((fire) => new Date(fire.dueAt).toISOString())).toEqual([
      '2026-01-01T00:00:05.000Z',
      '2026-01-01T00:00:10.000Z',
      '2026-01-01T00:00:15.000Z',
    ]);
    expect(sink.admitted.every((fire) => fire.isRecurring && fire.coalesced === 0)).toBe(true);
    expect(store.schedules.end('r1', 'cancelled', 'test')).toBe(true);
    scheduler.changed();
    await clock.advance(60_000);
    expect(sink.admitted).toHaveLength(3);
    expect(scheduler.armedAt).toBeUndefined();
  });

  it('arms one timer for the earliest of many schedules, and re-arms on edit and cancel', async () => {
    const clock = new FakeClock();
    const { store, scheduler } = boot(clock);
    const t0 = clock.now();
    for (let i = 0; i < 1_000; i++)
      store.schedules.insert(once(`s${i}`, t0 + HOUR + i * 1_000), LIMITS);
    scheduler.changed();
    await flushMicrotasks();
    expect(scheduler.armedAt).toBe(t0 + HOUR);
    expect(clock.pendingSleeps).toBe(1);
    store.schedules.update('s0', {
      timing: { kind: 'once', atMs: t0 + 10_000 },
      nextDueAt: t0 + 10_000,
    });
    scheduler.changed();
    expect(scheduler.armedAt).toBe(t0 + 10_000);
    store.schedules.end('s0', 'cancelled', 'test');
    scheduler.changed();
    expect(scheduler.armedAt).toBe(t0 + HOUR + 1_000);
    await flushMicrotasks();
    expect(clock.pendingSleeps).toBe(1);
  });

  it('fires exactly once when the daemon stops and starts again before the due time', async () => {
    const clock = new FakeClock();
    const path = tempPath();
    const first = boot(clock, { path });
    const due = clock.now() + 20_000;
    first.store.schedules.insert(once('s1', due), LIMITS);
    first.scheduler.changed();
    await clock.advance(8_000);
    await first.crash();
    await clock.advance(4_000); // down for 4 s
    const sink = new RecordingFireSink(clock);
    const second = boot(clock, { path, sink });
    await clock.advance(7_999);
    expect(sink.fireCalls).toEqual([]);
    await clock.advance(1);
    await second.scheduler.whenIdle();
    expect(sink.fireCalls.map((call) => call.atMs)).toEqual([due]);
    await second.crash();
    // A third start finds nothing to do.
    const third = boot(clock, { path, sink });
    await clock.advance(HOUR);
    await third.scheduler.whenIdle();
    expect(sink.fireCalls).toHaveLength(1);
  });

  it('delivers a fire claimed before a crash again under the same id, admitted once', async () => {
    const clock = new FakeClock();
    const path = tempPath();
    const hung = new RecordingFireSink(clock);
    hung.hang = true;
    const first = boot(clock, { path, sink: hung });
    const due = clock.now() + 1_000;
    first.store.schedules.insert(once('s1', due), LIMITS);
    first.scheduler.changed();
    await clock.advance(1_000);
    expect(hung.fireCalls).toHaveLength(1); // claimed and handed over, never acknowledged
    await first.crash();
    const sink = new RecordingFireSink(clock);
    const second = boot(clock, { path, sink });
    await second.scheduler.whenIdle();
    expect(sink.fireCalls.map((call) => call.value.id)).toEqual([`s1@${due}`]);
    expect(second.store.schedules.getFire(`s1@${due}`)?.state).toBe('delivered');
    expect(second.store.schedules.get('s1')?.state).toBe('done');
  });

  it('fires a one-time schedule missed while down once on start, within the catch-up window', async () => {
    const clock = new FakeClock();
    const path = tempPath();
    const first = boot(clock, { path, catchUpWindowMs: 15 * MINUTE });
    const due = clock.now() + MINUTE;
    first.store.schedules.insert(once('s1', due), LIMITS);
    await first.crash();
    await clock.advance(10 * MINUTE); // down across the due time
    const second = boot(clock, { path, catchUpWindowMs: 15 * MINUTE });
    await second.scheduler.whenIdle();
    expect(second.sink.admitted).toMatchObject([{ dueAt: due, lateByMs: 9 * MINUTE }]);
    expect(second.sink.noticeCalls).toEqual([]);
  });

  it('reports a one-time schedule missed beyond the window once, in its thread, and never fires it', async () => {
    const clock = new FakeClock();
    const path = tempPath();
    const first = boot(clock, { path });
    const due = clock.now() + MINUTE;
    first.store.schedules.insert(once('s1', due), LIMITS);
    await first.crash();
    await clock.advance(2 * HOUR);
    const sink = new RecordingFireSink(clock);
    const second = boot(clock, { path, sink, catchUpWindowMs: 15 * MINUTE });
    await second.scheduler.whenIdle();
    expect(sink.fireCalls).toEqual([]);
    expect(sink.noticeCalls).toHaveLength(1);
    expect(sink.noticeCalls[0]?.value).toMatchObject({
      kind: 'missed',
      scheduleId: 's1',
      roomId: '!room:hs',
      threadRoot: '$thread',
    });
    expect(sink.noticeCalls[0]?.value.markdown).toContain('was missed');
    expect(second.store.schedules.get('s1')?.state).toBe('missed');
    await second.crash();
    const third = boot(clock, { path, sink });
    await third.scheduler.whenIdle();
    expect(sink.noticeCalls).toHaveLength(1);
  });

  it('folds the runs of a recurring schedule missed while down into one fire for the latest', async () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1, 0, 0, 0));
    const path = tempPath();
    const first = boot(clock, { path });
    first.store.schedules.insert(cron('r1', '*/5 * * * *', Date.UTC(2026, 0, 1, 0, 5)), LIMITS);
    await first.crash();
    await clock.advance(17 * MINUTE); // 00:05, 00:10 and 00:15 pass while down
    const second = boot(clock, { path });
    await second.scheduler.whenIdle();
    expect(second.sink.admitted).toMatchObject([
      { dueAt: Date.UTC(2026, 0, 1, 0, 15), coalesced: 2, lateByMs: 2 * MINUTE },
    ]);
    expect(second.store.schedules.get('r1')?.nextDueAt).toBe(Date.UTC(2026, 0, 1, 0, 20));
    await clock.advance(3 * MINUTE);
    await second.scheduler.whenIdle();
    expect(second.sink.admitted.map((fire) => fire.dueAt)).toEqual([
      Date.UTC(2026, 0, 1, 0, 15),
      Date.UTC(2026, 0, 1, 0, 20),
    ]);
  });

  it('reports a recurring schedule missed beyond the window once, and keeps it running', async () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1, 0, 0, 0));
    const path = tempPath();
    const first = boot(clock, { path });
    first.store.schedules.insert(cron('r1', '0 9 * * *', Date.UTC(2026, 0, 1, 9)), LIMITS);
    await first.crash();
    await clock.advance(60 * HOUR); // down across three 9:00 runs, the last 03/01 09:00
    const second = boot(clock, { path, catchUpWindowMs: HOUR });
    await second.scheduler.whenIdle();
    expect(second.sink.fireCalls).toEqual([]);
    expect(second.sink.noticeCalls.map((call) => call.value.kind)).toEqual(['missed']);
    expect(second.sink.noticeCalls[0]?.value.markdown).toContain('3 runs');
    expect(second.store.schedules.get('r1')).toMatchObject({
      state: 'active',
      nextDueAt: Date.UTC(2026, 0, 4, 9),
    });
  });

  it('tolerates runtime lateness even with a zero catch-up window', async () => {
    const clock = new FakeClock();
    const { store, scheduler, sink } = boot(clock, { catchUpWindowMs: 0 });
    const due = clock.now() + 1_000;
    store.schedules.insert(once('s1', due), LIMITS);
    scheduler.changed();
    await clock.advance(1_000 + RUNTIME_TOLERANCE_MS / 2); // the timer was late (a stall)
    await scheduler.whenIdle();
    expect(sink.admitted).toHaveLength(1);
  });

  it('cancels with a notice instead of firing when the creator may no longer use the agents', async () => {
    const clock = new FakeClock();
    let isAllowed = true;
    const { store, scheduler, sink } = boot(clock, { mayUse: () => isAllowed });
    store.schedules.insert(cron('r1', '* * * * *', clock.now() + MINUTE), LIMITS);
    scheduler.changed();
    await clock.advance(MINUTE);
    isAllowed = false;
    await clock.advance(MINUTE);
    await scheduler.whenIdle();
    expect(sink.admitted).toHaveLength(1);
    expect(sink.noticeCalls.map((call) => call.value.kind)).toEqual(['revoked']);
    expect(store.schedules.get('r1')?.state).toBe('cancelled');
    await clock.advance(10 * MINUTE);
    expect(sink.admitted).toHaveLength(1);
  });

  it('retries a failed delivery with backoff, then gives up after the catch-up window', async () => {
    const clock = new FakeClock();
    const sink = new RecordingFireSink(clock);
    sink.failures = 2;
    const { store, scheduler } = boot(clock, { sink });
    const due = clock.now() + 1_000;
    store.schedules.insert(once('s1', due), LIMITS);
    scheduler.changed();
    await clock.advance(1_000);
    await clock.advance(10_000);
    await scheduler.whenIdle();
    expect(sink.fireCalls).toHaveLength(3);
    expect(sink.admitted).toHaveLength(1);
    expect(store.schedules.getFire(`s1@${due}`)).toMatchObject({ state: 'delivered', attempts: 3 });

    sink.failures = 1_000;
    const later = clock.now() + 1_000;
    store.schedules.insert(once('s2', later), LIMITS);
    scheduler.changed();
    await clock.advance(20 * MINUTE);
    await scheduler.whenIdle();
    expect(store.schedules.getFire(`s2@${later}`)?.state).toBe('failed');
  });

  it('gives up at once when the sink says delivery can never work', async () => {
    const clock = new FakeClock();
    const sink = new RecordingFireSink(clock);
    sink.fire = (fire) => {
      sink.fireCalls.push({ value: fire, atMs: clock.now() });
      return Promise.reject(new ScheduleDeliveryRefused('Quorum is no longer in that room'));
    };
    const { store, scheduler } = boot(clock, { sink });
    const due = clock.now() + 1_000;
    store.schedules.insert(once('s1', due), LIMITS);
    scheduler.changed();
    await clock.advance(1_000);
    await scheduler.whenIdle();
    expect(sink.fireCalls).toHaveLength(1);
    expect(store.schedules.getFire(`s1@${due}`)).toMatchObject({ state: 'failed', attempts: 1 });
  });

  it('delivers a burst of due schedules with bounded concurrency', async () => {
    const clock = new FakeClock();
    const { store, scheduler, sink } = boot(clock, { maxConcurrentDeliveries: 4 });
    const due = clock.now() + 1_000;
    for (let i = 0; i < 250; i++) store.schedules.insert(once(`s${i}`, due), LIMITS);
    scheduler.changed();
    await clock.advance(1_000);
    await scheduler.whenIdle();
    expect(new Set(sink.admitted.map((fire) => fire.id)).size).toBe(250);
    expect(sink.fireCalls).toHaveLength(250);
  });

  it('removes its listener from the daemon’s signal when stopped', async () => {
    const clock = new FakeClock();
    const { scheduler, controller } = boot(clock);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    await scheduler.stop();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('stops idempotently, leaving an undelivered fire claimed for the next start', async () => {
    const clock = new FakeClock();
    const sink = new RecordingFireSink(clock);
    sink.hang = true;
    const { store, scheduler, crash } = boot(clock, { sink });
    const due = clock.now() + 1_000;
    store.schedules.insert(once('s1', due), LIMITS);
    scheduler.changed();
    await clock.advance(1_000);
    await Promise.all([scheduler.stop(), scheduler.stop()]);
    expect(store.schedules.undelivered().map((fire) => fire.id)).toEqual([`s1@${due}`]);
    scheduler.changed(); // after stop: nothing happens
    await crash();
  });
});
