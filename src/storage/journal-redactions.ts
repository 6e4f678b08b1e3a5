/**
 * Redactions in the ingress journal: what is kept of an event whose redaction is already
 * known, and removing the content of an event (and of its edits) once it is redacted.
 */
import type { Db } from './database.js';
import { redactedCopy, type Admission, type JournalEventInput } from './journal-records.js';

/** Redaction reads and rewrites on the `journal` table; call within the admitting transaction. */
export class JournalRedactions {
  private readonly redactionOf;
  private readonly redactable;
  private readonly rewrite;

  constructor(db: Db) {
    this.redactionOf = db.prepare<[string], { event_id: string }>(
      `SELECT event_id FROM journal WHERE relates_to = ? AND rel_type = 'm.redaction' LIMIT 1`,
    );
    this.redactable = db.prepare<[string, string], { event_id: string; json: string }>(
      `SELECT event_id, json FROM journal
       WHERE event_id = ? OR (relates_to = ? AND rel_type = 'm.replace')`,
    );
    this.rewrite = db.prepare('UPDATE journal SET json = ? WHERE event_id = ?');
  }

  /**
   * What the journal keeps of an event: its content, none for a content-less admission, and
   * none (with the redaction noted) when a redaction of it (or of an edit's target) is known.
   */
  storedForm(admission: Admission): JournalEventInput {
    const { event } = admission;
    const redactedBy = this.earlierRedaction(admission);
    if (redactedBy !== undefined) return redactedCopy(event, redactedBy);
    return admission.isContentless ? { ...event, content: {} } : event;
  }

  /** The id of the redaction of `eventId`, when one was admitted. */
  redactedBy(eventId: string): string | undefined {
    return this.redactionOf.get(eventId)?.event_id;
  }

  /** Removes the content of `targetId` and of its edits (state events keep theirs). */
  redact(targetId: string, redactionId: string): void {
    for (const row of this.redactable.all(targetId, targetId)) {
      const event = JSON.parse(row.json) as JournalEventInput;
      if (event.state_key !== undefined) continue;
      this.rewrite.run(JSON.stringify(redactedCopy(event, redactionId)), row.event_id);
    }
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
}
