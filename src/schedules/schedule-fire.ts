import { DaemonError } from '../shared/index.js';

/**
 * What the scheduler hands to the rest of the pipeline: a due schedule as an input (a fire), or
 * a notice for the schedule's thread (a due time missed while Quorum was down, a schedule whose
 * creator lost access). Delivered through {@link ScheduleFireSink}, which dispatch implements.
 */

/**
 * A due schedule as a pipeline input. `id` is durable (`<scheduleId>@<dueAt>`): the same fire
 * is delivered again under the same id after a crash before the sink acknowledged it, so the
 * sink must admit each id at most once.
 */
export interface ScheduleFire {
  readonly id: string;
  readonly scheduleId: string;
  /** The due time this fire stands for (epoch ms). */
  readonly dueAt: number;
  readonly roomId: string;
  /** The thread it was made in; `undefined` for the room timeline. */
  readonly threadRoot: string | undefined;
  /** Start a new room-level thread for this fire instead of posting in `threadRoot`. */
  readonly newThread: boolean;
  /** The person who made the schedule: the requester of the turn it starts. */
  readonly requester: string;
  /** The text to post and answer, mentions as written. */
  readonly message: string;
  /**
   * Entity names the message mentions: they answer. Empty: the router decides, as for any
   * message in that room or thread.
   */
  readonly mentions: readonly string[];
  /** Most recent messages the responder sees; `undefined`: its usual history. */
  readonly historyLimit: number | undefined;
  /** The schedule in words ("every weekday at 9:00 AM"), for the posted message. */
  readonly description: string;
  readonly isRecurring: boolean;
  /** How late the fire was claimed (0 on time; more after a restart within the catch-up window). */
  readonly lateByMs: number;
  /** Earlier due times of a recurring schedule that passed while Quorum was down, folded into this one. */
  readonly coalesced: number;
}

/** Why a notice is posted. */
export type ScheduleNoticeKind = 'missed' | 'revoked' | 'failed';

/**
 * A short message for the schedule's thread (or room), posted by the router. `id` is durable
 * like a fire's: use it for the transaction id so a repeat after a crash is idempotent.
 */
export interface ScheduleNotice {
  readonly id: string;
  readonly kind: ScheduleNoticeKind;
  readonly scheduleId: string;
  readonly roomId: string;
  readonly threadRoot: string | undefined;
  /** The creator, to mention in the notice. */
  readonly requester: string;
  /** The notice text (Markdown), in the schedule's time zone and the creator's clock style. */
  readonly markdown: string;
}

/**
 * Where fires and notices go; implemented by dispatch (the only place a turn is claimed).
 *
 * `fire` admits the fire as an input of the pipeline (for example a journal entry keyed by
 * `fire.id` that dispatch then decides on) and resolves once that admission is durable — not
 * when the agent has answered. `notify` posts the notice and resolves once the homeserver
 * accepted it. Both must be idempotent per id; both reject on failure (the scheduler retries
 * with backoff, up to the catch-up window), with a {@link ScheduleDeliveryRefused} when trying
 * again cannot help (the room is gone, Quorum was removed from it: no more tries), or with the
 * signal's reason when aborted (the fire is delivered again on the next start).
 */
export interface ScheduleFireSink {
  fire(fire: ScheduleFire, options: { readonly signal: AbortSignal }): Promise<void>;
  notify(notice: ScheduleNotice, options: { readonly signal: AbortSignal }): Promise<void>;
}

/**
 * Thrown by a {@link ScheduleFireSink} when a fire or notice can never be delivered (code
 * `delivery_refused`: the room is gone, the bot was removed or banned). The scheduler records
 * the fire as failed at once instead of retrying.
 */
export class ScheduleDeliveryRefused extends DaemonError<'delivery_refused'> {
  constructor(message: string, options: { readonly cause?: unknown } = {}) {
    super('delivery_refused', 'upstream', message, options);
    this.name = 'ScheduleDeliveryRefused';
  }
}
