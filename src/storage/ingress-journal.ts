import type { Db } from './database.js';

/** A sync token of a batch with nothing new is written at least this often. */
const TOKEN_SAVE_INTERVAL_MS = 30_000;

/** The subset of a Matrix event the journal stores (structurally a matrix RawEvent). */
export interface JournalEventInput {
  readonly event_id: string;
  readonly sender: string;
  readonly type: string;
  readonly origin_server_ts: number;
  readonly content: Readonly<Record<string, unknown>>;
  readonly state_key?: string;
  readonly redacts?: string;
  readonly unsigned?: Readonly<Record<string, unknown>>;
}

/** One event offered for admission, with its relations already read off the content. */
export interface Admission {
  readonly roomId: string;
  readonly event: JournalEventInput;
  readonly threadRoot: string | undefined;
  readonly relatesTo: string | undefined;
  readonly relType: string | undefined;
  /** History is recorded (for context and dedupe) but never acted on. */
  readonly isHistory: boolean;
  /**
   * Store only the event's identity and relations, not its content: used for other
   * bots' half-finished streaming edits, which are never read back.
   */
  readonly isContentless?: boolean;
}

/** An admitted event as read back from the journal. */
export interface JournalEntry {
  readonly eventId: string;
  readonly roomId: string;
  readonly sender: string;
  readonly type: string;
  readonly originTs: number;
  readonly threadRoot: string | undefined;
  readonly relatesTo: string | undefined;
  readonly relType: string | undefined;
  readonly event: JournalEventInput;
  readonly isHistory: boolean;
  readonly decision: string | undefined;
}

interface JournalRow {
  event_id: string;
  room_id: string;
  sender: string;
  type: string;
  origin_ts: number;
  thread_root: string | null;
  relates_to: string | null;
  rel_type: string | null;
  json: string;
  is_history: number;
  decision: string | null;
}

function toEntry(row: JournalRow): JournalEntry {
  return {
    eventId: row.event_id,
    roomId: row.room_id,
    sender: row.sender,
    type: row.type,
    originTs: row.origin_ts,
    threadRoot: row.thread_root ?? undefined,
    relatesTo: row.relates_to ?? undefined,
    relType: row.rel_type ?? undefined,
    event: JSON.parse(row.json) as JournalEventInput,
    isHistory: row.is_history === 1,
    decision: row.decision ?? undefined,
  };
}

/**
 * The event as stored once redacted: the envelope and relations stay (threads keep their
 * shape), the content goes, and `unsigned.redacted_because` names the redaction, as a
 * homeserver serves a redacted event.
 */
