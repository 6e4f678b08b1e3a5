/**
 * Quorum's rules for the common ways people say when (no model call): one-time ("in 20
 * seconds", "tomorrow at 3pm", "on Friday at 9:30", an ISO time) and recurring ("every hour",
 * "daily at 9am", "every weekday at 9am", "weekly on Friday", "monthly on the 1st", cron). The
 * timing comes first; what follows (after an optional `,` or `:`) is the message. Anything the
 * rules do not fully understand is `unrecognized`, for the router's model; a form they
 * understand but that cannot be kept (25:00, a date that passed) is `invalid`, with the reason.
 * Pure: the time zone and "now" are parameters.
 */
import { CronRule } from './cron-rule.js';
import { extractHistory, type HistoryChoice } from './history-phrases.js';
import { recurringMatchers } from './recurring-rules.js';
import type { ParseContext, ParsedTiming, TimingRule } from './parse-types.js';
import type { TimeStyle } from './schedule-wording.js';
import {
  ambiguousHour,
  readAtTime,
  readDay,
  readDuration,
  readTimeOfDay,
  type DayPhrase,
  type TimeOfDay,
} from './time-phrases.js';
import { addDays, localParts, zonedToUtc, type LocalDate } from './zoned-time.js';

/** What the rules made of a request. */
export type RulesOutcome =
  | {
      readonly kind: 'parsed';
      readonly timing: ParsedTiming;
      /** The text after the timing; may be empty. */
      readonly message: string;
      readonly history: HistoryChoice;
      readonly timeStyle: TimeStyle;
    }
  | {
      readonly kind: 'unrecognized';
      /** Why the rules gave up, when they know (an ambiguous "at 9"). */
      readonly hint: string | undefined;
    }
  | { readonly kind: 'invalid'; readonly reason: string };

/** Words after a timing that change its meaning: the rules leave such requests to the model. */
const QUALIFIER =
  /^(?:and|or|but|except|excluding|until|till|unless|starting|from|between|after|before|through|during|then|every|each|in\s+\d|at\s+\d|on\s+(?:the\s+)?(?:\d|\p{L}+day)|for\s+\d|for\s+the\s+next)(?![\p{L}])/iu;

/** Reads `text` with the rules. */
export function parseScheduleRequest(text: string, context: ParseContext): RulesOutcome {
  const { text: withoutHistory, history } = extractHistory(text.trim());
  let hint: string | undefined;
  for (const rule of RULES) {
    const step = rule(withoutHistory, context);
    if (step === undefined) continue;
    if (step.kind === 'invalid') return step;
    if (step.kind === 'ambiguous') {
      hint ??= step.hint;
      continue;
    }
    const rest = withoutHistory.slice(step.length);
    if (rest.length > 0 && !/^[\s,.:;!?–—-]/u.test(rest)) continue;
    const message = rest.replace(/^[\s,.:;–—-]+/u, '').trim();
    if (QUALIFIER.test(message)) return { kind: 'unrecognized', hint };
    return { kind: 'parsed', timing: step.timing, message, history, timeStyle: step.style };
  }
  return { kind: 'unrecognized', hint };
}

/** `in 5 minutes`, `in 1h30m`, `in half an hour`. */
const inDuration: TimingRule = (text, context) => {
  const prefix = /^in\s+/iu.exec(text);
  if (prefix === null) return undefined;
  const duration = readDuration(text.slice(prefix[0].length));
  if (duration === undefined) return undefined;
  if (duration.value < 1_000) {
    return { kind: 'invalid', reason: 'a schedule must be at least one second ahead' };
  }
  return {
    kind: 'match',
    timing: { kind: 'once', atMs: context.nowMs + duration.value },
    length: prefix[0].length + duration.length,
    style: '24h',
  };
};

const ISO_DATE_TIME =
  /^(?:(?:on|at)\s+)?(?<y>\d{4})-(?<mo>\d{2})-(?<d>\d{2})(?:T|\s+(?:at\s+)?)(?<h>\d{1,2}):(?<mi>\d{2})(?::(?<s>\d{2}))?(?:\.\d{1,9})?\s*(?<z>Z|UTC|[+-]\d{2}:?\d{2})?(?![\p{L}\p{N}_:])/iu;

