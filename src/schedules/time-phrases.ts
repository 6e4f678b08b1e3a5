/**
 * The small pieces of English the schedule rules read, each anchored at the start of the text
 * and returning how many characters it used: a time of day ("3pm", "15:30", "noon"), a day
 * ("tomorrow", "on Friday", "March 3", "2026-03-01"), a duration ("5 minutes", "1h30m"), a list
 * of weekdays ("Monday, Wednesday and Friday") and a day of the month ("the 1st"). Pure.
 */
import type { LocalDate } from './zoned-time.js';

/** A phrase read from the start of a text, and its length in characters. */
export interface Read<T> {
  readonly value: T;
  readonly length: number;
}

/** A time of day as written: `isBareHour` when it was only a number ("at 9"), which is ambiguous. */
export interface TimeOfDay {
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  /** `12h` when written with am/pm. */
  readonly style: '12h' | '24h';
  readonly isBareHour: boolean;
}

/** A day as written. */
export type DayPhrase =
  | { readonly kind: 'today' | 'tonight' | 'tomorrow' }
  | { readonly kind: 'weekday'; readonly weekday: number; readonly isNext: boolean }
  | {
      readonly kind: 'date';
      readonly month: number;
      readonly day: number;
      readonly year: number | undefined;
    };

const END = String.raw`(?![\p{L}\p{N}_:])`;

const TIME_RE = new RegExp(
  String.raw`^(?:(?<noon>noon|midday)|(?<midnight>midnight)|(?<h>\d{1,2})(?::(?<m>\d{2}))?(?::(?<s>\d{2}))?\s*(?<ap>[ap]\.?m\.?|[ap](?=$|\s|,))?)${END}`,
  'iu',
);

/**
 * A time of day at the start of `text`. With `needsMarker`, a bare number only counts when it
 * has minutes or am/pm ("3pm tomorrow", not "3 things"). Returns `undefined` for anything else,
 * including impossible times (25:00, 13pm).
 */
export function readTimeOfDay(text: string, needsMarker = false): Read<TimeOfDay> | undefined {
  const match = TIME_RE.exec(text);
  const groups = match?.groups;
  if (match === null || groups === undefined) return undefined;
  const length = match[0].replace(/\s+$/u, '').length;
  if (groups['noon'] !== undefined) {
    return { value: time(12, 0, 0, '24h', false), length };
  }
  if (groups['midnight'] !== undefined) {
    return { value: time(0, 0, 0, '24h', false), length };
  }
  let hour = Number(groups['h']);
  const minute = Number(groups['m'] ?? 0);
  const second = Number(groups['s'] ?? 0);
  const ampm = groups['ap']?.toLowerCase().charAt(0);
  if (minute > 59 || second > 59) return undefined;
  if (ampm !== undefined) {
    if (hour < 1 || hour > 12) return undefined;
    hour = (hour % 12) + (ampm === 'p' ? 12 : 0);
    return { value: time(hour, minute, second, '12h', false), length };
  }
  if (hour > 23) return undefined;
  const hasMinutes = groups['m'] !== undefined;
  if (needsMarker && !hasMinutes) return undefined;
  // "at 9" could be morning or evening; "at 09", "at 0" and "at 17" cannot.
  const isBareHour = !hasMinutes && hour >= 1 && hour <= 12 && !(groups['h'] ?? '').startsWith('0');
  return { value: time(hour, minute, second, '24h', isBareHour), length };
}

function time(
  hour: number,
  minute: number,
  second: number,
  style: '12h' | '24h',
  isBareHour: boolean,
): TimeOfDay {
  return { hour, minute, second, style, isBareHour };
}

/** The hint for "at 9": morning or evening? */
export function ambiguousHour(time: TimeOfDay): {
  readonly kind: 'ambiguous';
  readonly hint: string;
} {
  const h = time.hour;
  const pad = (hour: number): string => `${String(hour).padStart(2, '0')}:00`;
  return {
    kind: 'ambiguous',
    hint: `"at ${h}" could be morning or evening: write ${h}am or ${h}pm (or ${pad(h % 12)} / ${pad((h % 12) + 12)})`,
  };
}

/** `at 3pm`, `at 15:00`, `at noon`: a time after the word "at". */
export function readAtTime(text: string): Read<TimeOfDay> | undefined {
  const at = /^at\s+/iu.exec(text);
  if (at === null) return undefined;
  const read = readTimeOfDay(text.slice(at[0].length));
  return read === undefined ? undefined : { value: read.value, length: at[0].length + read.length };
}

