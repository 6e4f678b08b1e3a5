/**
 * How a due schedule enters the pipeline. The fire is posted into its room or thread as a
 * normal message from Quorum's router (the person sees what runs, and the agent's reply threads
 * under it like any answer), with a transaction id derived from the fire id, and the posted
 * event is admitted into the ingress journal at once under its real event id: dispatch decides
 * on it without waiting for a sync to bring it back, and the copy sync brings later is a
 * duplicate the journal ignores. The fire is acknowledged only after that admission is durable;
 * a crash before it repeats the same send (the homeserver answers with the same event) and the
 * same admission. Dispatch binds each fire to the first event that carries it, so a fire is
 * acted on once even if it was ever posted twice.
 */
import { createHash } from 'node:crypto';
import type { Responders } from '../agents/index.js';
import { ROUTER_NAME } from '../config/index.js';
import type { IngressSink } from '../ingress/index.js';
import { relationsOf } from '../ingress/index.js';
import { buildMessageContent, type OutgoingText } from '../matrix/index.js';
import {
  ScheduleDeliveryRefused,
  type ScheduleFire,
  type ScheduleFireSink,
  type ScheduleNotice,
} from '../schedules/index.js';
import {
  asEventId,
  asRoomId,
  asUserId,
  hasErrorCode,
  type Clock,
  type EventId,
  type Logger,
  type UserId,
} from '../shared/index.js';
import type { IngressJournal, ScheduleStore } from '../storage/index.js';
import type { RoomMembership } from './dispatch-ports.js';

/**
 * The content key that marks a posted message as a schedule fire; its value is the fire id.
 * Dispatch honours it only on messages from Quorum's own accounts, and reads everything else
 * (requester, mentions, history limit) from the stored fire, never from the event.
 */
export const SCHEDULE_FIRE_KEY = 'io.quorum.schedule_fire';

/** Matrix errors after which posting into the room cannot work: the fire is refused for good. */
const REFUSING_CODES = ['forbidden', 'not_found', 'encryption_unavailable'] as const;

/** Dependencies of {@link PipelineFireSink}. */
export interface PipelineFireSinkDeps {
  /** The running accounts (the poster's outbox). */
  readonly responders: Responders;
  readonly rooms: Pick<RoomMembership, 'joinedEntities' | 'directEntities'>;
  /** The Matrix user id of an entity, or undefined when the config has no such entity. */
  readonly userIdOf: (entity: string) => string | undefined;
  readonly journal: Pick<IngressJournal, 'admit'>;
  /** The pipeline (read at each fire): admitted entries go to dispatch from here. */
  readonly pipeline: () => Pick<IngressSink, 'onAdmitted'>;
  readonly fires: Pick<ScheduleStore, 'getFire'>;
  readonly clock: Clock;
  readonly log: Logger;
}

/**
 * Dispatch's {@link ScheduleFireSink}: `fire` posts the fire and admits it as a pipeline input
 * (see the module comment); `notify` posts a notice (`m.notice`, which no agent answers). Both
 * are idempotent per id through derived transaction ids, and reject with a
 * `ScheduleDeliveryRefused` when the homeserver refuses the room (forbidden: Quorum is not in
 * it; unknown; encrypted without crypto), with other errors for the scheduler to retry (the
 * poster is not connected, the homeserver is down), or with the signal's reason when aborted.
 */
export class PipelineFireSink implements ScheduleFireSink {
  constructor(private readonly deps: PipelineFireSinkDeps) {}

  async fire(fire: ScheduleFire, options: { readonly signal: AbortSignal }): Promise<void> {
    options.signal.throwIfAborted();
    // Dispatch already acted on a posted copy (the crash came after it): nothing to do.
    if (this.deps.fires.getFire(fire.id)?.eventId !== undefined) return;
    const poster = this.posterFor(fire.roomId, fire.mentions);
    const message = fireMessage(fire, this.mentionIds(fire.mentions));
    const eventId = await this.send(poster, fire.roomId, message, txnIdFor('qs', fire.id), options);
    this.admit(poster, fire.roomId, eventId, message);
    this.deps.log.info('schedule fire posted', {
      fireId: fire.id,
      eventId,
      poster,
      lateMs: this.deps.clock.now() - fire.dueAt,
    });
  }

