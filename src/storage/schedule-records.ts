/** The shapes of stored schedules and fires, and their SQLite row mapping. */

/**
 * Schedule states. A schedule is `active` while it has a next due time, and leaves that state
 * once: `done` (a one-time schedule fired, or a cron has no further run), `cancelled` (by a
 * person, or because its creator may no longer use the agents), `missed` (a one-time due time
 * passed while Quorum was down for longer than the catch-up window) or `failed`.
 */
export type ScheduleState = 'active' | 'done' | 'cancelled' | 'missed' | 'failed';

/** When a schedule is due: one instant, or a cron expression read in the schedule's time zone. */
export type StoredTiming =
  | { readonly kind: 'once'; readonly atMs: number }
  | { readonly kind: 'cron'; readonly cron: string };

/** Everything `insert` stores; the caller has computed `nextDueAt` from the timing. */
export interface NewSchedule {
  /** Short id people type (`!cancel_schedule k3x9ab2q`); unique. */
  readonly id: string;
  readonly roomId: string;
  /** The thread it was made in; `undefined` for the room timeline. */
  readonly threadRoot: string | undefined;
  /** Each fire starts a new room-level thread instead of posting in `threadRoot`. */
  readonly newThread: boolean;
  readonly createdBy: string;
  readonly timing: StoredTiming;
  /** IANA zone the timing (and every reply about it) is read in. */
  readonly timezone: string;
  /** What is posted when it fires, mentions as written. */
  readonly message: string;
  /** How Quorum understood the timing, in words ("every weekday at 9:00"). */
  readonly description: string;
  /** Entity names the message mentions; empty when the router decides. */
  readonly mentions: readonly string[];
  /** Most recent messages the responder sees when it fires; `undefined`: its usual history. */
  readonly historyLimit: number | undefined;
  /** How times are written back to the person: `12h` (3:00 PM) or `24h` (15:00). */
  readonly timeStyle: '12h' | '24h';
  /** Whether the request was read by Quorum's rules or by the router's model. */
  readonly parsedBy: 'rules' | 'model';
  readonly nextDueAt: number;
}