const WEEKDAY_PATTERNS: readonly (readonly [RegExp, number])[] = [
  [/^sun(?:day)?/iu, 0],
  [/^mon(?:day)?/iu, 1],
  [/^tue(?:sday|s)?/iu, 2],
  [/^wed(?:nesday)?/iu, 3],
  [/^thu(?:rsday|rs|r)?/iu, 4],
  [/^fri(?:day)?/iu, 5],
  [/^sat(?:urday)?/iu, 6],
];

/** A weekday name ("Friday", "fri"), optionally plural ("Fridays"); `isPlural` tells which. */
export function readWeekday(
  text: string,
): Read<{ weekday: number; isPlural: boolean }> | undefined {
  for (const [pattern, weekday] of WEEKDAY_PATTERNS) {
    const match = pattern.exec(text);
    if (match === null) continue;
    const plural = /^s(?![\p{L}\p{N}_])/u.test(text.slice(match[0].length));
    const length = match[0].length + (plural ? 1 : 0);
    if (/^[\p{L}\p{N}_]/u.test(text.slice(length))) continue;
    return { value: { weekday, isPlural: plural }, length };
  }
  return undefined;
}

/** "Monday, Wednesday and Friday": one or more weekdays, in the order written, without repeats. */
export function readWeekdayList(
  text: string,
): Read<{ weekdays: readonly number[]; isPlural: boolean }> | undefined {
  const first = readWeekday(text);
  if (first === undefined) return undefined;
  const weekdays = [first.value.weekday];
  let isPlural = first.value.isPlural;
  let length = first.length;
  for (;;) {
    const joiner = /^(?:\s*,\s*(?:and\s+)?|\s+and\s+|\s*&\s*)/iu.exec(text.slice(length));
    if (joiner === null) break;
    const next = readWeekday(text.slice(length + joiner[0].length));
    if (next === undefined) break;
    if (!weekdays.includes(next.value.weekday)) weekdays.push(next.value.weekday);
    isPlural ||= next.value.isPlural;
    length += joiner[0].length + next.length;
  }
  return { value: { weekdays, isPlural }, length };
}

const MONTH_NAMES = [
  'jan(?:uary)?',
  'feb(?:ruary)?',
  'mar(?:ch)?',
  'apr(?:il)?',
  'may',
  'june?',
  'july?',
  'aug(?:ust)?',
  'sep(?:t|tember)?',
  'oct(?:ober)?',
  'nov(?:ember)?',
  'dec(?:ember)?',
];
const MONTH = `(?<month>${MONTH_NAMES.join('|')})\\.?`;
const ORDINAL = String.raw`(?:st|nd|rd|th)?`;
const MONTH_FIRST = new RegExp(
  String.raw`^${MONTH}\s+(?<day>\d{1,2})${ORDINAL}(?:,?\s+(?<year>\d{4}))?${END}`,
  'iu',
);
const DAY_FIRST = new RegExp(
  String.raw`^(?:the\s+)?(?<day>\d{1,2})${ORDINAL}\s+(?:of\s+)?${MONTH}(?:,?\s+(?<year>\d{4}))?${END}`,
  'iu',
);
const ISO_DATE = new RegExp(String.raw`^(?<year>\d{4})-(?<month>\d{2})-(?<day>\d{2})${END}`, 'u');

function monthNumber(name: string): number {
  const lower = name.toLowerCase();
  return MONTH_NAMES.findIndex((pattern) => new RegExp(`^(?:${pattern})$`, 'u').test(lower)) + 1;
}

/** A calendar date: `2026-03-01`, `March 1st`, `1 March 2027`, `the 3rd of March`. */
export function readDate(text: string): Read<DayPhrase> | undefined {
  const iso = ISO_DATE.exec(text);
  if (iso?.groups !== undefined) {
    return {
      value: {
        kind: 'date',
        year: Number(iso.groups['year']),
        month: Number(iso.groups['month']),
        day: Number(iso.groups['day']),
      },
      length: iso[0].length,
    };
  }
  const named = MONTH_FIRST.exec(text) ?? DAY_FIRST.exec(text);
  if (named?.groups === undefined) return undefined;
  const year = named.groups['year'];
  return {
    value: {
      kind: 'date',
      month: monthNumber(named.groups['month'] ?? ''),
      day: Number(named.groups['day']),
      year: year === undefined ? undefined : Number(year),
    },
    length: named[0].length,
  };
}

