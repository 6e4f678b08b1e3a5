/**
 * The ingress journal's record shapes: what is offered for admission, what is read back,
 * and the mapping between a `journal` table row and a {@link JournalEntry}.
 */

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

/** A row of the `journal` table as `SELECT *` returns it. */
export interface JournalRow {
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

/** The entry a stored row reads back as (`json` parsed, NULLs as `undefined`). */
export function toEntry(row: JournalRow): JournalEntry {
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

/** The entry of a just-admitted event, stored as `stored`, with no decision yet. */
export function admittedEntry(admission: Admission, stored: JournalEventInput): JournalEntry {
  const { event } = admission;
  return {
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
  };
}

/**
 * The event as stored once redacted: the envelope and relations stay (threads keep their
 * shape), the content goes, and `unsigned.redacted_because` names the redaction, as a
 * homeserver serves a redacted event.
 */
export function redactedCopy(event: JournalEventInput, redactionId: string): JournalEventInput {
  return { ...event, content: {}, unsigned: { redacted_because: { event_id: redactionId } } };
}