/** A stored schedule. */
export interface ScheduleRecord extends Omit<NewSchedule, 'nextDueAt'> {
  readonly state: ScheduleState;
  /** The next due time; `undefined` once the schedule has ended. */
  readonly nextDueAt: number | undefined;
  /** Due times delivered as fires so far (missed ones do not count). */
  readonly fireCount: number;
  /** The last due time the scheduler acted on (fired or reported). */
  readonly lastDueAt: number | undefined;
  /** Why it ended, for the logs and `!list_schedules`. */
  readonly endReason: string | undefined;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** The fields `update` may change; the others stay as they are. */
export interface ScheduleChanges {
  readonly timing?: StoredTiming;
  readonly timezone?: string;
  readonly message?: string;
  readonly description?: string;
  readonly mentions?: readonly string[];
  readonly historyLimit?: number | undefined;
  readonly timeStyle?: '12h' | '24h';
  readonly parsedBy?: 'rules' | 'model';
  readonly nextDueAt?: number;
}

/** Per-person and per-room caps on active schedules, checked inside the insert transaction. */
export interface ScheduleLimits {
  readonly perPerson: number;
  readonly perRoom: number;
}

/** What `insert` did. */
export type InsertScheduleOutcome =
  | { readonly kind: 'created'; readonly record: ScheduleRecord }
  | { readonly kind: 'limit'; readonly scope: 'person' | 'room'; readonly limit: number }
  | { readonly kind: 'duplicate_id' };

/** What a claim records: a fire for the pipeline, or a notice for the thread. */
export type FireKind = 'fire' | 'missed' | 'revoked' | 'failed';
/** A claimed fire is `claimed` until the sink accepted it; `failed` when delivery gave up. */
export type FireState = 'claimed' | 'delivered' | 'failed';

/** How the schedule moves on after a claim. */
export type ScheduleAdvance =
  | { readonly state: 'active'; readonly nextDueAt: number }
  | {
      readonly state: Exclude<ScheduleState, 'active'>;
      readonly reason: string;
    };

/** One atomic step of the scheduler: record the (schedule, due time) and advance the schedule. */
export interface FireClaim {
  readonly scheduleId: string;
  /** The `nextDueAt` the scheduler read; the claim is `stale` if the row changed since. */
  readonly expectedNextDueAt: number;
  /** The due time acted on (the latest one that passed, for a late cron). */
  readonly dueAt: number;
  readonly kind: FireKind;
  /** What will be delivered, as JSON-able data (a snapshot: later edits do not change it). */
  readonly payload: unknown;
  readonly advance: ScheduleAdvance;
}

/**
 * What `bindFireEvent` did: `bound` (this event is now the fire's), `same` (it already was),
 * `other` (another event is the fire's: this one is a duplicate post), `unknown` (no such fire).
 */
export type FireBinding = 'bound' | 'same' | 'other' | 'unknown';

/** What `claim` did: `claimed`; `stale` (the schedule changed or ended meanwhile: nothing written); `duplicate` (that due time was already claimed: the schedule was advanced, nothing else). */
export type ClaimOutcome = 'claimed' | 'stale' | 'duplicate';

/** A claimed fire or notice. */
export interface FireRecord {
  /** Durable id, the same on every delivery attempt: `<scheduleId>@<dueAt>`. */
  readonly id: string;
  readonly scheduleId: string;
  readonly dueAt: number;
  readonly kind: FireKind;
  readonly state: FireState;
  readonly payload: unknown;
  readonly attempts: number;
  readonly lastError: string | undefined;
  readonly claimedAt: number;
  readonly deliveredAt: number | undefined;
  /** The Matrix event dispatch acted on for this fire (see `ScheduleStore.bindFireEvent`). */
  readonly eventId: string | undefined;
}

/** A `schedules` row as better-sqlite3 returns it. */
export interface ScheduleRow {
  id: string;
  room_id: string;
  thread_root: string | null;
  new_thread: number;
  created_by: string;
  kind: 'once' | 'cron';
  at_ms: number | null;
  cron: string | null;
  timezone: string;
  message: string;
  description: string;
  mentions: string;
  history_limit: number | null;
  time_style: '12h' | '24h';
  parsed_by: 'rules' | 'model';
  state: ScheduleState;
  next_due_at: number | null;
  fire_count: number;
  last_due_at: number | null;
  end_reason: string | null;
  created_at: number;
  updated_at: number;
}

/** A `schedule_fires` row as better-sqlite3 returns it. */
export interface FireRow {
  id: string;
  schedule_id: string;
  due_at: number;
  kind: FireKind;
  state: FireState;
  payload: string;
  attempts: number;
  last_error: string | null;
  claimed_at: number;
  delivered_at: number | null;
  event_id: string | null;
}

/** The durable id of the fire for (`scheduleId`, `dueAt`). */
export function fireIdOf(scheduleId: string, dueAt: number): string {
  return `${scheduleId}@${dueAt}`;
}

function toTiming(row: ScheduleRow): StoredTiming {
  return row.kind === 'cron'
    ? { kind: 'cron', cron: row.cron ?? '' }
    : { kind: 'once', atMs: row.at_ms ?? 0 };
}

/** A schedule from its row. */
export function toRecord(row: ScheduleRow): ScheduleRecord {
  return {
    id: row.id,
    roomId: row.room_id,
    threadRoot: row.thread_root ?? undefined,
    newThread: row.new_thread === 1,
    createdBy: row.created_by,
    timing: toTiming(row),
    timezone: row.timezone,
    message: row.message,
    description: row.description,
    mentions: JSON.parse(row.mentions) as string[],
    historyLimit: row.history_limit ?? undefined,
    timeStyle: row.time_style,
    parsedBy: row.parsed_by,
    state: row.state,
    nextDueAt: row.next_due_at ?? undefined,
    fireCount: row.fire_count,
    lastDueAt: row.last_due_at ?? undefined,
    endReason: row.end_reason ?? undefined,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** A fire from its row. */
export function toFire(row: FireRow): FireRecord {
  return {
    id: row.id,
    scheduleId: row.schedule_id,
    dueAt: row.due_at,
    kind: row.kind,
    state: row.state,
    payload: JSON.parse(row.payload) as unknown,
    attempts: row.attempts,
    lastError: row.last_error ?? undefined,
    claimedAt: row.claimed_at,
    deliveredAt: row.delivered_at ?? undefined,
    eventId: row.event_id ?? undefined,
  };
}