/** `2026-03-01T09:00`, `2026-03-01 09:00:30+01:00`, `2026-03-01 09:00 UTC`. */
const isoDateTime: TimingRule = (text, context) => {
  const match = ISO_DATE_TIME.exec(text);
  const g = match?.groups;
  if (match === null || g === undefined) return undefined;
  const local = {
    year: Number(g['y']),
    month: Number(g['mo']),
    day: Number(g['d']),
    hour: Number(g['h']),
    minute: Number(g['mi']),
    second: Number(g['s'] ?? 0),
  };
  const zone = g['z'];
  let atMs: number | undefined;
  if (zone === undefined) {
    atMs = zonedToUtc(local, context.timezone);
  } else {
    const offset = /^[+-]/u.test(zone) ? offsetMinutes(zone) : 0;
    atMs = zonedToUtc(local, 'UTC');
    if (atMs !== undefined) atMs -= offset * 60_000;
  }
  if (atMs === undefined) {
    return { kind: 'invalid', reason: `${match[0].trim()} is not a real date and time` };
  }
  if (atMs <= context.nowMs) {
    return { kind: 'invalid', reason: `${match[0].trim()} has already passed` };
  }
  return { kind: 'match', timing: { kind: 'once', atMs }, length: match[0].length, style: '24h' };
};

function offsetMinutes(zone: string): number {
  const digits = zone.replace(':', '');
  const sign = digits.startsWith('-') ? -1 : 1;
  return sign * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5)));
}

/** `tomorrow at 3pm`, `at 3pm tomorrow`, `on Friday at 9:30`, `March 3 at noon`, `at 15:00`. */
const dayAndTime: TimingRule = (text, context) => {
  let day: DayPhrase | undefined;
  let time: TimeOfDay | undefined;
  let length: number;
  const dayFirst = readDay(text);
  if (dayFirst !== undefined) {
    day = dayFirst.value;
    length = dayFirst.length;
    const gap = /^\s+/u.exec(text.slice(length))?.[0].length ?? 0;
    const after = text.slice(length + gap);
    const timed = readAtTime(after) ?? readTimeOfDay(after, true);
    if (gap > 0 && timed !== undefined) {
      time = timed.value;
      length += gap + timed.length;
    }
  } else {
    const timeFirst = readAtTime(text);
    if (timeFirst === undefined) return undefined;
    time = timeFirst.value;
    length = timeFirst.length;
    const gap = /^\s+/u.exec(text.slice(length))?.[0].length ?? 0;
    const dayAfter = gap > 0 ? readDay(text.slice(length + gap)) : undefined;
    if (dayAfter !== undefined) {
      day = dayAfter.value;
      length += gap + dayAfter.length;
    }
  }
  const resolved = resolveOnce(day, time, context);
  if (resolved.kind !== 'at') return resolved;
  return {
    kind: 'match',
    timing: { kind: 'once', atMs: resolved.atMs },
    length,
    style: time?.style ?? '24h',
  };
};

/** The default time of day when a day is named without one. */
const DEFAULT_TIME: TimeOfDay = { hour: 9, minute: 0, second: 0, style: '24h', isBareHour: false };

type Resolved =
  | { readonly kind: 'at'; readonly atMs: number }
  | { readonly kind: 'invalid'; readonly reason: string }
  | { readonly kind: 'ambiguous'; readonly hint: string };

/** The instant a one-time day and time phrase names, relative to now. */
function resolveOnce(
  day: DayPhrase | undefined,
  time: TimeOfDay | undefined,
  context: ParseContext,
): Resolved {
  if (time?.isBareHour === true && day?.kind !== 'tonight') return ambiguousHour(time);
  const today: LocalDate = localParts(context.nowMs, context.timezone);
  const at = (date: LocalDate, t: TimeOfDay): number | undefined =>
    zonedToUtc({ ...date, hour: t.hour, minute: t.minute, second: t.second }, context.timezone);
  const isAhead = (ms: number | undefined): ms is number => ms !== undefined && ms > context.nowMs;
  if (day === undefined) {
    if (time === undefined) return { kind: 'invalid', reason: 'no time was given' };
    const first = at(today, time);
    const atMs = isAhead(first) ? first : at(addDays(today, 1), time);
    return atMs === undefined ? noSuchTime() : { kind: 'at', atMs };
  }
  switch (day.kind) {
    case 'today':
    case 'tonight': {
      if (time === undefined) return { kind: 'ambiguous', hint: `say at what time ${day.kind}` };
      const evening = tonightTime(day.kind, time);
      const atMs = at(evening.nextDay ? addDays(today, 1) : today, evening.time);
      if (!isAhead(atMs))
        return { kind: 'invalid', reason: `that time ${day.kind} has already passed` };
      return { kind: 'at', atMs };
    }
    case 'tomorrow': {
      const atMs = at(addDays(today, 1), time ?? DEFAULT_TIME);
      return atMs === undefined ? noSuchTime() : { kind: 'at', atMs };
    }
    case 'weekday': {
      const todayWeekday = localParts(context.nowMs, context.timezone).weekday;
      let delta = (day.weekday - todayWeekday + 7) % 7;
      if (delta === 0 && (day.isNext || !isAhead(at(today, time ?? DEFAULT_TIME)))) delta = 7;
      const atMs = at(addDays(today, delta), time ?? DEFAULT_TIME);
      return atMs === undefined ? noSuchTime() : { kind: 'at', atMs };
    }
    case 'date': {
      const chosen = time ?? DEFAULT_TIME;
      const year = day.year ?? today.year;
      const first = at({ year, month: day.month, day: day.day }, chosen);
      if (first === undefined && day.year !== undefined) return noSuchTime();
      if (isAhead(first)) return { kind: 'at', atMs: first };
      if (day.year !== undefined)
        return { kind: 'invalid', reason: 'that date has already passed' };
      const next = at({ year: year + 1, month: day.month, day: day.day }, chosen);
      return next === undefined ? noSuchTime() : { kind: 'at', atMs: next };
    }
  }
}

