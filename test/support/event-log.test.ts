import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventLog } from './event-log.js';

describe('EventLog', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('resolves a wait created before the matching item arrives', async () => {
    const log = new EventLog<number>(String);
    const waiting = log.waitFor((n) => n > 1);
    log.push(1);
    log.push(2);
    await expect(waiting).resolves.toBe(2);
    expect(log.pendingWaits).toBe(0);
  });

  it('finds an item recorded before the wait was created', async () => {
    const log = new EventLog<number>(String);
    log.push(7);
    await expect(log.waitFor((n) => n === 7)).resolves.toBe(7);
  });

  it('ignores items recorded before the mark', async () => {
    const log = new EventLog<string>(String);
    log.push('old');
    const waiting = log.waitFor((s) => s.length === 3 || s === 'old', { after: log.mark() });
    log.push('new');
    await expect(waiting).resolves.toBe('new');
  });

  it('resolves a counted wait with the first matches in order', async () => {
    const log = new EventLog<number>(String);
    log.push(2);
    const waiting = log.waitForCount((n) => n % 2 === 0, 3);
    log.push(3);
    log.push(4);
    log.push(6);
    log.push(8);
    await expect(waiting).resolves.toEqual([2, 4, 6]);
  });

  it('rejects a timed-out wait listing what was seen and the context, then forgets it', async () => {
    vi.useFakeTimers();
    const log = new EventLog<string>(
      (s) => `item ${s}`,
      () => 'context line',
    );
    log.push('a');
    const waiting = log.waitFor((s) => s === 'b', { timeoutMs: 500, description: 'item b' });
    const rejected = expect(waiting).rejects.toThrow(
      /timed out after 500 ms waiting for 1 × item b \(matched 0\)\nseen 1 item\(s\):\n {2}item a\ncontext line/,
    );
    await vi.advanceTimersByTimeAsync(500);
    await rejected;
    expect(log.pendingWaits).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('clears the timer of a wait that resolves', async () => {
    vi.useFakeTimers();
    const log = new EventLog<number>(String);
    const waiting = log.waitFor((n) => n === 1, { timeoutMs: 1_000 });
    expect(vi.getTimerCount()).toBe(1);
    log.push(1);
    await waiting;
    expect(vi.getTimerCount()).toBe(0);
  });

  it('lists only the most recent items in a timeout message', async () => {
    vi.useFakeTimers();
    const log = new EventLog<number>((n) => `n=${n}`);
    for (let n = 0; n < 100; n++) log.push(n);
    const waiting = log.waitFor((n) => n < 0, { timeoutMs: 10 });
    const rejected = expect(waiting).rejects.toThrow(
      /seen 100 item\(s\), the last 40:\n {2}n=60\n/,
    );
    await vi.advanceTimersByTimeAsync(10);
    await rejected;
  });

  it('rejects pending and new waits once closed, but still answers satisfied ones', async () => {
    const log = new EventLog<number>(String);
    log.push(1);
    const pending = log.waitFor((n) => n === 2);
    log.close('user closed');
    await expect(pending).rejects.toThrow('user closed');
    await expect(log.waitFor((n) => n === 3)).rejects.toThrow(/cannot wait for .*user closed/);
    await expect(log.waitFor((n) => n === 1)).resolves.toBe(1);
  });
});
