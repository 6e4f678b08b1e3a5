import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.js';
import { AbortReason, abortKindOf } from './abort.js';
import { startDeadline } from './deadline.js';

describe('startDeadline', () => {
  it('aborts with a timeout reason once the time passes', async () => {
    const clock = new FakeClock();
    const deadline = startDeadline(undefined, 1_000, clock);
    await clock.advance(999);
    expect(deadline.signal.aborted).toBe(false);
    await clock.advance(1);
    expect(deadline.signal.aborted).toBe(true);
    expect(abortKindOf(deadline.signal)).toBe('timeout');
    expect(deadline.hasExpired).toBe(true);
    deadline.cleanup();
  });

  it('passes the parent abort through without calling it a timeout', () => {
    const clock = new FakeClock();
    const parent = new AbortController();
    const deadline = startDeadline(parent.signal, 1_000, clock);
    parent.abort(new AbortReason('stopped'));
    expect(abortKindOf(deadline.signal)).toBe('stopped');
    expect(deadline.hasExpired).toBe(false);
    deadline.cleanup();
  });

  it('leaves no timer and no parent listener behind after cleanup', async () => {
    const clock = new FakeClock();
    const parent = new AbortController();
    let listeners = 0;
    const add = parent.signal.addEventListener.bind(parent.signal);
    const remove = parent.signal.removeEventListener.bind(parent.signal);
    parent.signal.addEventListener = (...args: Parameters<typeof add>) => {
      listeners++;
      add(...args);
    };
    parent.signal.removeEventListener = (...args: Parameters<typeof remove>) => {
      listeners--;
      remove(...args);
    };
    const deadline = startDeadline(parent.signal, 1_000, clock);
    expect(clock.pendingSleeps).toBe(1);
    deadline.cleanup();
    await clock.advance(0);
    expect(clock.pendingSleeps).toBe(0);
    expect(listeners).toBe(0);
    await clock.advance(5_000);
    expect(deadline.signal.aborted).toBe(false);
  });
});