function redactedCopy(event: JournalEventInput, redactionId: string): JournalEventInput {
  return { ...event, content: {}, unsigned: { redacted_because: { event_id: redactionId } } };
}

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
  /** Tokens of batches with nothing new, not yet written (see `admit`). */
  private readonly pendingTokens = new Map<string, string>();
  private readonly tokenSavedAt = new Map<string, number>();
  private readonly insert;
  private readonly saveToken;
  private readonly redactionOf;
  private readonly redactable;
  private readonly rewrite;
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
    this.redactionOf = db.prepare<[string], { event_id: string }>(
      `SELECT event_id FROM journal WHERE relates_to = ? AND rel_type = 'm.redaction' LIMIT 1`,
    );
    this.redactable = db.prepare<[string, string], { event_id: string; json: string }>(
      `SELECT event_id, json FROM journal
       WHERE event_id = ? OR (relates_to = ? AND rel_type = 'm.replace')`,
    );
    this.rewrite = db.prepare('UPDATE journal SET json = ? WHERE event_id = ?');
    this.saveToken = db.prepare(
      `INSERT INTO sync_tokens (bot, next_batch, updated_at) VALUES (?, ?, ?)
       ON CONFLICT(bot) DO UPDATE SET next_batch = excluded.next_batch, updated_at = excluded.updated_at`,
    );
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
        if (nextBatch !== undefined) this.keepToken(bot, nextBatch, now, admitted.length > 0);
        return admitted;
      },
    );
  }

  /** Stores one event (with a redaction already seen applied); [] when it was admitted before. */
  private admitOne(bot: string, admission: Admission, now: number): JournalEntry[] {
    const { event } = admission;
    const stored = this.storedForm(admission);
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
      this.redact(admission.relatesTo, event.event_id);
    }
    return [
      {
        eventId: event.event_id,
        roomId: admission.roomId,
        sender: event.sender,
        type: event.type,
        originTs: event.origin_server_ts,
        threadRoot: admission.threadRoot,
        relatesTo: admission.relatesTo,
        relType: admission.relType,
        event: stored,
        isHistory: admission.isHistory,
        decision: undefined,
      },
    ];
  }

  /**
   * A batch that brought nothing new (every event was admitted by another bot) needs no
   * durable write: its token is kept in memory and saved with the next new event, at least
   * every TOKEN_SAVE_INTERVAL_MS, or on flush. Replaying it after a crash only re-delivers
   * events the journal already holds. This spares one fsync per bot per event in rooms with
   * several bots.
   */
  private keepToken(bot: string, nextBatch: string, now: number, hasNewEvents: boolean): void {
    const lastSaved = this.tokenSavedAt.get(bot) ?? 0;
    if (hasNewEvents || now - lastSaved >= TOKEN_SAVE_INTERVAL_MS) {
      this.saveToken.run(bot, nextBatch, now);
      this.tokenSavedAt.set(bot, now);
      this.pendingTokens.delete(bot);
    } else {
      this.pendingTokens.set(bot, nextBatch);
    }
  }

  /**
   * What the journal keeps of an event: its content, none for a content-less admission, and
   * none (with the redaction noted) when a redaction of it (or of an edit's target) is known.
   */
  private storedForm(admission: Admission): JournalEventInput {
    const { event } = admission;
    const redactedBy = this.earlierRedaction(admission);
    if (redactedBy !== undefined) return redactedCopy(event, redactedBy);
    return admission.isContentless ? { ...event, content: {} } : event;
  }

  /** The redaction already admitted for this event (or, for an edit, for its target). */
  private earlierRedaction(admission: Admission): string | undefined {
    if (admission.relType === 'm.redaction' || admission.event.state_key !== undefined) {
      return undefined;
    }
    const own = this.redactionOf.get(admission.event.event_id)?.event_id;
    if (own !== undefined || admission.relType !== 'm.replace' || admission.relatesTo === undefined)
      return own;
    return this.redactionOf.get(admission.relatesTo)?.event_id;
  }

  /** Removes the content of `targetId` and of its edits (state events keep theirs). */
  private redact(targetId: string, redactionId: string): void {
    for (const row of this.redactable.all(targetId, targetId)) {
      const event = JSON.parse(row.json) as JournalEventInput;
      if (event.state_key !== undefined) continue;
      this.rewrite.run(JSON.stringify(redactedCopy(event, redactionId)), row.event_id);
    }
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
    const stored = this.storedForm(admission);
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
    const pending = this.pendingTokens.get(bot);
    if (pending === undefined) return;
    const now = this.now();
    this.saveToken.run(bot, pending, now);
    this.tokenSavedAt.set(bot, now);
    this.pendingTokens.delete(bot);
  }

  /** The token `bot`'s next sync resumes from (a pending in-memory one first). */
  syncToken(bot: string): string | undefined {
    const pending = this.pendingTokens.get(bot);
    if (pending !== undefined) return pending;
    const row = this.db
      .prepare<[string], { next_batch: string }>('SELECT next_batch FROM sync_tokens WHERE bot = ?')
      .get(bot);
    return row?.next_batch;
  }

  get(eventId: string): JournalEntry | undefined {
    const row = this.db
      .prepare<[string], JournalRow>('SELECT * FROM journal WHERE event_id = ?')
      .get(eventId);
    return row === undefined ? undefined : toEntry(row);
  }

  /** The id of the redaction of `eventId`, when one was admitted. */
  redactedBy(eventId: string): string | undefined {
    return this.redactionOf.get(eventId)?.event_id;
  }

  /** Records that the dispatcher decided about `eventId` (so a restart does not decide again). */
  markDecided(eventId: string, decision: string): void {
    this.relaxedDb
      .prepare('UPDATE journal SET decided_at = ?, decision = ? WHERE event_id = ?')
      .run(this.now(), decision, eventId);
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

  /** Deletes events admitted before `beforeMs`; returns how many were removed. */
  prune(beforeMs: number): number {
    return this.db.prepare('DELETE FROM journal WHERE admitted_at < ?').run(beforeMs).changes;
  }
}
