import { describe, expect, it } from 'vitest';
import { CronRule } from './cron-rule.js';
import { parseScheduleRequest, type RulesOutcome } from './schedule-parser.js';

/** Friday 2026-03-27, 10:00 UTC = 11:00 in Berlin (CET); clocks go forward on Sunday the 29th. */
const NOW = Date.UTC(2026, 2, 27, 10, 0, 0);
const BERLIN = { nowMs: NOW, timezone: 'Europe/Berlin' };

function parsed(outcome: RulesOutcome): Extract<RulesOutcome, { kind: 'parsed' }> {
  if (outcome.kind !== 'parsed') throw new Error(`expected parsed, got ${JSON.stringify(outcome)}`);
  return outcome;
}

function onceAt(text: string, context = BERLIN): string {
  const timing = parsed(parseScheduleRequest(text, context)).timing;
  if (timing.kind !== 'once') throw new Error(`expected once, got ${timing.kind}`);
  return new Date(timing.atMs).toISOString();
}

function cronOf(text: string, context = BERLIN): { cron: string; description: string } {
  const timing = parsed(parseScheduleRequest(text, context)).timing;
  if (timing.kind !== 'cron') throw new Error(`expected cron, got ${timing.kind}`);
  return { cron: timing.cron, description: timing.description };
}

