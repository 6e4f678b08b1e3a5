import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.js';
import { RouterDecisionCache } from './router-decision-cache.js';

describe('RouterDecisionCache', () => {
  it('returns a decision for the same room and thread until it is 60 s old', async () => {
    const clock = new FakeClock();
    const cache = new RouterDecisionCache({ clock });
    cache.set('!r', '$t', { name: 'calc', reason: 'maths' });
    await clock.advance(59_999);
    expect(cache.get('!r', '$t')).toEqual({ name: 'calc', reason: 'maths' });
    await clock.advance(1);
    expect(cache.get('!r', '$t')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('keeps rooms and threads apart', () => {
    const cache = new RouterDecisionCache({ clock: new FakeClock() });
    cache.set('!r', '$t', { name: 'calc', reason: '' });
    expect(cache.get('!r', '$other')).toBeUndefined();
    expect(cache.get('!other', '$t')).toBeUndefined();
  });

  it('restarts the TTL when a decision is replaced', async () => {
    const clock = new FakeClock();
    const cache = new RouterDecisionCache({ clock, ttlMs: 1_000 });
    cache.set('!r', '$t', { name: 'calc', reason: '' });
    await clock.advance(800);
    cache.set('!r', '$t', { name: 'scribe', reason: '' });
    await clock.advance(800);
    expect(cache.get('!r', '$t')?.name).toBe('scribe');
  });

  it('drops the oldest entry when full, and expired entries when storing', async () => {
    const clock = new FakeClock();
    const cache = new RouterDecisionCache({ clock, ttlMs: 1_000, maxEntries: 2 });
    cache.set('!r', '$1', { name: 'a', reason: '' });
    cache.set('!r', '$2', { name: 'b', reason: '' });
    cache.set('!r', '$3', { name: 'c', reason: '' });
    expect(cache.get('!r', '$1')).toBeUndefined();
    expect(cache.size).toBe(2);
    await clock.advance(1_000);
    cache.set('!r', '$4', { name: 'd', reason: '' });
    expect(cache.size).toBe(1);
  });

  it('forgets on delete and clear', () => {
    const cache = new RouterDecisionCache({ clock: new FakeClock() });
    cache.set('!r', '$1', { name: 'a', reason: '' });
    cache.set('!r', '$2', { name: 'b', reason: '' });
    cache.delete('!r', '$1');
    expect(cache.get('!r', '$1')).toBeUndefined();
    cache.clear();
    expect(cache.size).toBe(0);
  });
});
