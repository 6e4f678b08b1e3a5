/**
 * Issue 15: what schedules cost, on the real clock and a real SQLite file (durable writes).
 *
 * - fire delay: 100 one-shot schedules made through the ScheduleService ("in 1.234 seconds
 *   @calc …", due 1–4 s ahead), fired by the Scheduler; the delay is the time from each due
 *   time to the sink receiving its fire (p50/p95; goal p95 < 1 s);
 * - idle CPU: process.cpuUsage over a window with 1,000 pending schedules (one-time and
 *   recurring, none due in the window) against an idle baseline window in the same run, and
 *   how often the timer woke up (one timer, no polling).
 *
 *   npx tsx bench/schedule.ts [windowSeconds=10]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ScheduleService,
  Scheduler,
  type ScheduleFire,
  type ScheduleFireSink,
} from '../src/schedules/index.js';
import { silentLogger, systemClock, type Clock } from '../src/shared/index.js';
import { QuorumStore } from '../src/storage/index.js';
import { machineContext } from './support/machine.js';
import { round, summarize } from './support/stats.js';

const WINDOW_MS = Number(process.argv[2] ?? 10) * 1_000;
const ONE_SHOTS = 100;
const PENDING = 1_000;
const GOAL_P95_MS = 1_000;

/** The system clock, counting the sleeps the scheduler asks for (its timer wake-ups). */
class CountingClock implements Clock {
  sleeps = 0;
  now(): number {
    return systemClock.now();
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps += 1;
    return systemClock.sleep(ms, signal);
  }
}

/** Records when each fire arrived, in fractional epoch ms. */
class TimingSink implements ScheduleFireSink {
  readonly arrivals: { fire: ScheduleFire; atMs: number }[] = [];
  fire(fire: ScheduleFire): Promise<void> {
    this.arrivals.push({ fire, atMs: performance.timeOrigin + performance.now() });
    return Promise.resolve();
  }
  notify(): Promise<void> {
    return Promise.resolve();
  }
}

function serviceFor(store: QuorumStore, clock: Clock, scheduler: Scheduler): ScheduleService {
  return new ScheduleService({
    store: store.schedules,
    clock,
    log: silentLogger,
    settings: () => ({
      timezone: 'UTC',
      maxPerPerson: 10_000,
      maxPerRoom: 10_000,
      minIntervalMs: 60_000,
      maxHorizonMs: 731 * 86_400_000,
    }),
    mayUse: () => true,
    isAdmin: () => false,
    entities: () => [
      { name: 'calc', userId: '@quorum_calc:bench', displayName: 'Calc', isInRoom: true },
    ],
    interpreter: undefined,
    onChange: () => {
      scheduler.changed();
    },
    lifetime: new AbortController().signal,
  });
}

function cpuMsOver(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1_000;
}

async function measureCpu(windowMs: number): Promise<number> {
  const before = process.cpuUsage();
  await sleep(windowMs);
  return cpuMsOver(process.cpuUsage(before));
}

const dir = mkdtempSync(join(tmpdir(), 'quorum-bench-schedule-'));
const machineAtStart = machineContext();
const startedAt = performance.now();
try {
  // Fire delay: 100 one-shot schedules through the service and the scheduler.
  const fireStore = new QuorumStore(join(dir, 'fires.db'));
  const fireClock = new CountingClock();
  const sink = new TimingSink();
  const fireScheduler = new Scheduler({
    store: fireStore.schedules,
    sink,
    clock: fireClock,
    log: silentLogger,
    settings: () => ({ catchUpWindowMs: 15 * 60_000 }),
    mayUse: () => true,
  });
  const lifetime = new AbortController();
  fireScheduler.start(lifetime.signal);
  const service = serviceFor(fireStore, fireClock, fireScheduler);
  const scope = { roomId: '!bench:bench', threadRoot: '$thread', requester: '@bench:bench' };
  for (let i = 0; i < ONE_SHOTS; i++) {
    const seconds = (1 + Math.random() * 3).toFixed(3);
    const reply = await service.schedule(`in ${seconds} seconds @calc ping ${i}`, scope);
    if (!reply.ok) throw new Error(`could not schedule: ${reply.markdown}`);
  }
  while (sink.arrivals.length < ONE_SHOTS) await sleep(50);
  await fireScheduler.whenIdle();
  await fireScheduler.stop();
  const delays = sink.arrivals.map((arrival) => arrival.atMs - arrival.fire.dueAt);
  const once = new Set(sink.arrivals.map((arrival) => arrival.fire.id)).size === ONE_SHOTS;
  fireStore.close();

  // Idle CPU: a baseline window, then the same window with 1,000 pending schedules.
  const idleStore = new QuorumStore(join(dir, 'idle.db'));
  await sleep(500);
  const baselineCpuMs = await measureCpu(WINDOW_MS);
  const idleClock = new CountingClock();
  const idleScheduler = new Scheduler({
    store: idleStore.schedules,
    sink: new TimingSink(),
    clock: idleClock,
    log: silentLogger,
    settings: () => ({ catchUpWindowMs: 15 * 60_000 }),
    mayUse: () => true,
  });
  const idleLifetime = new AbortController();
  idleScheduler.start(idleLifetime.signal);
  const idleService = serviceFor(idleStore, idleClock, idleScheduler);
  const createStarted = performance.now();
  for (let i = 0; i < PENDING; i++) {
    const request =
      i % 2 === 0
        ? `in ${2 + (i % 300)} days @calc reminder ${i}`
        : `every day at ${String(i % 24).padStart(2, '0')}:${String(i % 60).padStart(2, '0')} @calc report ${i}`;
    const reply = await idleService.schedule(request, {
      ...scope,
      requester: `@user${i % 50}:bench`,
    });
    if (!reply.ok) throw new Error(`could not schedule: ${reply.markdown}`);
  }
  const createMs = performance.now() - createStarted;
  await sleep(500);
  const pending = idleStore.schedules.countActive({});
  const sleepsBefore = idleClock.sleeps;
  const pendingCpuMs = await measureCpu(WINDOW_MS);
  const wakeups = idleClock.sleeps - sleepsBefore;
  idleLifetime.abort();
  await idleScheduler.stop();
  idleStore.close();

  const summary = summarize(delays);
  const pct = (cpuMs: number): number => round((cpuMs / WINDOW_MS) * 100, 3);
  process.stdout.write(
    `${JSON.stringify({
      benchmark: 'schedule',
      fire_delay: {
        ...summary,
        goal_p95_ms: GOAL_P95_MS,
        meets_goal: summary.p95_ms < GOAL_P95_MS,
        each_fired_once: once,
      },
      idle_cpu: {
        window_ms: WINDOW_MS,
        pending_schedules: pending,
        baseline_cpu_ms: round(baselineCpuMs),
        pending_cpu_ms: round(pendingCpuMs),
        extra_cpu_ms: round(pendingCpuMs - baselineCpuMs),
        baseline_core_pct: pct(baselineCpuMs),
        pending_core_pct: pct(pendingCpuMs),
        timer_wakeups_in_window: wakeups,
      },
      create_1000_ms: round(createMs),
      machine: { ...machineAtStart, loadavg_at_end: machineContext().loadavg },
      duration_s: round((performance.now() - startedAt) / 1_000),
    })}\n`,
  );
} catch (error: unknown) {
  process.stderr.write(
    `[schedule] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
