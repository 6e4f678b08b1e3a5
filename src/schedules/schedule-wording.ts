/**
 * Times written back to people: "today at 15:00:20 CET (in 20 seconds)", "Monday at 9:00 AM",
 * "in 2 hours", in the schedule's time zone and the clock style the person used. Pure.
 */
import { daysBetween, localParts, type LocalParts } from './zoned-time.js';

/** `12h` writes 3:00 PM, `24h` writes 15:00. */
export type TimeStyle = '12h' | '24h';

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** The weekday's English name (0 = Sunday). */
export function weekdayName(weekday: number): string {
  return WEEKDAYS[((weekday % 7) + 7) % 7] ?? 'Sunday';
}

/** A time of day: `9:05 AM` / `09:05`, with seconds only when they are not zero. */
export function clockTime(
  time: { readonly hour: number; readonly minute: number; readonly second: number },
  style: TimeStyle,
): string {
  const mm = String(time.minute).padStart(2, '0');
  const ss = time.second === 0 ? '' : `:${String(time.second).padStart(2, '0')}`;
  if (style === '24h') return `${String(time.hour).padStart(2, '0')}:${mm}${ss}`;
  const hour12 = time.hour % 12 === 0 ? 12 : time.hour % 12;
  return `${hour12}:${mm}${ss} ${time.hour < 12 ? 'AM' : 'PM'}`;
}

/**
 * The zone's short name at `ms`: `EDT` and `PST` (US names), `CET` and `CEST` (European names),
 * `UTC`, else the offset (`GMT+9`).
 */
export function zoneAbbreviation(ms: number, timeZone: string): string {
  const us = zoneName('en-US', timeZone, ms);
  if (!/^GMT[+-]/u.test(us)) return us;
  const gb = zoneName('en-GB', timeZone, ms);
  return /^GMT[+-]/u.test(gb) ? us : gb;
}

/** Formatters are costly to build: one per locale and zone, kept (bounded). */
const zoneFormatters = new Map<string, Intl.DateTimeFormat>();

function zoneName(locale: string, timeZone: string, ms: number): string {
  const key = `${locale} ${timeZone}`;
  let formatter = zoneFormatters.get(key);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: 'short' });
    if (zoneFormatters.size < 400) zoneFormatters.set(key, formatter);
  }
  return (
    formatter.formatToParts(new Date(ms)).find((p) => p.type === 'timeZoneName')?.value ?? timeZone
  );
}

/**
 * The day part, relative to `nowMs` in `timeZone`: `today`, `tomorrow`, `Friday` (within a
 * week), else `Friday, March 13` (plus the year when it differs).
 */
export function dayPhrase(ms: number, nowMs: number, timeZone: string): string {
  const at = localParts(ms, timeZone);
  const now = localParts(nowMs, timeZone);
  const days = daysBetween(now, at);
  if (days === 0) return 'today';
  if (days === 1) return 'tomorrow';
  if (days === -1) return 'yesterday';
  if (days > 1 && days < 7) return weekdayName(at.weekday);
  return fullDate(at, at.year !== now.year);
}

function fullDate(at: LocalParts, withYear: boolean): string {
  const base = `${weekdayName(at.weekday)}, ${MONTHS[at.month - 1] ?? ''} ${at.day}`;
  return withYear ? `${base}, ${at.year}` : base;
}

/**
 * When `ms` is, in words: `today at 15:00:20 CET (in 20 seconds)`. Without `withDelay` the
 * relative part is left out.
 */
export function describeInstant(
  ms: number,
  nowMs: number,
  timeZone: string,
  style: TimeStyle,
  options: { readonly withDelay?: boolean } = {},
): string {
  const at = localParts(ms, timeZone);
  const text = `${dayPhrase(ms, nowMs, timeZone)} at ${clockTime(at, style)} ${zoneAbbreviation(ms, timeZone)}`;
  return options.withDelay === false ? text : `${text} (${describeDelay(ms - nowMs)})`;
}

const UNITS: readonly (readonly [string, number])[] = [
  ['day', 86_400],
  ['hour', 3_600],
  ['minute', 60],
  ['second', 1],
];

/**
 * A duration from now, in its largest unit and the next one when that is not zero:
 * `in 20 seconds`, `in 1 hour 30 minutes`, `in 2 days`, `3 minutes ago`, `now`.
 */
export function describeDelay(deltaMs: number): string {
  const seconds = Math.round(Math.abs(deltaMs) / 1_000);
  if (seconds === 0) return 'now';
  const first = UNITS.findIndex(([, size]) => seconds >= size);
  const parts: string[] = [];
  for (const [name, size] of UNITS.slice(first, first + 2)) {
    const count = Math.floor(
      (parts.length === 0 ? seconds : seconds % (UNITS[first]?.[1] ?? 1)) / size,
    );
    if (count > 0) parts.push(`${count} ${name}${count === 1 ? '' : 's'}`);
  }
  const text = parts.join(' ');
  return deltaMs >= 0 ? `in ${text}` : `${text} ago`;
}
