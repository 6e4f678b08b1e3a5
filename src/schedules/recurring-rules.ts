/**
 * The recurring forms the rules read, each turned into a cron expression and a reading in
 * words: "every 5 minutes", "every hour [at :15]", "daily at 9am", "every weekday at 9am",
 * "every weekend", "every Monday and Thursday at 18:00", "on Mondays", "weekly on Friday",
 * "monthly on the 1st". A day named without a time means 9:00. Pure.
 */
import type { ParseContext, TimingRule, TimingStep } from './parse-types.js';
import { clockTime, weekdayName, type TimeStyle } from './schedule-wording.js';
import {
  ambiguousHour,
  readAtTime,
  readCount,
  readMonthDay,
  readTimeOfDay,
  readUnit,
  readWeekday,
  readWeekdayList,
  type TimeOfDay,
} from './time-phrases.js';
import { localParts } from './zoned-time.js';

const NINE: TimeOfDay = { hour: 9, minute: 0, second: 0, style: '24h', isBareHour: false };

/** An optional time after a recurring phrase: ` at 9am`, ` 9:30`. */
function readTrailingTime(
  text: string,
): { time: TimeOfDay | undefined; length: number } | { ambiguous: string } {
  const gap = /^\s*,?\s+/u.exec(text)?.[0].length ?? 0;
  if (gap === 0) return { time: undefined, length: 0 };
  const after = text.slice(gap);
  const read = readAtTime(after) ?? readTimeOfDay(after, true);
  if (read === undefined) return { time: undefined, length: 0 };
  if (read.value.isBareHour) return { ambiguous: ambiguousHour(read.value).hint };
  return { time: read.value, length: gap + read.length };
}

/** `sec min hour dom * dow`, with the seconds field only when it is not zero. */
function cronAt(time: TimeOfDay, dom: string, dow: string): string {
  const base = `${time.minute} ${time.hour} ${dom} * ${dow}`;
  return time.second === 0 ? base : `${time.second} ${base}`;
}

/** A match built from a phrase of `length` characters plus its trailing time. */
function withTime(
  text: string,
  length: number,
  build: (time: TimeOfDay, style: TimeStyle) => { cron: string; description: string },
): TimingStep {
  const trailing = readTrailingTime(text.slice(length));
  if ('ambiguous' in trailing) return { kind: 'ambiguous', hint: trailing.ambiguous };
  const time = trailing.time ?? NINE;
  const style = trailing.time?.style ?? '24h';
  const { cron, description } = build(time, style);
  return {
    kind: 'match',
    timing: { kind: 'cron', cron, description },
    length: length + trailing.length,
    style,
  };
}

/** Divisors of 60 (seconds, minutes) and of 24 (hours): intervals that stay on the clock. */
const CLOCK_STEPS: Readonly<Record<string, readonly number[]>> = {
  second: [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30],
  minute: [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30],
  hour: [1, 2, 3, 4, 6, 8, 12],
};

