import type { Db } from './database.js';

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
}

interface ScheduleRow {
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

interface FireRow {
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

function toRecord(row: ScheduleRow): ScheduleRecord {
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

function toFire(row: FireRow): FireRecord {
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
  };
}

/**
 * Schedules and their fires. Every method is one synchronous SQLite statement or transaction
 * on the durable (`synchronous=FULL`) connection, so a committed claim survives a crash or a
 * power loss: the scheduler claims a (schedule, due time) here before it delivers anything.
 */
export class ScheduleStore {
  constructor(
    private readonly db: Db,
    private readonly now: () => number,
  ) {}

  /**
   * Stores a new active schedule unless its creator or its room already has as many active
   * schedules as `limits` allow (checked in the same transaction), or `id` is taken.
   */
  insert(spec: NewSchedule, limits: ScheduleLimits): InsertScheduleOutcome {
    return this.db.transaction((): InsertScheduleOutcome => {
      if (this.countActive({ createdBy: spec.createdBy }) >= limits.perPerson) {
        return { kind: 'limit', scope: 'person', limit: limits.perPerson };
      }
      if (this.countActive({ roomId: spec.roomId }) >= limits.perRoom) {
        return { kind: 'limit', scope: 'room', limit: limits.perRoom };
      }
      if (this.get(spec.id) !== undefined) return { kind: 'duplicate_id' };
      const now = this.now();
      this.db
        .prepare(
          `INSERT INTO schedules (id, room_id, thread_root, new_thread, created_by, kind, at_ms, cron,
             timezone, message, description, mentions, history_limit, time_style, parsed_by, state,
             next_due_at, created_at, updated_at)
           VALUES (@id, @roomId, @threadRoot, @newThread, @createdBy, @kind, @atMs, @cron,
             @timezone, @message, @description, @mentions, @historyLimit, @timeStyle, @parsedBy,
             'active', @nextDueAt, @now, @now)`,
        )
        .run({
          id: spec.id,
          roomId: spec.roomId,
          threadRoot: spec.threadRoot ?? null,
          newThread: spec.newThread ? 1 : 0,
          createdBy: spec.createdBy,
          ...timingColumns(spec.timing),
          timezone: spec.timezone,
          message: spec.message,
          description: spec.description,
          mentions: JSON.stringify(spec.mentions),
          historyLimit: spec.historyLimit ?? null,
          timeStyle: spec.timeStyle,
          parsedBy: spec.parsedBy,
          nextDueAt: spec.nextDueAt,
          now,
        });
      const record = this.get(spec.id);
      if (record === undefined) throw new Error(`schedule ${spec.id} vanished after insert`);
      return { kind: 'created', record };
    })();
  }

  get(id: string): ScheduleRecord | undefined {
    const row = this.db
      .prepare<[string], ScheduleRow>('SELECT * FROM schedules WHERE id = ?')
      .get(id);
    return row === undefined ? undefined : toRecord(row);
  }

  /** Active schedules of `roomId`, soonest first. */
  listActive(roomId: string): ScheduleRecord[] {
    return this.db
      .prepare<[string], ScheduleRow>(
        `SELECT * FROM schedules WHERE room_id = ? AND state = 'active'
         ORDER BY next_due_at, created_at`,
      )
      .all(roomId)
      .map(toRecord);
  }

  /** Number of active schedules, of one creator and/or in one room. */
  countActive(filter: { readonly createdBy?: string; readonly roomId?: string }): number {
    const row = this.db
      .prepare<[{ createdBy: string | null; roomId: string | null }], { n: number }>(
        `SELECT COUNT(*) AS n FROM schedules WHERE state = 'active'
           AND (@createdBy IS NULL OR created_by = @createdBy)
           AND (@roomId IS NULL OR room_id = @roomId)`,
      )
      .get({ createdBy: filter.createdBy ?? null, roomId: filter.roomId ?? null });
    return row?.n ?? 0;
  }

