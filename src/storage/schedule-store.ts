import type { Db } from './database.js';
import {
  fireIdOf,
  toFire,
  toRecord,
  type ClaimOutcome,
  type FireBinding,
  type FireClaim,
  type FireRecord,
  type FireRow,
  type InsertScheduleOutcome,
  type NewSchedule,
  type ScheduleChanges,
  type ScheduleLimits,
  type ScheduleRecord,
  type ScheduleRow,
  type ScheduleState,
  type StoredTiming,
} from './schedule-records.js';

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

  /** The schedule `id`, in any state. */
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

  /** The fire or notice `id` (`<scheduleId>@<dueAt>`). */
  getFire(id: string): FireRecord | undefined {
    const row = this.db
      .prepare<[string], FireRow>('SELECT * FROM schedule_fires WHERE id = ?')
      .get(id);
    return row === undefined ? undefined : toFire(row);
  }

  /**
   * Binds fire `fireId` to the Matrix event `eventId` it was posted as, unless another event
   * is bound already: dispatch calls it before deciding on a posted fire, so exactly one event
   * per fire is ever acted on. A fire that is not a `fire` (a notice) is `unknown`.
   */
  bindFireEvent(fireId: string, eventId: string): FireBinding {
    return this.db.transaction((): FireBinding => {
      const fire = this.getFire(fireId);
      if (fire?.kind !== 'fire') return 'unknown';
      if (fire.eventId !== undefined) return fire.eventId === eventId ? 'same' : 'other';
      // Another fire bound to this event (a forged or corrupted marker): never share an event.
      if (this.fireByEvent(eventId) !== undefined) return 'other';
      this.db
        .prepare('UPDATE schedule_fires SET event_id = ? WHERE id = ? AND event_id IS NULL')
        .run(eventId, fireId);
      return 'bound';
    })();
  }

  /** The fire bound to the Matrix event `eventId`, if any. */
  fireByEvent(eventId: string): FireRecord | undefined {
    const row = this.db
      .prepare<[string], FireRow>('SELECT * FROM schedule_fires WHERE event_id = ?')
      .get(eventId);
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