/** A day: `today`, `tonight`, `tomorrow`, `[on|next|this] Friday`, `[on] <date>`. */
export function readDay(text: string): Read<DayPhrase> | undefined {
  const simple = /^(?<word>today|tonight|tomorrow)(?![\p{L}\p{N}_])/iu.exec(text);
  const word = simple?.groups?.['word']?.toLowerCase();
  if (simple !== null && (word === 'today' || word === 'tonight' || word === 'tomorrow')) {
    return { value: { kind: word }, length: simple[0].length };
  }
  const prefix = /^(?:(?<which>on|next|this)\s+)?/iu.exec(text);
  const prefixLength = prefix?.[0].length ?? 0;
  const which = prefix?.groups?.['which']?.toLowerCase();
  const rest = text.slice(prefixLength);
  const weekday = readWeekday(rest);
  if (weekday !== undefined && !weekday.value.isPlural) {
    return {
      value: { kind: 'weekday', weekday: weekday.value.weekday, isNext: which === 'next' },
      length: prefixLength + weekday.length,
    };
  }
  if (which === 'next' || which === 'this') return undefined;
  const date = readDate(rest);
  return date === undefined ? undefined : { value: date.value, length: prefixLength + date.length };
}

const NUMBER_WORDS: Readonly<Record<string, number>> = {
  a: 1,
  an: 1,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  fifteen: 15,
  twenty: 20,
  thirty: 30,
  'forty-five': 45,
};

/** A count written as digits ("5", "1.5") or a word ("five", "an"). */
export function readCount(text: string): Read<number> | undefined {
  const digits = /^\d{1,7}(?:\.\d{1,3})?(?![\d.])/u.exec(text);
  if (digits !== null) return { value: Number(digits[0]), length: digits[0].length };
  const word = /^[a-z-]+/iu.exec(text);
  const value = word === null ? undefined : NUMBER_WORDS[word[0].toLowerCase()];
  return value === undefined || word === null ? undefined : { value, length: word[0].length };
}

/** Duration units, longest spelling first so `minutes` wins over `m`. */
export const DURATION_UNITS: readonly (readonly [RegExp, number, string])[] = [
  [/^(?:seconds?|secs?|s)(?![\p{L}])/iu, 1_000, 'second'],
  [/^(?:minutes?|mins?|m)(?![\p{L}])/iu, 60_000, 'minute'],
  [/^(?:hours?|hrs?|h)(?![\p{L}])/iu, 3_600_000, 'hour'],
  [/^(?:days?|d)(?![\p{L}])/iu, 86_400_000, 'day'],
  [/^(?:weeks?|wks?|w)(?![\p{L}])/iu, 604_800_000, 'week'],
];

/** A unit word at the start of `text`: its size in ms and its singular name. */
export function readUnit(text: string): Read<{ ms: number; name: string }> | undefined {
  for (const [pattern, ms, name] of DURATION_UNITS) {
    const match = pattern.exec(text);
    if (match !== null) return { value: { ms, name }, length: match[0].length };
  }
  return undefined;
}

const MAX_DURATION_PARTS = 6;

/**
 * A duration: `5 minutes`, `1 hour and 30 minutes`, `1h30m`, `90s`, `an hour`, `half an hour`.
 * Returns milliseconds.
 */
export function readDuration(text: string): Read<number> | undefined {
  const half = /^half\s+an?\s+hour(?![\p{L}])/iu.exec(text);
  if (half !== null) return { value: 1_800_000, length: half[0].length };
  let total = 0;
  let length = 0;
  let parts = 0;
  // "1 day 2 hours 3 minutes 4 seconds" has four parts; more is not a duration people write.
  while (parts < MAX_DURATION_PARTS) {
    const joiner = parts === 0 ? null : /^(?:\s*,\s*|\s+and\s+|\s*)/iu.exec(text.slice(length));
    const start = length + (joiner?.[0].length ?? 0);
    const count = readCount(text.slice(start));
    if (count === undefined) break;
    const gap = /^\s*/u.exec(text.slice(start + count.length))?.[0].length ?? 0;
    const unit = readUnit(text.slice(start + count.length + gap));
    if (unit === undefined) break;
    total += count.value * unit.value.ms;
    length = start + count.length + gap + unit.length;
    parts += 1;
  }
  return parts === 0 ? undefined : { value: Math.round(total), length };
}

/** `the 1st`, `the 15th`, `the last day`: a day of the month, `'L'` for the last. */
export function readMonthDay(text: string): Read<number | 'L'> | undefined {
  const match =
    /^(?:the\s+)?(?:(?<last>last)(?:\s+day)?|(?<day>\d{1,2})(?:st|nd|rd|th)?(?:\s+day)?)(?![\p{L}\p{N}_])/iu.exec(
      text,
    );
  if (match?.groups === undefined) return undefined;
  if (match.groups['last'] !== undefined) return { value: 'L', length: match[0].length };
  const day = Number(match.groups['day']);
  return day >= 1 && day <= 31 ? { value: day, length: match[0].length } : undefined;
}

/** A date written as `YYYY-MM-DD`, for messages. */
export function dateLabel(date: LocalDate): string {
  return `${date.year}-${String(date.month).padStart(2, '0')}-${String(date.day).padStart(2, '0')}`;
}