describe('parseScheduleRequest: one-time', () => {
  it.each([
    ['in 20 seconds @calc what is 5+5', NOW + 20_000, '@calc what is 5+5'],
    ['in 5 minutes Check the deployment', NOW + 300_000, 'Check the deployment'],
    ['in 1 hour and 30 minutes, stretch', NOW + 5_400_000, 'stretch'],
    ['in 1h30m: stretch', NOW + 5_400_000, 'stretch'],
    ['in 90s ping', NOW + 90_000, 'ping'],
    ['in an hour review', NOW + 3_600_000, 'review'],
    ['in half an hour review', NOW + 1_800_000, 'review'],
    ['in two days remind me', NOW + 172_800_000, 'remind me'],
    ['In 1.5 hours go', NOW + 5_400_000, 'go'],
  ])('reads %j as a delay', (text, atMs, message) => {
    const outcome = parsed(parseScheduleRequest(text, BERLIN));
    expect(outcome.timing).toEqual({ kind: 'once', atMs });
    expect(outcome.message).toBe(message);
  });

  it.each([
    ['tomorrow at 3pm Send the weekly report', '2026-03-28T14:00:00.000Z'],
    ['tomorrow at 15:00 report', '2026-03-28T14:00:00.000Z'],
    ['tomorrow 3pm report', '2026-03-28T14:00:00.000Z'],
    ['at 3pm tomorrow report', '2026-03-28T14:00:00.000Z'],
    ['tomorrow report', '2026-03-28T08:00:00.000Z'],
    ['today at 5:30pm wrap up', '2026-03-27T16:30:00.000Z'],
    ['tonight at 8 call mum', '2026-03-27T19:00:00.000Z'],
    ['at noon lunch', '2026-03-27T11:00:00.000Z'],
    ['at 10:30 standup', '2026-03-28T09:30:00.000Z'],
    ['at midnight backup', '2026-03-27T23:00:00.000Z'],
    ['on Monday at 9am plan', '2026-03-30T07:00:00.000Z'],
    ['next friday at 9am plan', '2026-04-03T07:00:00.000Z'],
    ['friday at 5pm beers', '2026-03-27T16:00:00.000Z'],
    ['friday at 9am too late today', '2026-04-03T07:00:00.000Z'],
    ['on March 31 at 9am quarter end', '2026-03-31T07:00:00.000Z'],
    ['on 1st April at 12:00 joke', '2026-04-01T10:00:00.000Z'],
    ['March 1 at 9am next year', '2027-03-01T08:00:00.000Z'],
    ['on 2026-04-02 at 18:00 dinner', '2026-04-02T16:00:00.000Z'],
    ['2026-04-02T18:00 dinner', '2026-04-02T16:00:00.000Z'],
    ['2026-04-02 18:00:30 dinner', '2026-04-02T16:00:30.000Z'],
    ['2026-04-02T18:00Z dinner', '2026-04-02T18:00:00.000Z'],
    ['2026-04-02T18:00+05:30 dinner', '2026-04-02T12:30:00.000Z'],
  ])('reads %j', (text, iso) => {
    expect(onceAt(text)).toBe(iso);
  });

  it('resolves a time skipped by the DST change to the moment after the gap', () => {
    // 2026-03-29 02:30 does not exist in Berlin: clocks jump from 02:00 to 03:00 CEST.
    expect(onceAt('on 2026-03-29 at 02:30 check')).toBe('2026-03-29T01:00:00.000Z');
    expect(onceAt('on 2026-03-29 at 03:30 check')).toBe('2026-03-29T01:30:00.000Z');
  });

  it('reads a repeated hour (DST ends) as its first occurrence', () => {
    const october = { nowMs: Date.UTC(2026, 9, 20), timezone: 'Europe/Berlin' };
    expect(onceAt('on 2026-10-25 at 02:30 check', october)).toBe('2026-10-25T00:30:00.000Z');
  });

  it('reads times in the configured zone', () => {
    const ny = { nowMs: NOW, timezone: 'America/New_York' };
    expect(onceAt('tomorrow at 9am x', ny)).toBe('2026-03-28T13:00:00.000Z');
    const kolkata = { nowMs: NOW, timezone: 'Asia/Kolkata' };
    expect(onceAt('tomorrow at 9am x', kolkata)).toBe('2026-03-28T03:30:00.000Z');
    const utc = { nowMs: NOW, timezone: 'UTC' };
    expect(onceAt('tomorrow at 9am x', utc)).toBe('2026-03-28T09:00:00.000Z');
  });

  it('uses the local date, not the UTC one, for today and tomorrow', () => {
    // 23:30 UTC on the 27th is already the 28th in Tokyo.
    const tokyo = { nowMs: Date.UTC(2026, 2, 27, 23, 30), timezone: 'Asia/Tokyo' };
    expect(onceAt('tomorrow at 9am x', tokyo)).toBe('2026-03-29T00:00:00.000Z');
  });

  it('remembers the clock style the person used', () => {
    expect(parsed(parseScheduleRequest('tomorrow at 3pm x', BERLIN)).timeStyle).toBe('12h');
    expect(parsed(parseScheduleRequest('tomorrow at 15:00 x', BERLIN)).timeStyle).toBe('24h');
  });

  it.each([
    ['today at 9am x', 'already passed'],
    ['on 2026-01-01 at 9am x', 'already passed'],
    ['2026-01-01T09:00 x', 'already passed'],
    ['on 2027-02-30 at 9am x', 'does not exist'],
    ['in 0 seconds x', 'at least one second'],
  ])('refuses %j with a reason', (text, reason) => {
    const outcome = parseScheduleRequest(text, BERLIN);
    expect(outcome.kind).toBe('invalid');
    expect(outcome.kind === 'invalid' ? outcome.reason : '').toContain(reason);
  });
});

