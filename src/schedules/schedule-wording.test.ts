import { describe, expect, it } from 'vitest';
import { CronRule } from './cron-rule.js';
import {
  clockTime,
  dayPhrase,
  describeDelay,
  describeInstant,
  zoneAbbreviation,
} from './schedule-wording.js';
import { localParts, zonedToUtc } from './zoned-time.js';

const NOW = Date.UTC(2026, 2, 27, 10, 0, 0); // Friday, 11:00 CET

describe('describeDelay', () => {
  it.each([
    [20_000, 'in 20 seconds'],
    [1_000, 'in 1 second'],
    [300_000, 'in 5 minutes'],
    [5_400_000, 'in 1 hour 30 minutes'],
    [3_600_000 + 5_000, 'in 1 hour'],
    [2 * 86_400_000 + 21 * 3_600_000, 'in 2 days 21 hours'],
    [-180_000, '3 minutes ago'],
    [400, 'now'],
  ])('%i ms is %j', (ms, text) => {
    expect(describeDelay(ms)).toBe(text);
  });
});

describe('describeInstant', () => {
  it('speaks relative to the local day in the zone, in the chosen clock style', () => {
    expect(describeInstant(NOW + 20_000, NOW, 'Europe/Berlin', '24h')).toBe(
      'today at 11:00:20 CET (in 20 seconds)',
    );
    expect(
      describeInstant(NOW + 86_400_000, NOW, 'Europe/Berlin', '12h', { withDelay: false }),
    ).toBe('tomorrow at 11:00 AM CET');
    expect(describeInstant(Date.UTC(2026, 2, 30, 7), NOW, 'Europe/Berlin', '12h')).toBe(
      'Monday at 9:00 AM CEST (in 2 days 21 hours)',
    );
    expect(
      describeInstant(Date.UTC(2026, 5, 1, 7), NOW, 'Europe/Berlin', '24h', { withDelay: false }),
    ).toBe('Monday, June 1 at 09:00 CEST');
    expect(
      describeInstant(Date.UTC(2027, 0, 4, 14), NOW, 'America/New_York', '12h', {
        withDelay: false,
      }),
    ).toBe('Monday, January 4, 2027 at 9:00 AM EST');
  });

  it('uses the zone’s date, not UTC’s, for today and tomorrow', () => {
    const lateUtc = Date.UTC(2026, 2, 27, 23, 30);
    expect(dayPhrase(lateUtc + 3_600_000, lateUtc, 'Asia/Tokyo')).toBe('today');
    expect(dayPhrase(lateUtc + 3_600_000, lateUtc, 'UTC')).toBe('tomorrow');
  });

  it('writes times in both clock styles, seconds only when set', () => {
    expect(clockTime({ hour: 0, minute: 5, second: 0 }, '12h')).toBe('12:05 AM');
    expect(clockTime({ hour: 12, minute: 0, second: 0 }, '12h')).toBe('12:00 PM');
    expect(clockTime({ hour: 15, minute: 0, second: 9 }, '24h')).toBe('15:00:09');
    expect(zoneAbbreviation(NOW, 'UTC')).toBe('UTC');
    expect(zoneAbbreviation(NOW, 'Asia/Tokyo')).toBe('GMT+9');
  });
});

describe('zonedToUtc', () => {
  it('round-trips local times and refuses dates that do not exist', () => {
    const local = { year: 2026, month: 7, day: 4, hour: 9, minute: 30, second: 0 };
    const ms = zonedToUtc(local, 'America/Los_Angeles') ?? 0;
    expect(new Date(ms).toISOString()).toBe('2026-07-04T16:30:00.000Z');
    expect(localParts(ms, 'America/Los_Angeles')).toMatchObject({ ...local, weekday: 6 });
    expect(zonedToUtc({ ...local, month: 2, day: 29 }, 'UTC')).toBeUndefined();
    expect(zonedToUtc({ ...local, hour: 24 }, 'UTC')).toBeUndefined();
  });

  it('resolves the US spring-forward gap and fall-back repeat', () => {
    const gap = zonedToUtc(
      { year: 2026, month: 3, day: 8, hour: 2, minute: 30, second: 0 },
      'America/New_York',
    );
    expect(new Date(gap ?? 0).toISOString()).toBe('2026-03-08T07:00:00.000Z'); // 03:00 EDT
    const fold = zonedToUtc(
      { year: 2026, month: 11, day: 1, hour: 1, minute: 30, second: 0 },
      'America/New_York',
    );
    expect(new Date(fold ?? 0).toISOString()).toBe('2026-11-01T05:30:00.000Z'); // the EDT one
  });
});

describe('CronRule', () => {
  const parse = (expression: string, zone = 'UTC'): CronRule => {
    const parsed = CronRule.parse(expression, zone);
    if (!parsed.ok) throw new Error(parsed.reason);
    return parsed.rule;
  };

  it('refuses wrong field counts, bad values and expressions that never run', () => {
    for (const bad of ['* * * *', '* * * * * * *', '61 * * * *', '0 0 30 2 *', '', 'hello world']) {
      expect(CronRule.parse(bad, 'UTC').ok, bad).toBe(false);
    }
  });

  it('finds next and latest runs, counts runs in a window, and the shortest interval', () => {
    const rule = parse('*/5 * * * *');
    const t = Date.UTC(2026, 0, 1, 0, 5);
    expect(rule.next(t)).toBe(t + 300_000);
    expect(rule.latestAtOrBefore(t)).toBe(t);
    expect(rule.latestAtOrBefore(t - 1)).toBe(t - 300_000);
    expect(rule.countBetween(t, t + 3_600_000, 100)).toBe(12);
    expect(rule.countBetween(t, t + 3_600_000, 5)).toBe(5);
    expect(rule.shortestIntervalMs()).toBe(300_000);
    expect(parse('0,1 9 * * *').shortestIntervalMs()).toBe(60_000);
    // A short gap late in the hour, and one across midnight, are both found.
    expect(parse('0,5,10,15,20,25,30,35,40,45,50,55,56 * * * *').shortestIntervalMs()).toBe(60_000);
    expect(parse('59 23 * * *').shortestIntervalMs()).toBe(86_400_000);
    expect(parse('0,59 0,23 * * *').shortestIntervalMs()).toBe(60_000);
    expect(parse('*/10 * * * * *').shortestIntervalMs()).toBe(10_000);
    expect(parse('@hourly').shortestIntervalMs()).toBe(3_600_000);
  });

  it('keeps a daily local time across DST in the zone, and describes itself', () => {
    const rule = parse('0 9 * * *', 'America/New_York');
    const first = rule.next(Date.UTC(2026, 2, 7, 20)) ?? 0;
    expect(new Date(first).toISOString()).toBe('2026-03-08T13:00:00.000Z');
    expect(new Date(rule.next(first) ?? 0).toISOString()).toBe('2026-03-09T13:00:00.000Z');
    expect(parse('0 9 * * 1-5').describe('12h')).toBe('at 09:00 AM, Monday through Friday');
  });
});
