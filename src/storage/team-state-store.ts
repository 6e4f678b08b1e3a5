import type { Db } from './database.js';

/** What a team knows about one conversation: its topic, decisions made and open questions. */
export interface TeamStateSnapshot {
  readonly topic: string;
  /** Oldest first. */
  readonly decisions: readonly string[];
  /** Oldest first. */
  readonly openQuestions: readonly string[];
}

/** A stored {@link TeamStateSnapshot} with where it belongs and when it was written. */
export interface StoredTeamState extends TeamStateSnapshot {
  readonly roomId: string;
  readonly threadRoot: string;
  /** Milliseconds since the epoch (the store's clock). */
  readonly updatedAt: number;
}

interface Row {
  room_id: string;
  thread_root: string;
  topic: string;
  decisions: string;
  open_questions: string;
  updated_at: number;
}

/** Team state per (room, thread); one row each, replaced on every save. */
export class TeamStateStore {
  constructor(
    private readonly db: Db,
    private readonly now: () => number,
  ) {}

  /** The state of this room and thread, or undefined when none was saved. */
  get(roomId: string, threadRoot: string): StoredTeamState | undefined {
    const row = this.db
      .prepare<[string, string], Row>(
        'SELECT * FROM team_state WHERE room_id = ? AND thread_root = ?',
      )
      .get(roomId, threadRoot);
    if (row === undefined) return undefined;
    return {
      roomId: row.room_id,
      threadRoot: row.thread_root,
      topic: row.topic,
      decisions: stringList(row.decisions),
      openQuestions: stringList(row.open_questions),
      updatedAt: row.updated_at,
    };
  }

  /** Replaces the state of this room and thread, stamped with the store's clock. */
  save(roomId: string, threadRoot: string, state: TeamStateSnapshot): void {
    this.db
      .prepare(
        `INSERT INTO team_state (room_id, thread_root, topic, decisions, open_questions, updated_at)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(room_id, thread_root) DO UPDATE SET topic = excluded.topic,
           decisions = excluded.decisions, open_questions = excluded.open_questions,
           updated_at = excluded.updated_at`,
      )
      .run(
        roomId,
        threadRoot,
        state.topic,
        JSON.stringify(state.decisions),
        JSON.stringify(state.openQuestions),
        this.now(),
      );
  }

  /** Forgets the state of this room and thread. */
  delete(roomId: string, threadRoot: string): void {
    this.db
      .prepare('DELETE FROM team_state WHERE room_id = ? AND thread_root = ?')
      .run(roomId, threadRoot);
  }
}

/** A stored JSON list of strings; anything else (a hand-edited row) reads as empty. */
function stringList(json: string): string[] {
  try {
    const value: unknown = JSON.parse(json);
    return Array.isArray(value)
      ? value.filter((item): item is string => typeof item === 'string')
      : [];
  } catch {
    return [];
  }
}