/** "tonight at 8" means 20:00, "tonight at 1am" means after midnight. */
function tonightTime(
  kind: 'today' | 'tonight',
  time: TimeOfDay,
): { time: TimeOfDay; nextDay: boolean } {
  if (kind === 'today') return { time, nextDay: false };
  if (time.style === '12h') return { time, nextDay: time.hour < 6 };
  if (time.isBareHour && time.hour < 12)
    return { time: { ...time, hour: time.hour + 12 }, nextDay: false };
  return { time, nextDay: time.hour < 6 };
}

function noSuchTime(): Resolved {
  return { kind: 'invalid', reason: 'that date does not exist' };
}

/** `cron 0 9 * * 1-5`, or a bare 5- or 6-field expression at the start. */
const cronExpression: TimingRule = (text, context) => {
  const prefixed = /^cron\s*[:=]?\s*/iu.exec(text);
  const prefixLength = prefixed?.[0].length ?? 0;
  const body = text.slice(prefixLength);
  const quoted = /^(?<q>[`'"])(?<expr>[^`'"]{1,120})\k<q>/u.exec(body);
  const candidates: { expr: string; length: number }[] = [];
  if (quoted?.groups !== undefined) {
    candidates.push({ expr: quoted.groups['expr'] ?? '', length: quoted[0].length });
  } else {
    const tokens = [...body.matchAll(/\S+/gu)].slice(0, 6);
    const field = /^(?:[\d*?][\w*/,#?-]*|[a-z]{3}(?:[-,][a-z]{3})*|@\w+)$/iu;
    for (const count of [6, 5]) {
      const used = tokens.slice(0, count);
      if (used.length < count || !used.every((t) => field.test(t[0]))) continue;
      // Without "cron", the first two fields must look like seconds/minutes and hours.
      if (prefixed === null && !used.slice(0, 2).every((t) => /^[\d*][\d*/,-]*$/u.test(t[0])))
        continue;
      const last = used.at(-1);
      candidates.push({
        expr: used.map((t) => t[0]).join(' '),
        length: (last?.index ?? 0) + (last?.[0].length ?? 0),
      });
    }
    const nickname = /^@(?:yearly|annually|monthly|weekly|daily|midnight|hourly)(?![\w])/iu.exec(
      body,
    );
    if (prefixed !== null && nickname !== null)
      candidates.push({ expr: nickname[0], length: nickname[0].length });
  }
  let firstError: string | undefined;
  for (const candidate of candidates) {
    const parsed = CronRule.parse(candidate.expr, context.timezone);
    if (parsed.ok) {
      return {
        kind: 'match',
        timing: {
          kind: 'cron',
          cron: parsed.rule.expression,
          description: parsed.rule.describe('24h'),
        },
        length: prefixLength + candidate.length,
        style: '24h',
      };
    }
    firstError ??= parsed.reason;
  }
  return prefixed !== null && firstError !== undefined
    ? { kind: 'invalid', reason: firstError }
    : undefined;
};

const RULES: readonly TimingRule[] = [
  cronExpression,
  ...recurringMatchers,
  inDuration,
  isoDateTime,
  dayAndTime,
];
