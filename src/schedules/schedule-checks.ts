/**
 * The checks every new or edited schedule passes, and the shapes they share with the service:
 * the timing is ahead, within the horizon and not more often than allowed; mentions name
 * agents or teams in the room, and someone there can answer. Pure.
 */
import { findMentionedEntities } from '../routing/index.js';
import { CronRule } from './cron-rule.js';
import type { ParsedTiming } from './parse-types.js';
import { describeDelay, describeInstant, type TimeStyle } from './schedule-wording.js';

/** Limits and the zone, read at each request so a config reload applies at once. */
export interface ScheduleSettings {
  /** IANA zone requests are read in (config `timezone`). */
  readonly timezone: string;
  readonly maxPerPerson: number;
  readonly maxPerRoom: number;
  /** Shortest time between two runs of a recurring schedule. */
  readonly minIntervalMs: number;
  /** Furthest ahead a first run may be. */
  readonly maxHorizonMs: number;
}

/** An agent or team a scheduled message may mention. */
export interface ScheduleEntity {
  readonly name: string;
  readonly userId: string;
  readonly displayName: string;
  /** Whether it is in the room (and may answer there). */
  readonly isInRoom: boolean;
}

/** Where a request was made and by whom. */
export interface ScheduleScope {
  readonly roomId: string;
  /** The thread the request was made in; `undefined` for the room timeline. */
  readonly threadRoot: string | undefined;
  readonly requester: string;
  /** Users the request event mentions explicitly (`m.mentions`, pills). */
  readonly mentionedUserIds?: readonly string[];
}

/** The answer for the person (Markdown), and whether it worked. */
export interface ScheduleReply {
  readonly ok: boolean;
  readonly markdown: string;
  readonly scheduleId?: string;
}

/** A check's value, or the refusal to answer with. */
export type Step<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reply: ScheduleReply };

/** A refusal: `❌ markdown`. */
export function refuse(markdown: string): { ok: false; reply: ScheduleReply } {
  return { ok: false, reply: { ok: false, markdown: `❌ ${markdown}` } };
}

/** Checks a timing against the settings; resolves its next due time and its words. */
export function checkTiming(
  timing: ParsedTiming,
  settings: ScheduleSettings,
  timeStyle: TimeStyle,
  now: number,
): Step<{ nextDueAt: number; description: string }> {
  const horizon = `more than ${Math.round(settings.maxHorizonMs / 86_400_000)} days ahead, the furthest allowed`;
  if (timing.kind === 'once') {
    if (timing.atMs - now < 1_000) return refuse('That time has already passed.');
    if (timing.atMs - now > settings.maxHorizonMs) return refuse(`That is ${horizon}.`);
    const description = describeInstant(timing.atMs, now, settings.timezone, timeStyle, {
      withDelay: false,
    });
    return { ok: true, value: { nextDueAt: timing.atMs, description } };
  }
  const parsed = CronRule.parse(timing.cron, settings.timezone);
  if (!parsed.ok) return refuse(`I can't schedule that: ${parsed.reason}.`);
  const next = parsed.rule.next(now);
  if (next === undefined) return refuse('That schedule never runs.');
  if (next - now > settings.maxHorizonMs) return refuse(`Its first run is ${horizon}.`);
  const interval = parsed.rule.shortestIntervalMs();
  if (interval < settings.minIntervalMs) {
    return refuse(
      `That runs ${describeDelay(interval).replace(/^in /u, 'every ')}; the shortest interval allowed here is ${describeDelay(settings.minIntervalMs).replace(/^in /u, '')}.`,
    );
  }
  return { ok: true, value: { nextDueAt: next, description: timing.description } };
}

/** The entities the message mentions; each must be in the room, and someone must be able to answer. */
export function checkMentions(
  message: string,
  scope: ScheduleScope,
  entities: readonly ScheduleEntity[],
): Step<readonly string[]> {
  const mentioned = findMentionedEntities(
    { body: message, mentionedUserIds: scope.mentionedUserIds ?? [] },
    entities,
  );
  const absent = mentioned.filter(
    (name) => entities.find((entity) => entity.name === name)?.isInRoom !== true,
  );
  const here = entities.filter((entity) => entity.isInRoom).map((entity) => `@${entity.name}`);
  if (absent.length > 0) {
    return refuse(
      `${absent.map((name) => `@${name}`).join(', ')} ${absent.length === 1 ? 'is' : 'are'} not in this room, so ${absent.length === 1 ? 'it' : 'they'} could not answer. ${here.length > 0 ? `Here: ${here.join(', ')}.` : 'No agent is in this room.'}`,
    );
  }
  if (here.length === 0)
    return refuse('No agent or team in this room could answer a scheduled task.');
  return { ok: true, value: mentioned };
}