  /** Changes an active schedule; resolves with the new record, or `undefined` when it is not active. */
  update(id: string, changes: ScheduleChanges): ScheduleRecord | undefined {
    const current = this.get(id);
    if (current?.state !== 'active') return undefined;
    const timing = changes.timing ?? current.timing;
    const result = this.db
      .prepare(
        `UPDATE schedules SET kind = @kind, at_ms = @atMs, cron = @cron, timezone = @timezone,
           message = @message, description = @description, mentions = @mentions,
           history_limit = @historyLimit, time_style = @timeStyle, parsed_by = @parsedBy,
           next_due_at = @nextDueAt, updated_at = @now
         WHERE id = @id AND state = 'active'`,
      )
      .run({
        id,
        ...timingColumns(timing),
        timezone: changes.timezone ?? current.timezone,
        message: changes.message ?? current.message,
        description: changes.description ?? current.description,
        mentions: JSON.stringify(changes.mentions ?? current.mentions),
        historyLimit:
          ('historyLimit' in changes ? changes.historyLimit : current.historyLimit) ?? null,
        timeStyle: changes.timeStyle ?? current.timeStyle,
        parsedBy: changes.parsedBy ?? current.parsedBy,
        nextDueAt: changes.nextDueAt ?? current.nextDueAt ?? null,
        now: this.now(),
      });
    return result.changes === 1 ? this.get(id) : undefined;
  }

  /** Ends an active schedule (`cancelled`, `failed`, …) with a reason; false when it was not active. */
  end(id: string, state: Exclude<ScheduleState, 'active'>, reason: string): boolean {
    return (
      this.db
        .prepare(
          `UPDATE schedules SET state = ?, end_reason = ?, next_due_at = NULL, updated_at = ?
           WHERE id = ? AND state = 'active'`,
        )
        .run(state, reason, this.now(), id).changes === 1
    );
  }

  /**
   * Cancels every active schedule in `roomId` (only those made by `createdBy`, when given) and
   * returns their ids.
   */
  cancelAllInRoom(roomId: string, createdBy: string | undefined, reason: string): string[] {
    return this.db.transaction(() => {
      const ids = this.db
        .prepare<[{ roomId: string; createdBy: string | null }], { id: string }>(
          `SELECT id FROM schedules WHERE room_id = @roomId AND state = 'active'
             AND (@createdBy IS NULL OR created_by = @createdBy) ORDER BY next_due_at`,
        )
        .all({ roomId, createdBy: createdBy ?? null })
        .map((row) => row.id);
      for (const id of ids) this.end(id, 'cancelled', reason);
      return ids;
    })();
  }

  /** The earliest next due time of any active schedule. */
  earliestDue(): number | undefined {
    const row = this.db
      .prepare<[], { at: number | null }>(
        `SELECT MIN(next_due_at) AS at FROM schedules WHERE state = 'active'`,
      )
      .get();
    return row?.at ?? undefined;
  }

  /** Active schedules due at or before `nowMs`, earliest first, at most `limit`. */
  due(nowMs: number, limit: number): ScheduleRecord[] {
    return this.db
      .prepare<[number, number], ScheduleRow>(
        `SELECT * FROM schedules WHERE state = 'active' AND next_due_at <= ?
         ORDER BY next_due_at, id LIMIT ?`,
      )
      .all(nowMs, limit)
      .map(toRecord);
  }

  /**
   * Records the (schedule, due time) and advances the schedule in one transaction. `stale` when
   * the schedule is no longer active at `expectedNextDueAt` (edited or cancelled meanwhile);
   * `duplicate` when that due time was already claimed (the schedule is still advanced).
   */
  claim(claim: FireClaim): ClaimOutcome {
    return this.db.transaction((): ClaimOutcome => {
      const current = this.get(claim.scheduleId);
      if (current?.state !== 'active' || current.nextDueAt !== claim.expectedNextDueAt) {
        return 'stale';
      }
      const now = this.now();
      const inserted = this.db
        .prepare(
          `INSERT INTO schedule_fires (id, schedule_id, due_at, kind, state, payload, claimed_at)
           VALUES (?, ?, ?, ?, 'claimed', ?, ?)
           ON CONFLICT (schedule_id, due_at) DO NOTHING`,
        )
        .run(
          fireIdOf(claim.scheduleId, claim.dueAt),
          claim.scheduleId,
          claim.dueAt,
          claim.kind,
          JSON.stringify(claim.payload),
          now,
        ).changes;
      const advance = claim.advance;
      const isFire = inserted === 1 && claim.kind === 'fire' ? 1 : 0;
      if (advance.state === 'active') {
        this.db
          .prepare(
            `UPDATE schedules SET next_due_at = ?, last_due_at = ?, fire_count = fire_count + ?,
               updated_at = ? WHERE id = ?`,
          )
          .run(advance.nextDueAt, claim.dueAt, isFire, now, claim.scheduleId);
      } else {
        this.db
          .prepare(
            `UPDATE schedules SET state = ?, end_reason = ?, next_due_at = NULL, last_due_at = ?,
               fire_count = fire_count + ?, updated_at = ? WHERE id = ?`,
          )
          .run(advance.state, advance.reason, claim.dueAt, isFire, now, claim.scheduleId);
      }
      return inserted === 1 ? 'claimed' : 'duplicate';
    })();
  }

