/**
 * The ingress journal repository: admits each event once and advances the delivering bot's
 * sync token in the same transaction, replaces events held encrypted, and records decisions.
 * Record shapes (journal-records.ts), redactions (journal-redactions.ts), sync tokens
 * (sync-token-keeper.ts) and reads (journal-queries.ts) live beside it.
 */
import type { Db } from './database.js';
import { JournalQueries } from './journal-queries.js';
import { admittedEntry, type Admission, type JournalEntry } from './journal-records.js';
import { JournalRedactions } from './journal-redactions.js';
import { SyncTokenKeeper } from './sync-token-keeper.js';

/**
 * The ingress journal: admits each event once, whichever bot's sync delivered it first, and
 * advances that bot's sync token in the same transaction, so a crash can neither skip an
 * event (token saved, event lost) nor act on one twice (event admitted twice).
 *
 * A redaction removes the content of the event it redacts, and of that event's edits, in the
 * same transaction that admits it (and an event whose redaction arrived first is stored
 * without content), so redacted text never reaches history, a prompt or the router again.
 * State events keep their content (membership is not text anyone reads back).
 */
export class IngressJournal {
  private readonly tokens: SyncTokenKeeper;
  private readonly redactions: JournalRedactions;
  private readonly queries: JournalQueries;
  private readonly insert;
  private readonly admitTransaction;

  /**
   * @param relaxedDb a connection without fsync per commit, for decision marks: a lost mark
   *   only makes a restart decide the event again, which its turn claim keeps idempotent.
   */
  constructor(
    private readonly db: Db,
    private readonly now: () => number,
    private readonly relaxedDb: Db = db,
  ) {
    this.insert = db.prepare(
      `INSERT OR IGNORE INTO journal
         (event_id, room_id, sender, type, origin_ts, thread_root, relates_to, rel_type, json, admitted_at, admitted_by, is_history)
       VALUES (@eventId, @roomId, @sender, @type, @originTs, @threadRoot, @relatesTo, @relType, @json, @now, @bot, @isHistory)`,
    );
    this.redactions = new JournalRedactions(db);
    this.tokens = new SyncTokenKeeper(db, now);
    this.queries = new JournalQueries(db);
    this.admitTransaction = db.transaction(
      (
        bot: string,
        nextBatch: string | undefined,
        admissions: readonly Admission[],
        replacements: readonly Admission[],
      ) => {
        const now = this.now();
        const admitted: JournalEntry[] = [];
        for (const replacement of replacements) {
          const replaced = this.replaceEncrypted(replacement);
          if (replaced !== undefined) admitted.push(replaced);
        }
        admitted.push(...admissions.flatMap((admission) => this.admitOne(bot, admission, now)));
        if (nextBatch !== undefined) this.tokens.keep(bot, nextBatch, now, admitted.length > 0);
        return admitted;
      },
    );
  }

  /** Stores one event (with a redaction already seen applied); [] when it was admitted before. */
  private admitOne(bot: string, admission: Admission, now: number): JournalEntry[] {
    const { event } = admission;
    const stored = this.redactions.storedForm(admission);
    const result = this.insert.run({
      eventId: event.event_id,
      roomId: admission.roomId,
      sender: event.sender,
      type: event.type,
      originTs: event.origin_server_ts,
      threadRoot: admission.threadRoot ?? null,
      relatesTo: admission.relatesTo ?? null,
      relType: admission.relType ?? null,
      json: JSON.stringify(stored),
      now,
      bot,
      isHistory: admission.isHistory ? 1 : 0,
    });
    if (result.changes !== 1) return [];
    if (admission.relType === 'm.redaction' && admission.relatesTo !== undefined) {
      this.redactions.redact(admission.relatesTo, event.event_id);
    }
    return [admittedEntry(admission, stored)];
  }

  /**
   * Durably admits `admissions` and (when given) stores `nextBatch` as `bot`'s sync token,
   * atomically. `replacements` are decrypted forms of events held encrypted (see
   * `replaceEncrypted`), applied in the same transaction. Returns the entries that were new
   * (not admitted before by any bot) or replaced, replacements first, in order.
   */
  admit(
    bot: string,
    nextBatch: string | undefined,
    admissions: readonly Admission[],
    replacements: readonly Admission[] = [],
  ): JournalEntry[] {
    return this.admitTransaction(bot, nextBatch, admissions, replacements);
  }

