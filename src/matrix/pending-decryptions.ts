/**
 * Encrypted events a client could not decrypt yet because their room key had not arrived.
 * Keys travel separately (to-device messages) and may land a moment after the event, so the
 * events wait here and are tried again whenever keys come in; one that still waits after
 * `noteAfterMs` is reported once (the caller tells the thread), and it is forgotten after
 * `keepForMs`. Bounded: beyond `maxEvents` the oldest are dropped. Saved with the device's
 * crypto store (see `toSaved`/`fromSaved`) so a restart keeps waiting for them.
 */
import type { RoomId } from '../shared/index.js';
import { asRoomId } from '../shared/index.js';
import type { RawEvent } from './types.js';

/** One waiting event. */
export interface PendingDecryption {
  readonly roomId: RoomId;
  readonly event: RawEvent;
  /** When this client first failed to decrypt it. */
  readonly since: number;
  /** True once it was reported as overdue. */
  readonly isReported: boolean;
  /**
   * Decrypted and handed on, kept until the caller stored it: dropped by `dropResolved`
   * (the next sync), retried after a restart in case the process died in between.
   */
  readonly isResolved?: boolean;
}

/** Inputs of {@link PendingDecryptions}. */
export interface PendingDecryptionsOptions {
  readonly now: () => number;
  /** Report a waiting event after this long; default 30 s. */
  readonly noteAfterMs?: number;
  /** Forget a waiting event after this long; default 1 hour. */
  readonly keepForMs?: number;
  /** Most events kept; default 500. */
  readonly maxEvents?: number;
}

/** See the module comment. */
export class PendingDecryptions {
  private readonly waiting = new Map<string, PendingDecryption>();
  private shouldRetry = false;

  constructor(private readonly options: PendingDecryptionsOptions) {}

  get size(): number {
    return this.waiting.size;
  }

  /** Starts waiting for `event`'s key (kept as first seen when it already waits). */
  add(roomId: RoomId, event: RawEvent): void {
    if (this.waiting.has(event.event_id)) return;
    this.waiting.set(event.event_id, {
      roomId,
      event,
      since: this.options.now(),
      isReported: false,
    });
    const max = this.options.maxEvents ?? 500;
    // Map iteration is insertion order: the first keys are the oldest.
    for (const eventId of this.waiting.keys()) {
      if (this.waiting.size <= max) break;
      this.waiting.delete(eventId);
    }
  }

  /** Every waiting (not resolved) event, oldest first (forgets those past `keepForMs` first). */
  list(): PendingDecryption[] {
    this.prune();
    return [...this.waiting.values()].filter((pending) => pending.isResolved !== true);
  }

  /** Stops waiting for an event: it was decrypted and handed on (see `isResolved`). */
  markResolved(eventId: string): void {
    const pending = this.waiting.get(eventId);
    if (pending !== undefined) this.waiting.set(eventId, { ...pending, isResolved: true });
  }

  /** Forgets the resolved events: the batch that carried them was stored. */
  dropResolved(): void {
    for (const [eventId, pending] of this.waiting) {
      if (pending.isResolved === true) this.waiting.delete(eventId);
    }
  }

  /** True once after a restore: the waiting events deserve a retry without new keys. */
  takeRetryRequest(): boolean {
    const should = this.shouldRetry;
    this.shouldRetry = false;
    return should;
  }

  /** The events waiting longer than `noteAfterMs` that were not reported yet; marks them reported. */
  takeOverdue(): PendingDecryption[] {
    const due = this.options.now() - (this.options.noteAfterMs ?? 30_000);
    const out: PendingDecryption[] = [];
    for (const [eventId, pending] of this.waiting) {
      if (pending.isReported || pending.isResolved === true || pending.since > due) continue;
      const reported = { ...pending, isReported: true };
      this.waiting.set(eventId, reported);
      out.push(reported);
    }
    return out;
  }

  /** A plain value to save with the crypto store. */
  toSaved(): unknown {
    return [...this.waiting.values()].map((pending) => ({
      roomId: pending.roomId,
      event: pending.event,
      since: pending.since,
      isReported: pending.isReported,
    }));
  }

  /**
   * Restores what {@link toSaved} produced (malformed entries are skipped). Resolved events
   * wait again, since the process may have died before storing them, and the next retry
   * runs without waiting for new keys.
   */
  restore(saved: unknown): void {
    if (!Array.isArray(saved)) return;
    for (const item of saved as unknown[]) {
      const pending = pendingOf(item);
      if (pending !== undefined) this.waiting.set(pending.event.event_id, pending);
    }
    this.prune();
    this.shouldRetry = this.waiting.size > 0;
  }

  private prune(): void {
    const cutoff = this.options.now() - (this.options.keepForMs ?? 3_600_000);
    for (const [eventId, pending] of this.waiting) {
      if (pending.since < cutoff) this.waiting.delete(eventId);
    }
  }
}

function pendingOf(item: unknown): PendingDecryption | undefined {
  if (typeof item !== 'object' || item === null) return undefined;
  const record = item as Record<string, unknown>;
  const event = record['event'] as RawEvent | undefined;
  if (
    typeof record['roomId'] !== 'string' ||
    typeof record['since'] !== 'number' ||
    typeof event !== 'object' ||
    typeof event.event_id !== 'string'
  ) {
    return undefined;
  }
  try {
    return {
      roomId: asRoomId(record['roomId']),
      event,
      since: record['since'],
      isReported: record['isReported'] === true,
    };
  } catch {
    return undefined;
  }
}
