import type { Db } from './database.js';

/**
 * Turn states.
 * - `claimed`: the responder owns the source event; nothing sent yet.
 * - `replying`: a reply event exists and its text is not final yet.
 * - `completed` | `stopped` | `failed` | `interrupted`: the reply's text is final
 *   (answered; stopped by the person; a clear error; cut short by shutdown).
 */
export type TurnState = 'claimed' | 'replying' | 'completed' | 'stopped' | 'failed' | 'interrupted';

export const OPEN_TURN_STATES: readonly TurnState[] = ['claimed', 'replying'];

export interface TurnRecord {
  readonly responder: string;
  readonly sourceEventId: string;
  readonly roomId: string;
  readonly threadRoot: string;
  readonly requester: string;
  readonly state: TurnState;
  readonly replyEventId: string | undefined;
  /** The event whose text was answered: the source itself or its latest edit. */
  readonly sourceVersion: string;
  /** Bumped each time the reply is regenerated (edit of the source). */
  readonly generation: number;
  readonly model: string | undefined;
  readonly createdAt: number;
  readonly updatedAt: number;
}

interface TurnRow {
  responder: string;
  source_event_id: string;
  room_id: string;
  thread_root: string;
  requester: string;
  state: TurnState;
  reply_event_id: string | null;
  source_version: string;
  generation: number;
  model: string | null;
  created_at: number;
  updated_at: number;
}

function toRecord(row: TurnRow): TurnRecord {
  return {
    responder: row.responder,
    sourceEventId: row.source_event_id,
    roomId: row.room_id,
    threadRoot: row.thread_root,
    requester: row.requester,
    state: row.state,
    replyEventId: row.reply_event_id ?? undefined,
    sourceVersion: row.source_version,
    generation: row.generation,
    model: row.model ?? undefined,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export interface ClaimInput {
  readonly responder: string;
  readonly sourceEventId: string;
  readonly roomId: string;
  readonly threadRoot: string;
  readonly requester: string;
  readonly sourceVersion: string;
}

/**
 * The persistent ResponseTracker: at most one turn per (responder, source event), across
 * reconnects, restarts and crashes. A claim is durable before anything is sent.
 */
export class ResponseTracker {
  /** @param relaxedDb a connection without fsync per commit, for the informational model id. */
  constructor(
    private readonly db: Db,
    private readonly now: () => number,
    private readonly relaxedDb: Db = db,
  ) {}

  /** Claims the source event for the responder: `duplicate` when a turn already exists. */
  claim(input: ClaimInput): 'claimed' | 'duplicate' {
    const now = this.now();
    const result = this.db
      .prepare(
        `INSERT OR IGNORE INTO turns
           (responder, source_event_id, room_id, thread_root, requester, state, source_version, created_at, updated_at)
         VALUES (@responder, @sourceEventId, @roomId, @threadRoot, @requester, 'claimed', @sourceVersion, @now, @now)`,
      )
      .run({ ...input, now });
    return result.changes === 1 ? 'claimed' : 'duplicate';
  }

  get(responder: string, sourceEventId: string): TurnRecord | undefined {
    const row = this.db
      .prepare<[string, string], TurnRow>(
        'SELECT * FROM turns WHERE responder = ? AND source_event_id = ?',
      )
      .get(responder, sourceEventId);
    return row === undefined ? undefined : toRecord(row);
  }

  /** Every responder's turn for a source event. */
  forSource(sourceEventId: string): TurnRecord[] {
    return this.db
      .prepare<[string], TurnRow>(
        'SELECT * FROM turns WHERE source_event_id = ? ORDER BY created_at',
      )
      .all(sourceEventId)
      .map(toRecord);
  }

  /** The turn whose reply is `replyEventId`, if any. */
  byReply(replyEventId: string): TurnRecord | undefined {
    const row = this.db
      .prepare<[string], TurnRow>('SELECT * FROM turns WHERE reply_event_id = ?')
      .get(replyEventId);
    return row === undefined ? undefined : toRecord(row);
  }

  /** Turns whose reply is not final: left over by a crash when read at boot. */
  listOpen(): TurnRecord[] {
    return this.db
      .prepare<[], TurnRow>(
        `SELECT * FROM turns WHERE state IN ('claimed', 'replying') ORDER BY created_at`,
      )
      .all()
      .map(toRecord);
  }

  /** Every turn in a thread, oldest first. */
  threadTurns(roomId: string, threadRoot: string): TurnRecord[] {
    return this.db
      .prepare<[string, string], TurnRow>(
        'SELECT * FROM turns WHERE room_id = ? AND thread_root = ? ORDER BY created_at',
      )
      .all(roomId, threadRoot)
      .map(toRecord);
  }

  /** Responders that have a turn in the thread, in order of their first turn. */
  threadResponders(roomId: string, threadRoot: string): string[] {
    return this.db
      .prepare<[string, string], { responder: string }>(
        `SELECT responder FROM turns WHERE room_id = ? AND thread_root = ?
         GROUP BY responder ORDER BY MIN(created_at)`,
      )
      .all(roomId, threadRoot)
      .map((row) => row.responder);
  }

  /** Deletes finished turns last updated before `beforeMs`; returns how many were removed. */
  pruneFinished(beforeMs: number): number {
    return this.db
      .prepare(`DELETE FROM turns WHERE updated_at < ? AND state NOT IN ('claimed', 'replying')`)
      .run(beforeMs).changes;
  }

  /** Records the reply event (first send) and moves the turn to `replying`. */
  recordReply(responder: string, sourceEventId: string, replyEventId: string): void {
    this.db
      .prepare(
        `UPDATE turns SET reply_event_id = ?, state = 'replying', updated_at = ?
         WHERE responder = ? AND source_event_id = ?`,
      )
      .run(replyEventId, this.now(), responder, sourceEventId);
  }

  /** Records which model answered. */
  recordModel(responder: string, sourceEventId: string, model: string): void {
    this.relaxedDb
      .prepare(
        'UPDATE turns SET model = ?, updated_at = ? WHERE responder = ? AND source_event_id = ?',
      )
      .run(model, this.now(), responder, sourceEventId);
  }

  /** Marks the reply's text final with `state`. */
  finish(
    responder: string,
    sourceEventId: string,
    state: Exclude<TurnState, 'claimed' | 'replying'>,
  ): void {
    this.db
      .prepare(
        'UPDATE turns SET state = ?, updated_at = ? WHERE responder = ? AND source_event_id = ?',
      )
      .run(state, this.now(), responder, sourceEventId);
  }

  /**
   * Reopens a turn to regenerate its reply for a new version of the source (an edit).
   * Keeps the reply event (it is edited in place) and returns the new generation.
   */
  reopen(responder: string, sourceEventId: string, sourceVersion: string): number {
    const now = this.now();
    this.db
      .prepare(
        `UPDATE turns SET source_version = ?, generation = generation + 1,
           state = CASE WHEN reply_event_id IS NULL THEN 'claimed' ELSE 'replying' END, updated_at = ?
         WHERE responder = ? AND source_event_id = ?`,
      )
      .run(sourceVersion, now, responder, sourceEventId);
    return this.get(responder, sourceEventId)?.generation ?? 0;
  }
}
