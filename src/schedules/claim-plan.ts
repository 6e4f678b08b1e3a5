/**
 * What the scheduler records for one due schedule: a fire (on time, or late within the
 * catch-up window, folding a recurring schedule's missed runs into its latest), a missed
 * notice, or a notice that the schedule ended (its creator lost access, its timing broke);
 * and how the schedule moves on. Pure.
 */
import type { ScheduleAdvance, ScheduleRecord } from '../storage/index.js';
import { fireIdOf, type FireKind } from '../storage/index.js';
import { CronRule } from './cron-rule.js';
import type { ScheduleFire, ScheduleNotice } from './schedule-fire.js';
import { failedNoticeText, missedNoticeText, revokedNoticeText } from './schedule-texts.js';

/** Most due times counted when folding a late recurring schedule's missed runs. */
const MAX_COALESCED = 10_000;

/** A claim for the store, without the schedule id and expected due time. */
export interface PlannedClaim {
  readonly dueAt: number;
  readonly kind: FireKind;
  readonly payload: ScheduleFire | ScheduleNotice;
  readonly advance: ScheduleAdvance;
}

/** What to claim for a due schedule at `now`: the due time, its kind and payload, and how it advances. */
export function planClaim(
  record: ScheduleRecord,
  now: number,
  windowMs: number,
  mayStillUse: boolean,
): PlannedClaim {
  const dueAt = record.nextDueAt ?? now;
  if (!mayStillUse) {
    return {
      dueAt,
      kind: 'revoked',
      payload: notice(record, dueAt, 'revoked', revokedNoticeText(record)),
      advance: { state: 'cancelled', reason: 'its creator may no longer use the agents here' },
    };
  }
  if (record.timing.kind === 'once') {
    if (now - dueAt <= windowMs) {
      return {
        dueAt,
        kind: 'fire',
        payload: fireOf(record, dueAt, now, 0),
        advance: { state: 'done', reason: 'fired' },
      };
    }
    return {
      dueAt,
      kind: 'missed',
      payload: notice(record, dueAt, 'missed', missedNoticeText(record, dueAt, 1, now, undefined)),
      advance: { state: 'missed', reason: 'Quorum was offline at the due time' },
    };
  }
  const parsed = CronRule.parse(record.timing.cron, record.timezone);
  if (!parsed.ok) {
    return {
      dueAt,
      kind: 'failed',
      payload: notice(record, dueAt, 'failed', failedNoticeText(record, parsed.reason)),
      advance: { state: 'failed', reason: parsed.reason },
    };
  }
  const rule = parsed.rule;
  // The latest run that has passed stands for every run missed since `dueAt`.
  const latest = Math.max(dueAt, rule.latestAtOrBefore(now) ?? dueAt);
  const coalesced = latest > dueAt ? rule.countBetween(dueAt, latest, MAX_COALESCED) : 0;
  const next = rule.next(Math.max(now, latest));
  const advance =
    next === undefined
      ? { state: 'done' as const, reason: 'the cron expression has no further runs' }
      : { state: 'active' as const, nextDueAt: next };
  if (now - latest <= windowMs) {
    return {
      dueAt: latest,
      kind: 'fire',
      payload: fireOf(record, latest, now, coalesced),
      advance,
    };
  }
  return {
    dueAt: latest,
    kind: 'missed',
    payload: notice(
      record,
      latest,
      'missed',
      missedNoticeText(record, latest, coalesced + 1, now, next),
    ),
    advance,
  };
}

function fireOf(
  record: ScheduleRecord,
  dueAt: number,
  now: number,
  coalesced: number,
): ScheduleFire {
  return {
    id: fireIdOf(record.id, dueAt),
    scheduleId: record.id,
    dueAt,
    roomId: record.roomId,
    threadRoot: record.newThread ? undefined : record.threadRoot,
    newThread: record.newThread,
    requester: record.createdBy,
    message: record.message,
    mentions: record.mentions,
    historyLimit: record.historyLimit,
    description: record.description,
    isRecurring: record.timing.kind === 'cron',
    lateByMs: Math.max(0, now - dueAt),
    coalesced,
  };
}

function notice(
  record: ScheduleRecord,
  dueAt: number,
  kind: ScheduleNotice['kind'],
  markdown: string,
): ScheduleNotice {
  return {
    id: fireIdOf(record.id, dueAt),
    kind,
    scheduleId: record.id,
    roomId: record.roomId,
    threadRoot: record.threadRoot,
    requester: record.createdBy,
    markdown,
  };
}
