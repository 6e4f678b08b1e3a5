import { ToolError } from './errors.js';
import type { Tool } from './tool.js';

/**
 * `current_time`: the current date and time from the agent's clock, in the IANA time zone
 * the model asks for or, by default, the agent's configured one. Answers with a readable line,
 * the local ISO 8601 time with its UTC offset, the UTC time and the Unix time. An unknown
 * zone is a `ToolError` (`invalid_arguments`).
 */
export const currentTimeTool: Tool = {
  name: 'current_time',
  description:
    'Get the current date and time. Without arguments it uses your configured time zone; ' +
    'pass an IANA time zone (e.g. "Europe/Berlin", "America/New_York", "UTC") to get the time there.',
  parameters: {
    type: 'object',
    properties: {
      timezone: {
        type: 'string',
        description: 'IANA time zone name; omit for your configured time zone.',
        minLength: 1,
        maxLength: 64,
      },
    },
    additionalProperties: false,
  },
  run: (args, context) => {
    const requested = args['timezone'];
    const timeZone = typeof requested === 'string' ? requested.trim() : context.timezone;
    try {
      return Promise.resolve(describeTime(context.clock.now(), timeZone));
    } catch (error: unknown) {
      if (!(error instanceof RangeError)) throw error;
      return Promise.reject(
        new ToolError(
          'invalid_arguments',
          `unknown time zone ${JSON.stringify(timeZone)}; use an IANA name such as "Europe/Paris" or "UTC"`,
          { cause: error },
        ),
      );
    }
  },
};

/**
 * The text `current_time` answers with, for the instant `nowMs` in `timeZone`. Throws a
 * `RangeError` when `timeZone` is not a zone the runtime knows.
 */
export function describeTime(nowMs: number, timeZone: string): string {
  const date = new Date(nowMs);
  const human = new Intl.DateTimeFormat('en-US', {
    timeZone,
    weekday: 'long',
    year: 'numeric',
    month: 'long',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  }).format(date);
  // The canonical spelling ("europe/berlin" becomes "Europe/Berlin").
  const zone = new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
  return [
    `${zone}: ${human}`,
    `ISO 8601: ${localIso(date, timeZone)}`,
    `UTC: ${date.toISOString()}`,
    `Unix time: ${Math.floor(nowMs / 1000)}`,
  ].join('\n');
}

/** `2026-01-01T01:00:00+01:00`: the wall-clock time in `timeZone` with its UTC offset. */
function localIso(date: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'longOffset',
  }).formatToParts(date);
  const part = (type: Intl.DateTimeFormatPartTypes): string =>
    parts.find((p) => p.type === type)?.value ?? '';
  // longOffset is "GMT+01:00", or plain "GMT" at offset zero.
  const offset = part('timeZoneName').replace('GMT', '') || '+00:00';
  return `${part('year')}-${part('month')}-${part('day')}T${part('hour')}:${part('minute')}:${part('second')}${offset}`;
}
