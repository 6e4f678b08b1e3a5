import { randomUUID } from 'node:crypto';
import type { Db } from './database.js';

/** What an interaction waits for: an answer, an approval, or a config confirmation. */
export type InteractionKind = 'question' | 'approval' | 'config_change';

/**
 * Interaction states. Every interaction starts `pending` and leaves it exactly once
 * ({@link InteractionStore.decide} or {@link InteractionStore.expireDue}):
 * - `answered` (question), `approved` (approval, config change), `denied`, `cancelled`,
 *   `expired`: decided.
 * - `executing`: an approved tool call or config write has started
 *   ({@link InteractionStore.markExecuting}); found at boot it means the outcome is unknown.
 * - `executed`: finished (or, for a question, its answer reached the turn).
 */
export type InteractionState =
  | 'pending'
  | 'answered'
  | 'approved'
  | 'denied'
  | 'cancelled'
  | 'expired'
  | 'executing'
  | 'executed';

/** The states `decide` may move a pending interaction to. */
export type InteractionDecision = 'answered' | 'approved' | 'denied' | 'cancelled' | 'expired';

/** `ask_user`: the question and its options, in the order shown (option 1 first). */
export interface QuestionPayload {
  readonly question: string;
  readonly options: readonly string[];
}

/** A tool call waiting for approval, with everything needed to run it after a restart. */
export interface ApprovalPayload {
  readonly toolName: string;
  /** The arguments as the model gave them (not redacted: the call runs with them). */
  readonly arguments: Readonly<Record<string, unknown>>;
  /** The model's tool call id, to give the result (or the denial) back to the right call. */
  readonly callId: string;
  /**
   * True once the arguments were posted in full below a card that had to shorten them
   * ({@link InteractionStore.markShownInFull}); only then may a shortened card be approved.
   */
  readonly isShownInFull?: boolean;
}

/** A config change waiting for confirmation: exactly the text that will be written. */
export interface ConfigChangePayload {
  readonly path: string;
  readonly operation: 'set' | 'unset';
  /** The value text for `set`, as given. */
  readonly value?: string;
  /** Hash of the file text the change was computed from; the write checks it. */
  readonly oldHash: string;
  readonly newHash: string;
  readonly newText: string;
}

/** Payload type per kind. */
export interface InteractionPayloads {
  readonly question: QuestionPayload;
  readonly approval: ApprovalPayload;
  readonly config_change: ConfigChangePayload;
}

/** `kind` with its matching `payload`. */
export type InteractionSpec = {
  readonly [K in InteractionKind]: { readonly kind: K; readonly payload: InteractionPayloads[K] };
}[InteractionKind];

/** What `create` needs. */
export type NewInteraction = InteractionSpec & {
  /** Defaults to a random UUID. */
  readonly id?: string;
  readonly roomId: string;
  readonly threadRoot?: string | undefined;
  /** The person who may decide (the person whose message started the turn or the command). */
  readonly requester: string;
  /** The entity that asks (agent, team or router name). */
  readonly responder: string;
  /** The source event of the paused turn, if a turn is paused on it. */
  readonly sourceEventId?: string | undefined;
  /** Epoch ms after which it expires. */
  readonly expiresAt: number;
};

/** One stored interaction. `answer` and `result` are whatever JSON the caller stored. */
export type InteractionRecord = InteractionSpec & {
  readonly id: string;
  readonly roomId: string;
  readonly threadRoot: string | undefined;
  readonly cardEventId: string | undefined;
  readonly requester: string;
  readonly responder: string;
  readonly sourceEventId: string | undefined;
  readonly state: InteractionState;
  readonly answer: unknown;
  readonly result: unknown;
  /** Event ids of the reactions Quorum itself added to the card (1️⃣ 2️⃣ …, ✅ ❌). */
  readonly quorumReactionIds: readonly string[];
  readonly decidingEventId: string | undefined;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly decidedAt: number | undefined;
  readonly updatedAt: number;
};

interface InteractionRow {
  id: string;
  kind: InteractionKind;
  room_id: string;
  thread_root: string | null;
  card_event_id: string | null;
  requester: string;
  responder: string;
  source_event_id: string | null;
  payload: string;
  state: InteractionState;
  answer: string | null;
  result: string | null;
  quorum_reactions: string;
  deciding_event_id: string | null;
  created_at: number;
  expires_at: number;
  decided_at: number | null;
  updated_at: number;
}