describe('parseScheduleRequest: recurring', () => {
  it.each([
    ['Every hour, @shell check server status', '0 * * * *', 'every hour, on the hour'],
    ['every 5 minutes check mail', '*/5 * * * *', 'every 5 minutes'],
    ['every minute ping', '* * * * *', 'every minute'],
    ['every 30 seconds ping', '*/30 * * * * *', 'every 30 seconds'],
    ['every 2 hours at :15 sync', '15 */2 * * *', 'every 2 hours, at :15'],
    ['hourly sync', '0 * * * *', 'every hour, on the hour'],
    ['Daily at 9am, @finance market report', '0 9 * * *', 'every day at 9:00 AM'],
    ['every day at 18:30 wrap up', '30 18 * * *', 'every day at 18:30'],
    ['daily report', '0 9 * * *', 'every day at 09:00'],
    [
      'every weekday at 9am, @analyst market report',
      '0 9 * * 1-5',
      'every weekday (Monday to Friday) at 9:00 AM',
    ],
    ['on weekdays at 08:00 standup', '0 8 * * 1-5', 'every weekday (Monday to Friday) at 08:00'],
    ['every weekend at 10am relax', '0 10 * * 0,6', 'every Saturday and Sunday at 10:00 AM'],
    [
      'every Monday and Thursday at 18:00 gym',
      '0 18 * * 1,4',
      'every Monday and Thursday at 18:00',
    ],
    [
      'every monday, wednesday and friday at 7am run',
      '0 7 * * 1,3,5',
      'every Monday, Wednesday and Friday at 7:00 AM',
    ],
    ['on Tuesdays at 12:00 lunch', '0 12 * * 2', 'every Tuesday at 12:00'],
    [
      'Weekly on Friday, @analyst prepare weekly summary',
      '0 9 * * 5',
      'every week on Friday at 09:00',
    ],
    ['weekly on friday at 5pm beers', '0 17 * * 5', 'every week on Friday at 5:00 PM'],
    ['monthly on the 1st at 9am invoices', '0 9 1 * *', 'every month on the 1st at 9:00 AM'],
    ['every month on the 15th pay', '0 9 15 * *', 'every month on the 15th at 09:00'],
    [
      'on the last day of every month at 17:00 close books',
      '0 17 L * *',
      'on the last day of every month at 17:00',
    ],
  ])('reads %j', (text, cron, description) => {
    expect(cronOf(text)).toEqual({ cron, description });
  });

  it('keeps the message after the timing', () => {
    expect(
      parsed(parseScheduleRequest('every weekday at 9am, @analyst market report', BERLIN)).message,
    ).toBe('@analyst market report');
  });

  it('reads cron expressions, with and without the word cron', () => {
    expect(cronOf('cron 0 9 * * 1-5 @analyst report').cron).toBe('0 9 * * 1-5');
    expect(cronOf('0 9 * * MON-FRI @analyst report').cron).toBe('0 9 * * MON-FRI');
    expect(cronOf('*/10 * * * * * tick').cron).toBe('*/10 * * * * *');
    expect(cronOf('cron "30 8 * * *" coffee').cron).toBe('30 8 * * *');
    expect(cronOf('cron @daily tidy').cron).toBe('@daily');
    expect(cronOf('cron 0 9 * * 1-5 x').description).toBe('at 09:00, Monday through Friday');
  });

  it('refuses a broken cron expression after the word cron', () => {
    const outcome = parseScheduleRequest('cron 61 * * * * x', BERLIN);
    expect(outcome.kind).toBe('invalid');
  });

  it.each([
    ['every 7 minutes x', 'does not divide the clock'],
    ['every 90 minutes x', 'does not divide the clock'],
    ['every 3 days x', 'name the days instead'],
  ])('refuses %j with a way out', (text, reason) => {
    const outcome = parseScheduleRequest(text, BERLIN);
    expect(outcome.kind === 'invalid' ? outcome.reason : outcome.kind).toContain(reason);
  });

  it('runs daily schedules at the same local time across the DST change', () => {
    const rule = CronRule.parse(cronOf('daily at 9am x').cron, 'Europe/Berlin');
    if (!rule.ok) throw new Error(rule.reason);
    const first = rule.rule.next(NOW) ?? 0;
    const second = rule.rule.next(first) ?? 0;
    const third = rule.rule.next(second) ?? 0;
    expect([first, second, third].map((ms) => new Date(ms).toISOString())).toEqual([
      '2026-03-28T08:00:00.000Z',
      '2026-03-29T07:00:00.000Z',
      '2026-03-30T07:00:00.000Z',
    ]);
  });
});

