/**
 * Read-only queries on the ingress journal: one event, undecided leftovers, a thread, a
 * room's recent messages, relations and thread senders.
 */
import type { Db } from './database.js';
import { toEntry, type JournalEntry, type JournalRow } from './journal-records.js';

/** Reads of the `journal` table. */
export class JournalQueries {
  constructor(private readonly db: Db) {}

  /** The admitted event `eventId`, if the journal holds it. */
  get(eventId: string): JournalEntry | undefined {
    const row = this.db
      .prepare<[string], JournalRow>('SELECT * FROM journal WHERE event_id = ?')
      .get(eventId);
    return row === undefined ? undefined : toEntry(row);
  }

  /** Admitted, actionable events with no decision yet (left over by a crash), oldest first. */
  listUndecided(): JournalEntry[] {
    return this.db
      .prepare<[], JournalRow>(
        'SELECT * FROM journal WHERE decided_at IS NULL AND is_history = 0 ORDER BY admitted_at, origin_ts',
      )
      .all()
      .map(toEntry);
  }

  /** The thread's root and every event in it, oldest first (at most `limit`, the newest ones). */
  thread(roomId: string, rootId: string, limit: number): JournalEntry[] {
    return this.db
      .prepare<[string, string, string, number], JournalRow>(
        `SELECT * FROM (
           SELECT * FROM journal WHERE room_id = ? AND (event_id = ? OR thread_root = ?)
           ORDER BY origin_ts DESC LIMIT ?
         ) ORDER BY origin_ts ASC`,
      )
      .all(roomId, rootId, rootId, limit)
      .map(toEntry);
  }

  /** The room's latest messages (not edits), oldest first, at most `limit`. */
  recentMessages(roomId: string, limit: number): JournalEntry[] {
    return this.db
      .prepare<[string, number], JournalRow>(
        `SELECT * FROM (
           SELECT * FROM journal WHERE room_id = ? AND type = 'm.room.message'
             AND (rel_type IS NULL OR rel_type != 'm.replace')
           ORDER BY origin_ts DESC LIMIT ?
         ) ORDER BY origin_ts ASC`,
      )
      .all(roomId, limit)
      .map(toEntry);
  }

  /** Events that relate to `targetId` (edits, reactions), oldest first. */
  related(targetId: string, relType?: string): JournalEntry[] {
    const rows =
      relType === undefined
        ? this.db
            .prepare<[string], JournalRow>(
              'SELECT * FROM journal WHERE relates_to = ? ORDER BY origin_ts',
            )
            .all(targetId)
        : this.db
            .prepare<[string, string], JournalRow>(
              'SELECT * FROM journal WHERE relates_to = ? AND rel_type = ? ORDER BY origin_ts',
            )
            .all(targetId, relType);
    return rows.map(toEntry);
  }

  /** Distinct senders of message events in a thread (root included). */
  threadSenders(roomId: string, rootId: string): string[] {
    return this.db
      .prepare<[string, string, string], { sender: string }>(
        `SELECT DISTINCT sender FROM journal
         WHERE room_id = ? AND (event_id = ? OR thread_root = ?) AND type = 'm.room.message'`,
      )
      .all(roomId, rootId, rootId)
      .map((row) => row.sender);
  }
}