function toRecord(row: InteractionRow): InteractionRecord {
  return {
    id: row.id,
    // The kind column and the payload were written together by `create`.
    ...({ kind: row.kind, payload: JSON.parse(row.payload) as unknown } as InteractionSpec),
    roomId: row.room_id,
    threadRoot: row.thread_root ?? undefined,
    cardEventId: row.card_event_id ?? undefined,
    requester: row.requester,
    responder: row.responder,
    sourceEventId: row.source_event_id ?? undefined,
    state: row.state,
    answer: row.answer === null ? undefined : (JSON.parse(row.answer) as unknown),
    result: row.result === null ? undefined : (JSON.parse(row.result) as unknown),
    quorumReactionIds: JSON.parse(row.quorum_reactions) as string[],
    decidingEventId: row.deciding_event_id ?? undefined,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    decidedAt: row.decided_at ?? undefined,
    updatedAt: row.updated_at,
  };
}

function toJson(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

/**
 * Pending interactions (questions, tool approvals, config confirmations) and how each was
 * decided, durable across restarts. Every state change is a conditional update, so two
 * deciders racing (a reaction and the expiry sweep, two bots delivering the same reaction)
 * cannot both win, and an approved call is claimed for execution at most once.
 */
export class InteractionStore {
  constructor(
    private readonly db: Db,
    private readonly now: () => number,
  ) {}

  /** Stores a new `pending` interaction and returns it. Throws if `id` is already taken. */
  create(input: NewInteraction): InteractionRecord {
    const id = input.id ?? randomUUID();
    const now = this.now();
    this.db
      .prepare(
        `INSERT INTO interactions (id, kind, room_id, thread_root, requester, responder, source_event_id,
           payload, state, created_at, expires_at, updated_at)
         VALUES (@id, @kind, @roomId, @threadRoot, @requester, @responder, @sourceEventId,
           @payload, 'pending', @now, @expiresAt, @now)`,
      )
      .run({
        id,
        kind: input.kind,
        roomId: input.roomId,
        threadRoot: input.threadRoot ?? null,
        requester: input.requester,
        responder: input.responder,
        sourceEventId: input.sourceEventId ?? null,
        payload: JSON.stringify(input.payload),
        expiresAt: input.expiresAt,
        now,
      });
    const created = this.get(id);
    if (created === undefined) throw new Error(`interaction ${id} vanished after insert`);
    return created;
  }

  get(id: string): InteractionRecord | undefined {
    const row = this.db
      .prepare<[string], InteractionRow>('SELECT * FROM interactions WHERE id = ?')
      .get(id);
    return row === undefined ? undefined : toRecord(row);
  }

  /** The interaction whose card is `cardEventId` (what a reaction or a reply points at). */
  getByCard(cardEventId: string): InteractionRecord | undefined {
    const row = this.db
      .prepare<[string], InteractionRow>('SELECT * FROM interactions WHERE card_event_id = ?')
      .get(cardEventId);
    return row === undefined ? undefined : toRecord(row);
  }

  /**
   * The interaction a reaction event belongs to: the person's deciding reaction, or one Quorum
   * added to the card. Used to match a redaction to its interaction.
   */
  getByReaction(reactionEventId: string): InteractionRecord | undefined {
    const row = this.db
      .prepare<[string, string], InteractionRow>(
        `SELECT * FROM interactions WHERE deciding_event_id = ?
         OR EXISTS (SELECT 1 FROM json_each(quorum_reactions) WHERE value = ?)`,
      )
      .get(reactionEventId, reactionEventId);
    return row === undefined ? undefined : toRecord(row);
  }

  /** Records the card's event id once it is posted. False if a card was already recorded. */
  attachCard(id: string, cardEventId: string): boolean {
    const result = this.db
      .prepare(
        `UPDATE interactions SET card_event_id = ?, updated_at = ?
         WHERE id = ? AND card_event_id IS NULL`,
      )
      .run(cardEventId, this.now(), id);
    return result.changes === 1;
  }

  /** Remembers a reaction Quorum added to the card (idempotent). */
  addQuorumReaction(id: string, reactionEventId: string): void {
    this.db
      .prepare(
        `UPDATE interactions
         SET quorum_reactions = json_insert(quorum_reactions, '$[#]', @reaction), updated_at = @now
         WHERE id = @id AND NOT EXISTS (SELECT 1 FROM json_each(quorum_reactions) WHERE value = @reaction)`,
      )
      .run({ id, reaction: reactionEventId, now: this.now() });
  }

  /** Interactions still waiting for their person, oldest first. */
  listPending(): InteractionRecord[] {
    return this.list(['pending']);
  }

  /** Interactions in any of `states`, oldest first. */
  list(states: readonly InteractionState[]): InteractionRecord[] {
    if (states.length === 0) return [];
    const marks = states.map(() => '?').join(', ');
    return this.db
      .prepare<InteractionState[], InteractionRow>(
        `SELECT * FROM interactions WHERE state IN (${marks}) ORDER BY created_at, id`,
      )
      .all(...states)
      .map(toRecord);
  }

  /**
   * Moves a `pending` interaction to `state`, with the answer (any JSON value, such as the
   * chosen option or a denial reason) and the person's deciding event. `already-decided` when
   * it had left `pending` (the first decision stands); `not-found` for an unknown id.
   */
  decide(
    id: string,
    state: InteractionDecision,
    answer?: unknown,
    decidingEventId?: string,
  ): 'decided' | 'already-decided' | 'not-found' {
    const now = this.now();
    const result = this.db
      .prepare(
        `UPDATE interactions SET state = ?, answer = ?, deciding_event_id = ?, decided_at = ?, updated_at = ?
         WHERE id = ? AND state = 'pending'`,
      )
      .run(state, toJson(answer), decidingEventId ?? null, now, now, id);
    if (result.changes === 1) return 'decided';
    return this.get(id) === undefined ? 'not-found' : 'already-decided';
  }

  /**
   * Records that a pending approval's arguments were posted in full (its card had to shorten
   * them), so it may now be approved. False when it is not a pending approval.
   */
  markShownInFull(id: string): boolean {
    const record = this.get(id);
    if (record?.kind !== 'approval' || record.state !== 'pending') return false;
    const payload = { ...record.payload, isShownInFull: true };
    const result = this.db
      .prepare(
        `UPDATE interactions SET payload = ?, updated_at = ? WHERE id = ? AND state = 'pending'`,
      )
      .run(JSON.stringify(payload), this.now(), id);
    return result.changes === 1;
  }

  /**
   * Claims an `approved` interaction for execution, durably, before the tool call or the
   * config write starts. `claimed` exactly once; `not-approved` otherwise (never approved,
   * already claimed, or unknown), and then the caller must not execute.
   */
  markExecuting(id: string): 'claimed' | 'not-approved' {
    const result = this.db
      .prepare(
        `UPDATE interactions SET state = 'executing', updated_at = ? WHERE id = ? AND state = 'approved'`,
      )
      .run(this.now(), id);
    return result.changes === 1 ? 'claimed' : 'not-approved';
  }

  /**
   * Records the outcome (any JSON value) of an `executing` interaction, or marks an
   * `answered` question's answer as delivered to its turn. False if it was in neither state.
   */
  markExecuted(id: string, result?: unknown): boolean {
    const outcome = this.db
      .prepare(
        `UPDATE interactions SET state = 'executed', result = ?, updated_at = ?
         WHERE id = ? AND state IN ('executing', 'answered')`,
      )
      .run(toJson(result), this.now(), id);
    return outcome.changes === 1;
  }

  /**
   * At boot: every interaction left `executing` by a crash is closed as `executed` with
   * `result` `{ outcome: 'unknown' }` and returned, so the caller reports "unknown outcome"
   * and never runs the call a second time.
   */
  settleInterrupted(): InteractionRecord[] {
    return this.db.transaction(() => {
      const interrupted = this.list(['executing']);
      const now = this.now();
      const settle = this.db.prepare(
        `UPDATE interactions SET state = 'executed', result = ?, updated_at = ? WHERE id = ? AND state = 'executing'`,
      );
      for (const record of interrupted) {
        settle.run(JSON.stringify({ outcome: 'unknown' }), now, record.id);
      }
      return interrupted.map((record) => this.get(record.id) ?? record);
    })();
  }

  /** Expires every `pending` interaction with `expiresAt <= nowMs` and returns them (now `expired`). */
  expireDue(nowMs: number): InteractionRecord[] {
    return this.db.transaction(() => {
      const due = this.db
        .prepare<[number], { id: string }>(
          `SELECT id FROM interactions WHERE state = 'pending' AND expires_at <= ? ORDER BY expires_at, id`,
        )
        .all(nowMs);
      for (const { id } of due) this.decide(id, 'expired');
      return due.map(({ id }) => this.get(id)).filter((r) => r !== undefined);
    })();
  }

  /**
   * Cancels every `pending` interaction of the turn (`responder`, `sourceEventId`), as when
   * the turn is stopped or superseded by an edit, and returns them (now `cancelled`).
   */
  cancelPendingForTurn(responder: string, sourceEventId: string): InteractionRecord[] {
    return this.db.transaction(() => {
      const pending = this.db
        .prepare<[string, string], { id: string }>(
          `SELECT id FROM interactions WHERE responder = ? AND source_event_id = ? AND state = 'pending'`,
        )
        .all(responder, sourceEventId);
      for (const { id } of pending) this.decide(id, 'cancelled');
      return pending.map(({ id }) => this.get(id)).filter((r) => r !== undefined);
    })();
  }

  /** The earliest `expiresAt` among pending interactions (to schedule the next sweep). */
  nextExpiry(): number | undefined {
    const row = this.db
      .prepare<[], { at: number | null }>(
        `SELECT MIN(expires_at) AS at FROM interactions WHERE state = 'pending'`,
      )
      .get();
    return row?.at ?? undefined;
  }
}
