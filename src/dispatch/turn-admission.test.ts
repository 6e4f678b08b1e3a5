import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.js';
import { QuorumMetrics } from '../shared/index.js';
import { TurnAdmission, type AdmittedTurn, type TurnLimits } from './turn-admission.js';

const LIMITS: TurnLimits = {
  turnsPerUser: 2,
  turnsPerRoom: 3,
  queuedPerRoom: 2,
  requestsPerMinute: 3,
};

function turn(n: number, requester = '@alice:hs', roomId = '!a:hs'): AdmittedTurn {
  return { responder: 'calc', sourceEventId: `$${n}`, requester, roomId };
}

function setup(limits: Partial<TurnLimits> = {}) {
  const clock = new FakeClock();
  const metrics = new QuorumMetrics();
  const admission = new TurnAdmission({
    limits: () => ({ ...LIMITS, ...limits }),
    now: () => clock.now(),
    metrics,
  });
  const started: string[] = [];
  const admit = (entry: AdmittedTurn, canStart = true) =>
    admission.admit(entry, () => {
      if (canStart) started.push(entry.sourceEventId);
      return canStart;
    });
  return { clock, admission, started, admit, metrics };
}

describe('TurnAdmission', () => {
  it('caps one person, queues the rest and starts them in order as turns end', () => {
    const { admission, started, admit } = setup();
    expect(admit(turn(1))).toEqual({ kind: 'started' });
    expect(admit(turn(2))).toEqual({ kind: 'started' });
    expect(admit(turn(3))).toEqual({ kind: 'queued', ahead: 0 });
    expect(admit(turn(4))).toEqual({ kind: 'queued', ahead: 1 });
    expect(admit(turn(5))).toEqual({ kind: 'refused' });
    admission.finished(turn(1));
    expect(started).toEqual(['$1', '$2', '$3']);
    expect(admission.queueLength('!a:hs')).toBe(1);
  });

  it("does not hold another person's request behind one person's backlog", () => {
    const { admission, started, admit } = setup({ turnsPerRoom: 3 });
    admit(turn(1));
    admit(turn(2));
    admit(turn(3)); // Alice is at her cap: queued.
    expect(admit(turn(4, '@bob:hs'))).toEqual({ kind: 'started' });
    expect(started).toEqual(['$1', '$2', '$4']);
    admission.finished(turn(4, '@bob:hs'));
    // Bob's slot frees the room, but Alice is still at her own cap.
    expect(started).toEqual(['$1', '$2', '$4']);
    admission.finished(turn(2));
    expect(started).toEqual(['$1', '$2', '$4', '$3']);
  });

  it('caps a room across people', () => {
    const { admit } = setup({ turnsPerUser: 5, turnsPerRoom: 2 });
    admit(turn(1, '@a:hs'));
    admit(turn(2, '@b:hs'));
    expect(admit(turn(3, '@c:hs'))).toEqual({ kind: 'queued', ahead: 0 });
    expect(admit(turn(4, '@c:hs', '!other:hs'))).toEqual({ kind: 'started' });
  });

  it('takes no slot for a turn that could not start', () => {
    const { admission, admit } = setup({ turnsPerUser: 1 });
    admit(turn(1), false);
    expect(admission.runningCount).toBe(0);
    expect(admit(turn(2))).toEqual({ kind: 'started' });
  });

  it('limits requests per minute per person, refilling over time, notifying once a minute', async () => {
    const { admission, clock } = setup({ requestsPerMinute: 3 });
    expect([1, 2, 3].map(() => admission.request('@alice:hs').kind)).toEqual([
      'allowed',
      'allowed',
      'allowed',
    ]);
    expect(admission.request('@alice:hs')).toEqual({
      kind: 'limited',
      retryAfterMs: 20_000,
      shouldNotify: true,
    });
    expect(admission.request('@alice:hs')).toMatchObject({ kind: 'limited', shouldNotify: false });
    expect(admission.request('@bob:hs').kind).toBe('allowed');
    await clock.advance(20_000);
    expect(admission.request('@alice:hs').kind).toBe('allowed');
  });

  it('shows running and queued turns per room in /metrics, and counts admissions', () => {
    const { admission, admit, metrics } = setup();
    const room = { room: '!a:hs' };
    for (const n of [1, 2, 3, 4, 5]) admit(turn(n));
    expect(metrics.registry.value('quorum_turns_running', room)).toBe(2);
    expect(metrics.registry.value('quorum_turns_queued', room)).toBe(2);
    expect(metrics.registry.value('quorum_turn_admissions_total', { outcome: 'refused' })).toBe(1);
    for (const n of [1, 2, 3, 4]) admission.finished(turn(n));
    expect(metrics.registry.render()).not.toContain('quorum_turns_running{');
    expect(metrics.registry.render()).not.toContain('quorum_turns_queued{');
    expect(metrics.registry.value('quorum_turn_admissions_total', { outcome: 'started' })).toBe(2);
    expect(metrics.registry.value('quorum_turn_admissions_total', { outcome: 'queued' })).toBe(2);
    expect(metrics.registry.value('quorum_turns_started_total')).toBe(4);
  });
});
