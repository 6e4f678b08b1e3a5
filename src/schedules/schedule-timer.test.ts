import { describe, expect, it } from 'vitest';
import { FakeClock, flushMicrotasks } from '../../test/support/fake-clock.js';
import { silentLogger, type Clock } from '../shared/index.js';
import { DEFAULT_MAX_SLEEP_MS, MAX_TIMER_DELAY_MS, ScheduleTimer } from './schedule-timer.js';

/** A FakeClock that records every sleep it was asked for. */
class RecordingClock implements Clock {
  readonly sleeps: number[] = [];
  constructor(readonly inner = new FakeClock()) {}
  now(): number {
    return this.inner.now();
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    return this.inner.sleep(ms, signal);
  }
}

function timer(clock: Clock, maxSleepMs?: number): { timer: ScheduleTimer; fired: number[] } {
  const fired: number[] = [];
  const t = new ScheduleTimer({
    clock,
    log: silentLogger,
    onDue: () => fired.push(clock.now()),
    ...(maxSleepMs === undefined ? {} : { maxSleepMs }),
  });
  return { timer: t, fired };
}

describe('ScheduleTimer', () => {
  it('fires once at the armed time, not before', async () => {
    const clock = new FakeClock();
    const { timer: t, fired } = timer(clock);
    const start = clock.now();
    t.arm(start + 20_000);
    await flushMicrotasks();
    expect(clock.pendingSleeps).toBe(1);
    await clock.advance(19_999);
    expect(fired).toEqual([]);
    await clock.advance(1);
    expect(fired).toEqual([start + 20_000]);
    await clock.advance(60_000);
    expect(fired).toHaveLength(1);
    expect(t.armedAt).toBeUndefined();
  });

  it('keeps one sleeping timer however often it is re-armed', async () => {
    const clock = new FakeClock();
    const { timer: t, fired } = timer(clock);
    const start = clock.now();
    for (let i = 0; i < 1_000; i++) t.arm(start + 100_000 + i);
    await flushMicrotasks();
    expect(clock.pendingSleeps).toBe(1);
    t.arm(start + 5_000);
    await clock.advance(5_000);
    expect(fired).toEqual([start + 5_000]);
  });

  it('re-arms earlier and later, and firing follows the last arm', async () => {
    const clock = new FakeClock();
    const { timer: t, fired } = timer(clock);
    const start = clock.now();
    t.arm(start + 10_000);
    t.arm(start + 30_000); // edited later
    await clock.advance(10_000);
    expect(fired).toEqual([]);
    t.arm(start + 15_000); // edited earlier
    await clock.advance(5_000);
    expect(fired).toEqual([start + 15_000]);
  });

  it('disarms on undefined (cancel) and after stop', async () => {
    const clock = new FakeClock();
    const { timer: t, fired } = timer(clock);
    t.arm(clock.now() + 1_000);
    t.arm(undefined);
    await clock.advance(2_000);
    expect(fired).toEqual([]);
    t.arm(clock.now() + 1_000);
    t.stop();
    t.arm(clock.now() + 500);
    await clock.advance(2_000);
    expect(fired).toEqual([]);
    expect(clock.pendingSleeps).toBe(0);
  });

  it('fires on the next tick for a time already past, never inside arm()', async () => {
    const clock = new FakeClock();
    const { timer: t, fired } = timer(clock);
    t.arm(clock.now() - 5_000);
    expect(fired).toEqual([]);
    await flushMicrotasks();
    expect(fired).toHaveLength(1);
  });

  it('sleeps in steps no longer than the limit, re-reading the clock, for a due time weeks away', async () => {
    const clock = new RecordingClock();
    const { timer: t, fired } = timer(clock);
    const dueAt = clock.now() + 40 * 86_400_000; // beyond setTimeout's 24.8-day limit
    t.arm(dueAt);
    await flushMicrotasks();
    await clock.inner.advance(40 * 86_400_000);
    expect(fired).toEqual([dueAt]);
    expect(Math.max(...clock.sleeps)).toBeLessThanOrEqual(DEFAULT_MAX_SLEEP_MS);
    expect(clock.sleeps.reduce((a, b) => a + b, 0)).toBe(40 * 86_400_000);
  });

  it('clamps a configured step below the setTimeout limit', async () => {
    const clock = new RecordingClock();
    const { timer: t, fired } = timer(clock, 10 * MAX_TIMER_DELAY_MS);
    const dueAt = clock.now() + 3 * MAX_TIMER_DELAY_MS;
    t.arm(dueAt);
    await flushMicrotasks();
    await clock.inner.advance(3 * MAX_TIMER_DELAY_MS);
    expect(fired).toEqual([dueAt]);
    expect(clock.sleeps.every((ms) => ms <= MAX_TIMER_DELAY_MS)).toBe(true);
    expect(clock.sleeps).toHaveLength(3);
  });

  it('fires late but once when the wall clock jumps past the due time during a sleep', async () => {
    const clock = new FakeClock();
    const { timer: t, fired } = timer(clock);
    const dueAt = clock.now() + 3_600_000;
    t.arm(dueAt);
    // A suspend: the wall clock moves 2 hours, the sleep wakes at its next step.
    await clock.advance(7_200_000);
    expect(fired).toHaveLength(1);
  });
});