  getFire(id: string): FireRecord | undefined {
    const row = this.db
      .prepare<[string], FireRow>('SELECT * FROM schedule_fires WHERE id = ?')
      .get(id);
    return row === undefined ? undefined : toFire(row);
  }

  /** Fires and notices claimed but not yet delivered, oldest due time first. */
  undelivered(): FireRecord[] {
    return this.db
      .prepare<[], FireRow>(
        `SELECT * FROM schedule_fires WHERE state = 'claimed' ORDER BY due_at, id`,
      )
      .all()
      .map(toFire);
  }

  /** Fires of one schedule, oldest first (for tests and diagnostics). */
  firesOf(scheduleId: string): FireRecord[] {
    return this.db
      .prepare<[string], FireRow>(
        'SELECT * FROM schedule_fires WHERE schedule_id = ? ORDER BY due_at',
      )
      .all(scheduleId)
      .map(toFire);
  }

  /** Marks a claimed fire delivered; false when it was not claimed (already delivered or failed). */
  markDelivered(fireId: string): boolean {
    return (
      this.db
        .prepare(
          `UPDATE schedule_fires SET state = 'delivered', delivered_at = ?, attempts = attempts + 1
           WHERE id = ? AND state = 'claimed'`,
        )
        .run(this.now(), fireId).changes === 1
    );
  }

  /** Counts a failed delivery attempt (the fire stays claimed, to be tried again). */
  recordAttempt(fireId: string, error: string): void {
    this.db
      .prepare(
        `UPDATE schedule_fires SET attempts = attempts + 1, last_error = ?
         WHERE id = ? AND state = 'claimed'`,
      )
      .run(error.slice(0, 500), fireId);
  }

  /** Gives up delivering a claimed fire. */
  markFailed(fireId: string, error: string): boolean {
    return (
      this.db
        .prepare(
          `UPDATE schedule_fires SET state = 'failed', last_error = ?
           WHERE id = ? AND state = 'claimed'`,
        )
        .run(error.slice(0, 500), fireId).changes === 1
    );
  }

  /**
   * Deletes ended schedules last changed before `beforeMs`, and delivered or failed fires
   * claimed before it (claimed-but-undelivered fires are kept). Returns how many went.
   */
  prune(beforeMs: number): { readonly schedules: number; readonly fires: number } {
    return this.db.transaction(() => {
      const fires = this.db
        .prepare(`DELETE FROM schedule_fires WHERE claimed_at < ? AND state != 'claimed'`)
        .run(beforeMs).changes;
      const schedules = this.db
        .prepare(
          `DELETE FROM schedules WHERE state != 'active' AND updated_at < ?
             AND id NOT IN (SELECT schedule_id FROM schedule_fires WHERE state = 'claimed')`,
        )
        .run(beforeMs).changes;
      return { schedules, fires };
    })();
  }
}

function timingColumns(timing: StoredTiming): {
  kind: 'once' | 'cron';
  atMs: number | null;
  cron: string | null;
} {
  return timing.kind === 'once'
    ? { kind: 'once', atMs: timing.atMs, cron: null }
    : { kind: 'cron', atMs: null, cron: timing.cron };
}