/** `every 5 minutes`, `every minute`, `every 30 seconds`, `every 2 hours`, `every hour at :15`, `hourly`. */
const everyInterval: TimingRule = (text) => {
  const hourly = /^(?:hourly|every\s+half\s+(?:an\s+)?hour|half-hourly)(?![\p{L}])/iu.exec(text);
  let count = 1;
  let unit: string;
  let length: number;
  if (hourly !== null) {
    const isHalf = /half/iu.test(hourly[0]);
    count = isHalf ? 30 : 1;
    unit = isHalf ? 'minute' : 'hour';
    length = hourly[0].length;
  } else {
    const every = /^(?:every|each)\s+/iu.exec(text);
    if (every === null) return undefined;
    length = every[0].length;
    const counted = readCount(text.slice(length));
    if (
      counted !== undefined &&
      !/^(?:a|an)$/iu.test(text.slice(length, length + counted.length))
    ) {
      count = counted.value;
      length +=
        counted.length + (/^\s*/u.exec(text.slice(length + counted.length))?.[0].length ?? 0);
    }
    const read = readUnit(text.slice(length));
    if (read === undefined) return undefined;
    unit = read.value.name;
    length += read.length;
  }
  if ((unit === 'day' || unit === 'week') && count === 1) return undefined;
  const allowed = CLOCK_STEPS[unit];
  if (allowed === undefined || !Number.isInteger(count) || !allowed.includes(count)) {
    return { kind: 'invalid', reason: intervalProblem(count, unit) };
  }
  if (unit === 'second')
    return intervalMatch(
      count === 1 ? '* * * * * *' : `*/${count} * * * * *`,
      plural(count, 'second'),
      length,
    );
  if (unit === 'minute')
    return intervalMatch(
      count === 1 ? '* * * * *' : `*/${count} * * * *`,
      plural(count, 'minute'),
      length,
    );
  // Hours: on the hour, or at ":15" / "15 past".
  const past =
    /^\s+at\s+(?::(?<colon>\d{2})|(?<past>\d{1,2})\s+(?:minutes\s+)?past(?:\s+the\s+hour)?)(?![\p{L}\p{N}])/iu.exec(
      text.slice(length),
    );
  const minute = Number(past?.groups?.['colon'] ?? past?.groups?.['past'] ?? 0);
  if (minute > 59) return { kind: 'invalid', reason: `an hour has no minute ${minute}` };
  const hours = count === 1 ? '*' : `*/${count}`;
  const when = minute === 0 ? 'on the hour' : `at :${String(minute).padStart(2, '0')}`;
  return intervalMatch(
    `${minute} ${hours} * * *`,
    `${plural(count, 'hour')}, ${when}`,
    length + (past?.[0].length ?? 0),
  );
};

function intervalMatch(cron: string, every: string, length: number): TimingStep {
  return {
    kind: 'match',
    timing: { kind: 'cron', cron, description: `every ${every}` },
    length,
    style: '24h',
  };
}

function plural(count: number, unit: string): string {
  return count === 1 ? unit : `${count} ${unit}s`;
}

function intervalProblem(count: number, unit: string): string {
  if (unit === 'day' || unit === 'week') {
    return `every ${count} ${unit}s cannot be kept exactly on the calendar; name the days instead (for example "every Monday and Thursday at 9am")`;
  }
  const steps = (CLOCK_STEPS[unit] ?? []).join(', ');
  return `every ${count} ${unit}s does not divide the clock evenly; use one of ${steps} ${unit}s, or a cron expression`;
}

/** `every day at 9am`, `daily`, `each day at 18:00`. */
const daily: TimingRule = (text) => {
  const match = /^(?:every\s+(?:single\s+)?day|each\s+day|daily)(?![\p{L}])/iu.exec(text);
  if (match === null) return undefined;
  return withTime(text, match[0].length, (time, style) => ({
    cron: cronAt(time, '*', '*'),
    description: `every day at ${clockTime(time, style)}`,
  }));
};

/** `every weekday at 9am` (Monday to Friday), `every weekend` (Saturday and Sunday). */
const workdays: TimingRule = (text) => {
  const weekday =
    /^(?:(?:every|each)\s+(?:week|work|business)\s?day|(?:on\s+)?(?:weekdays|workdays))(?![\p{L}])/iu.exec(
      text,
    );
  if (weekday !== null) {
    return withTime(text, weekday[0].length, (time, style) => ({
      cron: cronAt(time, '*', '1-5'),
      description: `every weekday (Monday to Friday) at ${clockTime(time, style)}`,
    }));
  }
  const weekend = /^(?:(?:every|each)\s+weekend(?:\s+day)?|(?:on\s+)?weekends)(?![\p{L}])/iu.exec(
    text,
  );
  if (weekend === null) return undefined;
  return withTime(text, weekend[0].length, (time, style) => ({
    cron: cronAt(time, '*', '0,6'),
    description: `every Saturday and Sunday at ${clockTime(time, style)}`,
  }));
};

