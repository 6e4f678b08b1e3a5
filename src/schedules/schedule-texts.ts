/**
 * What Quorum says about schedules, in the schedule's time zone and the clock style its creator
 * used: receipts, list lines, and the notices for missed and revoked schedules. Pure.
 */
import type { ScheduleRecord } from '../storage/index.js';
import { describeInstant, type TimeStyle } from './schedule-wording.js';

/** Longest message preview in lists and notices, in characters. */
const PREVIEW_CHARS = 80;

/** `text` cut to `max` characters with an ellipsis, on one line. */
export function preview(text: string, max = PREVIEW_CHARS): string {
  const line = text.replace(/\s+/gu, ' ').trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

/** The schedule's next due time in words, or how it ended. */
export function nextText(record: ScheduleRecord, nowMs: number): string {
  if (record.nextDueAt === undefined) return `ended (${record.endReason ?? record.state})`;
  return describeInstant(record.nextDueAt, nowMs, record.timezone, record.timeStyle);
}

/** How often: the recurring description, or `once`. */
export function cadenceText(record: Pick<ScheduleRecord, 'timing' | 'description'>): string {
  return record.timing.kind === 'cron' ? record.description : 'once';
}

/** `history: none` / `history: last 5 messages`, or '' when the responder's usual history applies. */
export function historyText(limit: number | undefined): string {
  if (limit === undefined) return '';
  return limit === 0 ? 'none' : `last ${limit} message${limit === 1 ? '' : 's'}`;
}

/** A receipt's lines after the headline: next time, message, history, how to undo. */
export function receiptLines(record: ScheduleRecord, nowMs: number): string[] {
  const lines: string[] = [];
  if (record.timing.kind === 'cron') {
    lines.push(
      `✅ Scheduled \`${record.id}\`: **${record.description}** (${record.timezone}).`,
      `Next: **${nextText(record, nowMs)}**.`,
    );
  } else {
    lines.push(`✅ Scheduled \`${record.id}\` for **${nextText(record, nowMs)}**.`);
  }
  lines.push(`**Will post:** ${preview(record.message, 500)}`);
  const history = historyText(record.historyLimit);
  if (history !== '') lines.push(`**History:** ${history}`);
  if (record.newThread) lines.push('**Delivery:** a new thread each time');
  return lines;
}

/** One line of `!list_schedules`. */
export function listLine(
  record: ScheduleRecord,
  nowMs: number,
  currentThread: string | undefined,
): string {
  const where =
    record.threadRoot !== undefined && record.threadRoot !== currentThread
      ? ' (in another thread)'
      : record.newThread
        ? ' (new thread each time)'
        : '';
  const cadence = record.timing.kind === 'cron' ? ` — ${record.description}` : '';
  return `- \`${record.id}\` next **${nextText(record, nowMs)}**${cadence}${where}: “${preview(record.message)}” (by ${record.createdBy})`;
}

/** The notice for due times that passed while Quorum was down for longer than the catch-up window. */
export function missedNoticeText(
  record: ScheduleRecord,
  dueAt: number,
  count: number,
  nowMs: number,
  nextDueAt: number | undefined,
): string {
  const style: TimeStyle = record.timeStyle;
  const when = describeInstant(dueAt, nowMs, record.timezone, style);
  const runs = count > 1 ? `${count} runs, the last ` : '';
  const next =
    nextDueAt === undefined
      ? ''
      : ` It runs again ${describeInstant(nextDueAt, nowMs, record.timezone, style)}.`;
  return `⏰ ${record.createdBy}: scheduled task \`${record.id}\` was missed (${runs}due ${when}) because Quorum was offline for longer than the catch-up window, so it was not run late: “${preview(record.message)}”.${next}`;
}

/** The notice for a schedule cancelled because its creator may no longer use the agents here. */
export function revokedNoticeText(record: ScheduleRecord): string {
  return `⏰ Scheduled task \`${record.id}\` by ${record.createdBy} was cancelled: they may no longer use the agents in this room. “${preview(record.message)}”`;
}

/** The notice for a schedule that can no longer run (its stored timing is unusable). */
export function failedNoticeText(record: ScheduleRecord, reason: string): string {
  return `⏰ ${record.createdBy}: scheduled task \`${record.id}\` stopped: ${reason}. “${preview(record.message)}”`;
}