  async notify(notice: ScheduleNotice, options: { readonly signal: AbortSignal }): Promise<void> {
    options.signal.throwIfAborted();
    const poster = this.posterFor(notice.roomId, []);
    await this.send(
      poster,
      notice.roomId,
      {
        body: notice.markdown,
        format: 'markdown',
        msgtype: 'm.notice',
        ...(notice.threadRoot === undefined
          ? {}
          : { thread: { rootId: asEventId(notice.threadRoot) } }),
        mentions: [asUserId(notice.requester)],
      },
      txnIdFor('qn', notice.id),
      options,
    );
  }

  /**
   * The entity that posts in `roomId`: the router, else a mentioned agent, the DM's agent,
   * anyone joined. With nobody known to be in the room (the room registry is only a view of
   * the syncs), the router tries, and the homeserver's answer decides.
   */
  private posterFor(roomId: string, mentions: readonly string[]): string {
    const joined = this.deps.rooms.joinedEntities(roomId);
    if (joined.has(ROUTER_NAME)) return ROUTER_NAME;
    const direct = [...this.deps.rooms.directEntities(roomId)];
    return (
      mentions.find((name) => joined.has(name)) ??
      direct.find((name) => joined.has(name)) ??
      [...joined].sort()[0] ??
      ROUTER_NAME
    );
  }

  private mentionIds(mentions: readonly string[]): UserId[] {
    return mentions
      .map((name) => this.deps.userIdOf(name))
      .filter((userId) => userId !== undefined)
      .map(asUserId);
  }

  /** Sends through the poster's outbox; a refusal by the homeserver becomes `ScheduleDeliveryRefused`. */
  private async send(
    poster: string,
    roomId: string,
    message: OutgoingText,
    txnId: string,
    options: { readonly signal: AbortSignal },
  ): Promise<EventId> {
    const handle = this.deps.responders.get(poster);
    if (handle === undefined) throw new Error(`${poster} is not connected`);
    try {
      return await untilAborted(
        handle.outbox.sendText(asRoomId(roomId), message, txnId),
        options.signal,
      );
    } catch (error: unknown) {
      if (hasErrorCode(error, ...REFUSING_CODES)) {
        throw new ScheduleDeliveryRefused(`the homeserver refused the post (${error.code})`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  /**
   * Admits the posted event as the journal would from a sync (held encrypted by an earlier
   * sync, it is replaced by this plaintext); a new entry goes to dispatch.
   */
  private admit(poster: string, roomId: string, eventId: EventId, message: OutgoingText): void {
    const sender = this.deps.userIdOf(poster);
    if (sender === undefined) throw new Error(`${poster} has no user id`);
    const event = {
      event_id: eventId,
      sender,
      type: 'm.room.message',
      origin_server_ts: this.deps.clock.now(),
      content: buildMessageContent(message),
    };
    const admission = { roomId, event, ...relationsOf(event), isHistory: false };
    const admitted = this.deps.journal.admit(poster, undefined, [admission], [admission]);
    if (admitted.length > 0) this.deps.pipeline().onAdmitted(admitted, poster);
  }
}

/**
 * What a fire posts: `⏰` and the message as its creator wrote it, then who scheduled it and
 * how often (and, after an outage, how late it is). `m.mentions` holds only the mentioned
 * agents and teams, so `@room` or a person's name in the text pings nobody.
 */
export function fireMessage(fire: ScheduleFire, mentions: readonly UserId[]): OutgoingText {
  const notes = [`scheduled task \`${fire.scheduleId}\` by ${fire.requester}`];
  notes.push(fire.isRecurring ? fire.description : 'once');
  if (fire.lateByMs >= 60_000) {
    notes.push(
      `${Math.round(fire.lateByMs / 60_000)} min late: Quorum was offline at the due time`,
    );
  }
  if (fire.coalesced > 0) {
    notes.push(
      `${fire.coalesced} earlier run${fire.coalesced === 1 ? '' : 's'} missed while Quorum was offline`,
    );
  }
  return {
    body: `⏰ ${fire.message}\n\n— ${notes.join(' · ')}`,
    format: 'markdown',
    ...(fire.threadRoot === undefined ? {} : { thread: { rootId: asEventId(fire.threadRoot) } }),
    mentions,
    extraContent: { [SCHEDULE_FIRE_KEY]: fire.id },
  };
}

/** A transaction id derived from a fire or notice id: the same id on every attempt. */
function txnIdFor(prefix: string, id: string): string {
  return `${prefix}.${createHash('sha256').update(id).digest('base64url').slice(0, 22)}`;
}

/** `promise`, or a rejection with the signal's reason as soon as `signal` aborts. */
async function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted();
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([promise, aborted]);
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
  }
}
