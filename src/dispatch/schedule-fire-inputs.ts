/**
 * A posted schedule fire, read back as a pipeline input: the message its creator scheduled,
 * decided as if they had just sent it (their authorization, rate limit and reply permissions;
 * the agents it mentions answer, otherwise the usual rules and the router decide).
 */
import {
  decide,
  type Decision,
  type DispatchContext,
  type MessageInput,
} from '../routing/index.js';
import type { ScheduleFire } from '../schedules/index.js';
import type { Logger } from '../shared/index.js';
import type { JournalEntry, ScheduleStore } from '../storage/index.js';
import type { FleetView } from './dispatch-ports.js';
import { SCHEDULE_FIRE_KEY } from './schedule-fire-sink.js';

/** What an admitted event is as a schedule fire. */
export type ScheduleFireInput =
  /** The fire's one event: decide on `input` (the creator's message). */
  | { readonly kind: 'fire'; readonly fireId: string; readonly input: MessageInput }
  /** Marked as a fire but not to be acted on (a second copy, an unknown fire): nothing happens. */
  | { readonly kind: 'skip'; readonly fireId: string; readonly reason: string };

/** Reads admitted events as schedule fires (the event pipeline asks before its usual rules). */
export interface ScheduleFireReader {
  /**
   * `undefined` for every event that is not a fire posted by one of Quorum's accounts (cheap:
   * `fleet` is read only for an event that carries the marker).
   */
  read(entry: JournalEntry, fleet: () => FleetView): ScheduleFireInput | undefined;
}

/** Dependencies of {@link ScheduleFireInputs}. */
export interface ScheduleFireInputsDeps {
  readonly fires: Pick<ScheduleStore, 'getFire' | 'bindFireEvent'>;
  readonly log: Logger;
}

/**
 * The {@link ScheduleFireReader} over the schedule store. The marker counts only on a message
 * from Quorum's own accounts (a person's copy of it is their own message, judged as usual);
 * the requester, message and mentions come from the stored fire, and the fire must belong to
 * the event's room. The first event that carries a fire is bound to it for good, so a fire
 * posted twice is still acted on once.
 */
export class ScheduleFireInputs implements ScheduleFireReader {
  constructor(private readonly deps: ScheduleFireInputsDeps) {}

  read(entry: JournalEntry, fleetOf: () => FleetView): ScheduleFireInput | undefined {
    const fireId = entry.event.content[SCHEDULE_FIRE_KEY];
    if (typeof fireId !== 'string') return undefined;
    const fleet = fleetOf();
    if (fleet.entityOf(entry.sender) === undefined) return undefined;
    const skip = (reason: string): ScheduleFireInput => {
      this.deps.log.warn('schedule fire event not acted on', {
        fireId,
        eventId: entry.eventId,
        reason,
      });
      return { kind: 'skip', fireId, reason };
    };
    if (entry.type !== 'm.room.message' || entry.relType === 'm.replace') {
      return skip('not the posted message');
    }
    const record = this.deps.fires.getFire(fireId);
    const fire = record?.kind === 'fire' ? asScheduleFire(record.payload) : undefined;
    if (fire === undefined) return skip('no such fire');
    if (fire.roomId !== entry.roomId) return skip('the fire belongs to another room');
    const binding = this.deps.fires.bindFireEvent(fireId, entry.eventId);
    if (binding === 'other' || binding === 'unknown') {
      return skip(binding === 'other' ? 'another copy of the fire was acted on' : 'no such fire');
    }
    const userIds = new Map(fleet.entities.map((entity) => [entity.name, entity.userId]));
    return {
      kind: 'fire',
      fireId,
      input: {
        kind: 'message',
        eventId: entry.eventId,
        roomId: entry.roomId,
        sender: fire.requester,
        body: fire.message,
        threadRoot: entry.threadRoot,
        mentionedUserIds: fire.mentions.flatMap((name) => userIds.get(name) ?? []),
        originTs: entry.originTs,
        isFinal: true,
        isNotice: false,
      },
    };
  }
}

/**
 * The dispatcher's decision on a fire: a message from its creator that never answers a card
 * or a pending question, and never runs as a command; only turns (or nothing) come of it.
 */
export function decideScheduleFire(input: MessageInput, context: DispatchContext): Decision {
  const decision = decide(input, { ...context, card: undefined, pendingQuestion: undefined });
  switch (decision.kind) {
    case 'respond':
    case 'route':
    case 'team':
    case 'ignore':
      return decision;
    case 'command':
    case 'stop':
    case 'interaction':
    case 'regenerate':
    case 'join':
      return { kind: 'ignore', reason: 'schedule-not-a-request' };
  }
}

/** A stored fire payload, checked (it is Quorum's own JSON, but a row may be damaged). */
export function asScheduleFire(payload: unknown): ScheduleFire | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const fire = payload as Partial<Record<keyof ScheduleFire, unknown>>;
  const isValid =
    typeof fire.id === 'string' &&
    typeof fire.roomId === 'string' &&
    typeof fire.requester === 'string' &&
    typeof fire.message === 'string' &&
    Array.isArray(fire.mentions) &&
    fire.mentions.every((name) => typeof name === 'string') &&
    (fire.historyLimit === undefined || typeof fire.historyLimit === 'number');
  return isValid ? (payload as ScheduleFire) : undefined;
}