  /**
   * Replaces an event the journal holds still encrypted (`m.room.encrypted`: its room key had
   * not arrived) by its decrypted form, and clears any decision so it is decided again.
   * Returns the updated entry, or `undefined` when the journal does not hold the event
   * encrypted (unknown, or another bot already replaced it): exactly one caller gets it.
   */
  replaceEncrypted(admission: Admission): JournalEntry | undefined {
    const { event } = admission;
    // A redaction that arrived while the event waited for its key wins: no content is kept.
    const stored = this.redactions.storedForm(admission);
    const changes = this.db
      .prepare(
        `UPDATE journal SET type = @type, thread_root = @threadRoot, relates_to = @relatesTo,
           rel_type = @relType, json = @json, is_history = @isHistory,
           decided_at = NULL, decision = NULL
         WHERE event_id = @eventId AND type = 'm.room.encrypted'`,
      )
      .run({
        eventId: event.event_id,
        type: event.type,
        threadRoot: admission.threadRoot ?? null,
        relatesTo: admission.relatesTo ?? null,
        relType: admission.relType ?? null,
        json: JSON.stringify(stored),
        isHistory: admission.isHistory ? 1 : 0,
      }).changes;
    return changes === 1 ? this.get(event.event_id) : undefined;
  }

  /**
   * Claims the one note Quorum posts about messages it cannot decrypt: true for the first
   * still-encrypted event of a thread (`threadRoot`), or of the room's main timeline within
   * `windowMs`, whose claim lands; false for later ones and for an event that is no longer
   * encrypted. The claimed event's decision becomes `undecryptable`.
   */
  claimUndecryptableNote(
    eventId: string,
    roomId: string,
    threadRoot: string | undefined,
    windowMs: number,
  ): boolean {
    return this.db.transaction(() => {
      const noted =
        threadRoot === undefined
          ? this.db
              .prepare<[string, number], { n: number }>(
                `SELECT COUNT(*) AS n FROM journal WHERE room_id = ? AND thread_root IS NULL
                   AND decision = 'undecryptable' AND decided_at > ?`,
              )
              .get(roomId, this.now() - windowMs)
          : this.db
              .prepare<[string, string, string], { n: number }>(
                `SELECT COUNT(*) AS n FROM journal WHERE room_id = ? AND decision = 'undecryptable'
                   AND (event_id = ? OR thread_root = ?)`,
              )
              .get(roomId, threadRoot, threadRoot);
      if ((noted?.n ?? 0) > 0) return false;
      return (
        this.db
          .prepare(
            `UPDATE journal SET decision = 'undecryptable', decided_at = ?
             WHERE event_id = ? AND type = 'm.room.encrypted'
               AND (decision IS NULL OR decision != 'undecryptable')`,
          )
          .run(this.now(), eventId).changes === 1
      );
    })();
  }

  /** Writes `bot`'s in-memory sync token, if any (when its sync loop stops). */
  flushSyncToken(bot: string): void {
    this.tokens.flush(bot);
  }

  /** The token `bot`'s next sync resumes from (a pending in-memory one first). */
  syncToken(bot: string): string | undefined {
    return this.tokens.token(bot);
  }

  /** The admitted event `eventId`, if the journal holds it. */
  get(eventId: string): JournalEntry | undefined {
    return this.queries.get(eventId);
  }

  /** The id of the redaction of `eventId`, when one was admitted. */
  redactedBy(eventId: string): string | undefined {
    return this.redactions.redactedBy(eventId);
  }

  /** Records that the dispatcher decided about `eventId` (so a restart does not decide again). */
  markDecided(eventId: string, decision: string): void {
    this.relaxedDb
      .prepare('UPDATE journal SET decided_at = ?, decision = ? WHERE event_id = ?')
      .run(this.now(), decision, eventId);
  }

  /** Admitted, actionable events with no decision yet (left over by a crash), oldest first. */
  listUndecided(): JournalEntry[] {
    return this.queries.listUndecided();
  }

  /** The thread's root and every event in it, oldest first (at most `limit`, the newest ones). */
  thread(roomId: string, rootId: string, limit: number): JournalEntry[] {
    return this.queries.thread(roomId, rootId, limit);
  }

  /** The room's latest messages (not edits), oldest first, at most `limit`. */
  recentMessages(roomId: string, limit: number): JournalEntry[] {
    return this.queries.recentMessages(roomId, limit);
  }

  /** Events that relate to `targetId` (edits, reactions), oldest first. */
  related(targetId: string, relType?: string): JournalEntry[] {
    return this.queries.related(targetId, relType);
  }

  /** Distinct senders of message events in a thread (root included). */
  threadSenders(roomId: string, rootId: string): string[] {
    return this.queries.threadSenders(roomId, rootId);
  }

  /** Deletes events admitted before `beforeMs`; returns how many were removed. */
  prune(beforeMs: number): number {
    return this.db.prepare('DELETE FROM journal WHERE admitted_at < ?').run(beforeMs).changes;
  }
}
