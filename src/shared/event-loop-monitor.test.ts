import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { startEventLoopMonitor } from './event-loop-monitor.js';

describe('startEventLoopMonitor', () => {
  it('observes a blocked event loop as one late timer, and stops on abort', async () => {
    const observed: number[] = [];
    const controller = new AbortController();
    startEventLoopMonitor({ observe: (value) => observed.push(value) }, controller.signal, 5);
    await sleep(30);
    const blockedUntil = Date.now() + 60;
    while (Date.now() < blockedUntil) {
      // Busy: the event loop cannot run the monitor's timer.
    }
    await sleep(20);
    controller.abort();
    const count = observed.length;
    expect(Math.max(...observed)).toBeGreaterThanOrEqual(0.05);
    expect(observed.every((value) => value >= 0)).toBe(true);
    await sleep(30);
    expect(observed.length).toBe(count);
  });
});
