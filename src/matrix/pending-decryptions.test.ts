import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.js';
import { asRoomId } from '../shared/index.js';
import { PendingDecryptions } from './pending-decryptions.js';
import type { RawEvent } from './types.js';

const ROOM = asRoomId('!r:hs');
function held(id: string): RawEvent {
  return {
    event_id: id,
    sender: '@a:hs',
    type: 'm.room.encrypted',
    origin_server_ts: 1,
    content: {},
  };
}

describe('PendingDecryptions', () => {
  it('reports an event once, after the wait, and forgets it after keepFor', async () => {
    const clock = new FakeClock(0);
    const pending = new PendingDecryptions({
      now: () => clock.now(),
      noteAfterMs: 30_000,
      keepForMs: 60_000,
    });
    pending.add(ROOM, held('$a'));
    expect(pending.takeOverdue()).toEqual([]);
    await clock.advance(30_000);
    expect(pending.takeOverdue().map((p) => p.event.event_id)).toEqual(['$a']);
    expect(pending.takeOverdue()).toEqual([]);
    expect(pending.list()).toHaveLength(1);
    await clock.advance(30_001);
    expect(pending.list()).toEqual([]);
  });

  it('keeps a resolved event until the next sync, and retries it after a restart', () => {
    const pending = new PendingDecryptions({ now: () => 0 });
    pending.add(ROOM, held('$a'));
    pending.markResolved('$a');
    expect(pending.list()).toEqual([]);
    const saved = pending.toSaved();
    pending.dropResolved();
    expect(pending.size).toBe(0);

    const restored = new PendingDecryptions({ now: () => 0 });
    restored.restore(saved);
    expect(restored.list().map((p) => p.event.event_id)).toEqual(['$a']);
    expect(restored.takeRetryRequest()).toBe(true);
    expect(restored.takeRetryRequest()).toBe(false);
  });

  it('is bounded, dropping the oldest, and skips malformed saved entries', () => {
    const pending = new PendingDecryptions({ now: () => 0, maxEvents: 2 });
    for (const id of ['$1', '$2', '$3']) pending.add(ROOM, held(id));
    expect(pending.list().map((p) => p.event.event_id)).toEqual(['$2', '$3']);
    const restored = new PendingDecryptions({ now: () => 0 });
    restored.restore([{ nonsense: true }, 'x', { roomId: 'bad', since: 0, event: held('$x') }]);
    expect(restored.size).toBe(0);
  });
});
