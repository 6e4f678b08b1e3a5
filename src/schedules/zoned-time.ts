/**
 * Wall-clock time in an IANA time zone: reading an instant's local fields, turning local fields
 * back into an instant (through croner, which resolves DST gaps and repeated hours), and calendar
 * arithmetic on local dates. Pure, apart from a per-zone formatter cache.
 */
import { Cron } from 'croner';

/** A local calendar date: `month` 1–12, `day` 1–31. */
export interface LocalDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

/** A local date and time of day (`hour` 0–23). */
export interface LocalDateTime extends LocalDate {
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

/** An instant's local fields, with the weekday (0 = Sunday … 6 = Saturday). */
export interface LocalParts extends LocalDateTime {
  readonly weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const MAX_CACHED_ZONES = 200;

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
      hourCycle: 'h23',
    });
    if (formatters.size < MAX_CACHED_ZONES) formatters.set(timeZone, formatter);
  }
  return formatter;
}

const WEEKDAY_INDEX: Readonly<Record<string, number>> = {
  Sun: 0,
  Mon: 1,
  Tue: 2,
  Wed: 3,
  Thu: 4,
  Fri: 5,
  Sat: 6,
};

/** True when the runtime knows `timeZone` as an IANA zone. */
export function isKnownTimeZone(timeZone: string): boolean {
  if (timeZone.trim() === '') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** The local fields of the instant `ms` in `timeZone`. Throws a `RangeError` for an unknown zone. */
export function localParts(ms: number, timeZone: string): LocalParts {
  const fields: Record<string, string> = {};
  for (const part of formatterFor(timeZone).formatToParts(new Date(ms))) {
    fields[part.type] = part.value;
  }
  const number = (key: string): number => Number(fields[key]);
  return {
    year: number('year'),
    month: number('month'),
    day: number('day'),
    hour: number('hour') % 24,
    minute: number('minute'),
    second: number('second'),
    weekday: WEEKDAY_INDEX[fields['weekday'] ?? ''] ?? 0,
  };
}

/**
 * The instant at which `timeZone`'s clocks show `local`, or `undefined` when that date does not
 * exist (February 30). A time skipped by a DST change (02:30 on a spring-forward day) resolves to
 * the first moment after the gap; a time that occurs twice (fall back) resolves to the first.
 */
export function zonedToUtc(local: LocalDateTime, timeZone: string): number | undefined {
  if (!isValidDate(local) || local.hour > 23 || local.minute > 59 || local.second > 59) {
    return undefined;
  }
  const pattern = `${local.second} ${local.minute} ${local.hour} ${local.day} ${local.month} * ${local.year}`;
  const rule = new Cron(pattern, { timezone: timeZone, mode: '7-part', paused: true });
  // Search from two days before the UTC reading of the fields: every zone is within ±14 h.
  const from = Date.UTC(local.year, local.month - 1, local.day) - 2 * DAY_MS;
  const next = rule.nextRun(new Date(from));
  return next === null ? undefined : next.getTime();
}

const DAY_MS = 86_400_000;

/** Whether `date` names a real calendar day (years 1970–9999). */
export function isValidDate(date: LocalDate): boolean {
  if (!Number.isInteger(date.year) || date.year < 1970 || date.year > 9999) return false;
  if (!Number.isInteger(date.month) || date.month < 1 || date.month > 12) return false;
  if (!Number.isInteger(date.day) || date.day < 1) return false;
  return date.day <= daysInMonth(date.year, date.month);
}

/** Days in `month` (1–12) of `year`. */
export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** The local date `days` days after `date` (negative goes back). */
export function addDays(date: LocalDate, days: number): LocalDate {
  const shifted = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return {
    year: shifted.getUTCFullYear(),
    month: shifted.getUTCMonth() + 1,
    day: shifted.getUTCDate(),
  };
}

/** Whole days from local date `a` to local date `b` (positive when `b` is later). */
export function daysBetween(a: LocalDate, b: LocalDate): number {
  return Math.round(
    (Date.UTC(b.year, b.month - 1, b.day) - Date.UTC(a.year, a.month - 1, a.day)) / DAY_MS,
  );
}

/** The weekday (0 = Sunday) of a local date. */
export function weekdayOf(date: LocalDate): number {
  return new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay();
}