/** `every Monday and Thursday at 18:00`, `on Mondays`, `Tuesdays and Fridays at 9am`. */
const weekdayList: TimingRule = (text) => {
  const every = /^(?:(?:every|each)\s+|on\s+)?/iu.exec(text);
  const prefix = every?.[0] ?? '';
  const list = readWeekdayList(text.slice(prefix.length));
  if (list === undefined) return undefined;
  // "on Monday" (singular) is a one-time day; "on Mondays", "every Monday" recur.
  if (!/^(?:every|each)/iu.test(prefix) && !list.value.isPlural) return undefined;
  const days = [...list.value.weekdays].sort((a, b) => a - b);
  return withTime(text, prefix.length + list.length, (time, style) => ({
    cron: cronAt(time, '*', days.join(',')),
    description: `every ${joinWords(days.map(weekdayName))} at ${clockTime(time, style)}`,
  }));
};

/** `weekly`, `weekly on Friday`, `every week on Friday at 5pm` (default: today's weekday). */
const weekly: TimingRule = (text, context: ParseContext) => {
  const match = /^(?:weekly|(?:every|each)\s+week|once\s+a\s+week)(?![\p{L}])/iu.exec(text);
  if (match === null) return undefined;
  let length = match[0].length;
  let day = localParts(context.nowMs, context.timezone).weekday;
  const on = /^\s*,?\s+on\s+/iu.exec(text.slice(length));
  if (on !== null) {
    const read = readWeekday(text.slice(length + on[0].length));
    if (read === undefined) return undefined;
    day = read.value.weekday;
    length += on[0].length + read.length;
  }
  return withTime(text, length, (time, style) => ({
    cron: cronAt(time, '*', String(day)),
    description: `every week on ${weekdayName(day)} at ${clockTime(time, style)}`,
  }));
};

/** `monthly`, `every month on the 15th at 9am`, `on the last day of every month`. */
const monthly: TimingRule = (text) => {
  let day: number | 'L' = 1;
  let length: number;
  const lead = /^(?:monthly|(?:every|each)\s+month|once\s+a\s+month)(?![\p{L}])/iu.exec(text);
  if (lead !== null) {
    length = lead[0].length;
    const on = /^\s*,?\s+on\s+/iu.exec(text.slice(length));
    if (on !== null) {
      const read = readMonthDay(text.slice(length + on[0].length));
      if (read === undefined) return undefined;
      day = read.value;
      length += on[0].length + read.length;
    }
  } else {
    const on = /^on\s+/iu.exec(text);
    const read = on === null ? undefined : readMonthDay(text.slice(on[0].length));
    const tail =
      read === undefined || on === null
        ? null
        : /^\s+of\s+(?:every|each|the)\s+month(?![\p{L}])/iu.exec(
            text.slice(on[0].length + read.length),
          );
    if (read === undefined || on === null || tail === null) return undefined;
    day = read.value;
    length = on[0].length + read.length + tail[0].length;
  }
  const chosen = day;
  return withTime(text, length, (time, style) => ({
    cron: cronAt(time, String(chosen), '*'),
    description:
      chosen === 'L'
        ? `on the last day of every month at ${clockTime(time, style)}`
        : `every month on the ${ordinal(chosen)} at ${clockTime(time, style)}${chosen > 28 ? ` (months without a ${ordinal(chosen)} are skipped)` : ''}`,
  }));
};

/** `1st`, `2nd`, `3rd`, `11th`, `22nd`. */
export function ordinal(n: number): string {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  const suffix = teen ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

/** `a`, `a and b`, `a, b and c`. */
export function joinWords(words: readonly string[]): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} and ${words.at(-1) ?? ''}`;
}

/** The recurring rules, most specific first. */
export const recurringMatchers: readonly TimingRule[] = [
  workdays,
  daily,
  weekly,
  monthly,
  weekdayList,
  everyInterval,
];
