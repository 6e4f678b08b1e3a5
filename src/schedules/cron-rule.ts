/**
 * A cron expression evaluated in a time zone (croner), described in words (cronstrue).
 *
 * croner was chosen over cron-parser: no dependencies (cron-parser pulls in luxon), time zones
 * through `Intl`, and documented DST rules — a fixed-time job in a skipped hour runs right after
 * the gap and runs once in a repeated hour, while interval jobs keep their rhythm. Only its
 * evaluation is used (`nextRun`, `previousRuns`); Quorum's own timer does the waiting.
 */
import { Cron, CronPattern } from 'croner';
import cronstrue from 'cronstrue';

/** Why an expression was refused, in words for the person who wrote it. */
export type CronParseResult =
  { readonly ok: true; readonly rule: CronRule } | { readonly ok: false; readonly reason: string };

/** Longest expression accepted, in characters. */
const MAX_EXPRESSION_CHARS = 120;

/** One cron expression (5 fields, or 6 with seconds first) in one IANA zone. */
export class CronRule {
  private constructor(
    /** The expression as normalised (single spaces). */
    readonly expression: string,
    readonly timezone: string,
    private readonly cron: Cron,
  ) {}

  /**
   * Parses a 5-field (`m h dom mon dow`) or 6-field (seconds first) expression. Nicknames
   * (`@daily`), `L`, `W`, `#` and names (`MON-FRI`) are croner's. Refused: other field counts,
   * anything croner rejects, and expressions that never run.
   */
  static parse(expression: string, timezone: string): CronParseResult {
    const normalized = expression.trim().split(/\s+/).join(' ');
    if (normalized.length === 0 || normalized.length > MAX_EXPRESSION_CHARS) {
      return { ok: false, reason: 'a cron expression needs 5 fields (or 6, with seconds first)' };
    }
    const fields = normalized.startsWith('@') ? 5 : normalized.split(' ').length;
    if (fields !== 5 && fields !== 6) {
      return {
        ok: false,
        reason: `a cron expression has 5 fields (or 6, with seconds first), not ${fields}`,
      };
    }
    let cron: Cron;
    try {
      cron = new Cron(normalized, { timezone, paused: true, mode: '5-or-6-parts' });
    } catch (error: unknown) {
      const message = error instanceof Error ? error.message : String(error);
      return { ok: false, reason: `\`${normalized}\` is not a valid cron expression (${message})` };
    }
    const rule = new CronRule(normalized, timezone, cron);
    if (rule.next(Date.UTC(2000, 0, 1)) === undefined) {
      return { ok: false, reason: `\`${normalized}\` never runs` };
    }
    return { ok: true, rule };
  }

  /** The first run strictly after `afterMs`, or `undefined` when there is none. */
  next(afterMs: number): number | undefined {
    return this.cron.nextRun(new Date(afterMs))?.getTime();
  }

  /** The latest run at or before `atMs`, or `undefined`. */
  latestAtOrBefore(atMs: number): number | undefined {
    const [previous] = this.cron.previousRuns(1, new Date(atMs + 1));
    return previous?.getTime();
  }

  /**
   * Runs in `[fromMs, toMs)`, counting at most `cap` (the answer is then `cap`): how many due
   * times a late or restarted scheduler folds into one.
   */
  countBetween(fromMs: number, toMs: number, cap: number): number {
    let count = 0;
    let cursor = fromMs - 1;
    while (count < cap) {
      const run = this.next(cursor);
      if (run === undefined || run >= toMs) break;
      count += 1;
      cursor = run;
    }
    return count;
  }

  /**
   * The shortest gap between two runs, in ms, from the pattern's times of day: every second,
   * minute and hour it allows, combined, plus the wrap from the last time of one day to the
   * first of the next (as if consecutive days both match, which is the worst case). Exact for
   * gaps under a day, whatever the day fields say; a day or more for once-a-day patterns.
   */
  shortestIntervalMs(): number {
    const pattern = new CronPattern(this.expression, this.timezone, { mode: '5-or-6-parts' });
    const on = (flags: readonly number[]): number[] =>
      flags.flatMap((flag, index) => (flag === 0 ? [] : [index]));
    const seconds = on(pattern.second);
    const minutes = on(pattern.minute);
    const times: number[] = [];
    for (const hour of on(pattern.hour)) {
      for (const minute of minutes) {
        for (const second of seconds) times.push(hour * 3_600 + minute * 60 + second);
      }
    }
    const [first] = times;
    const last = times.at(-1);
    if (first === undefined || last === undefined) return Number.POSITIVE_INFINITY;
    let shortest = first + 86_400 - last;
    for (let i = 1; i < times.length; i++) {
      shortest = Math.min(shortest, (times[i] ?? 0) - (times[i - 1] ?? 0));
    }
    return shortest * 1_000;
  }

  /** The expression in English ("At 09:00 AM, Monday through Friday"); the bare expression if that fails. */
  describe(timeStyle: '12h' | '24h'): string {
    try {
      const text = cronstrue.toString(this.expression, {
        use24HourTimeFormat: timeStyle === '24h',
        throwExceptionOnParseError: true,
      });
      return text.charAt(0).toLowerCase() + text.slice(1);
    } catch {
      return `cron \`${this.expression}\``;
    }
  }
}