describe('parseScheduleRequest: what it leaves to the model', () => {
  it.each([
    'remind me in 5 minutes to stretch',
    'check the deployment in 10 minutes',
    'every other day water the plants',
    'when the build fails tell me',
    'in 5 minutes and every hour after that check',
    'every day at 9am except weekends report',
    'daily at 9am until Friday report',
    'sometime next week call Bob',
    '',
  ])('leaves %j unrecognized', (text) => {
    expect(parseScheduleRequest(text, BERLIN).kind).toBe('unrecognized');
  });

  it('leaves an hour without am/pm to the model, with a hint', () => {
    const outcome = parseScheduleRequest('tomorrow at 9 report', BERLIN);
    expect(outcome).toMatchObject({ kind: 'unrecognized' });
    expect(outcome.kind === 'unrecognized' ? outcome.hint : '').toContain('9am or 9pm');
    expect(parseScheduleRequest('daily at 7 run', BERLIN).kind).toBe('unrecognized');
  });
});

describe('parseScheduleRequest: history phrases', () => {
  it.each([
    ['Every hour, @ops check deployment health with no history', 0, '@ops check deployment health'],
    [
      'daily at 9am, @research summarize AI news with only the last 5 messages',
      5,
      '@research summarize AI news',
    ],
    ['in 5 minutes check things, without context', 0, 'check things'],
    ['in 5 minutes context-free check', 0, 'check'],
    ['in 5 minutes summarize, include the last 3 messages of context', 3, 'summarize'],
  ])('reads %j', (text, messages, message) => {
    const outcome = parsed(parseScheduleRequest(text, BERLIN));
    expect(outcome.history).toEqual({ kind: 'limit', messages });
    expect(outcome.message).toBe(message);
  });

  it('reads a return to full history, and no phrase as keep', () => {
    expect(
      parsed(parseScheduleRequest('every weekday at 8am check, restore full history', BERLIN))
        .history,
    ).toEqual({
      kind: 'full',
    });
    expect(
      parsed(parseScheduleRequest('in 5 minutes summarize the last 5 messages', BERLIN)).history,
    ).toEqual({
      kind: 'keep',
    });
  });
});

describe('parseScheduleRequest: hostile input', () => {
  it('answers every generated or pathological request with an outcome, never a throw', () => {
    const pieces = [
      'in',
      '5',
      'minutes',
      'every',
      'monday,',
      'and',
      'at',
      '3pm',
      '12:00',
      'cron',
      '*',
      '*/5',
      'tomorrow',
      'with',
      'no',
      'history',
      '2026-02-30T25:61',
      '@calc',
      ',',
      ':',
      '—',
      '\u0000',
      '𝟗',
      'ﬀ',
      'İ',
    ];
    let seed = 42;
    const random = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    const requests = [
      'in 5 minutes and '.repeat(250),
      'every monday, '.repeat(300),
      '1'.repeat(4_000),
      `cron ${'* '.repeat(2_000)}`,
      ' '.repeat(4_000),
      `with ${' '.repeat(3_990)}the last 5 messages`,
      `in ${'1h'.repeat(1_500)}`,
      `at ${'9'.repeat(3_000)}pm`,
    ];
    for (let i = 0; i < 2_000; i++) {
      requests.push(
        Array.from({ length: 1 + random(12) }, () => pieces[random(pieces.length)]).join(' '),
      );
    }
    for (const request of requests) {
      const outcome = parseScheduleRequest(request, BERLIN);
      expect(['parsed', 'unrecognized', 'invalid']).toContain(outcome.kind);
      if (outcome.kind === 'parsed' && outcome.timing.kind === 'once') {
        expect(Number.isFinite(outcome.timing.atMs)).toBe(true);
      }
    }
  });
});
