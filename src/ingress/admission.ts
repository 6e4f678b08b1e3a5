import { STREAM_STATUS_KEY, type RawEvent } from '../matrix/index.js';
import type { Admission } from '../storage/index.js';

export interface EventRelations {
  /** The thread root, for events sent in a thread (`m.thread`). */
  readonly threadRoot: string | undefined;
  /** The event this one relates to (edit target, reaction target, thread root, redacted event). */
  readonly relatesTo: string | undefined;
  /** `m.thread`, `m.replace`, `m.annotation`, `m.reference` or `m.redaction` for redactions. */
  readonly relType: string | undefined;
}

function readRecord(value: unknown): Readonly<Record<string, unknown>> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** Reads an event's relation fields (spec: Client-Server API, "Forming relationships between events"). */
export function relationsOf(event: RawEvent): EventRelations {
  if (event.type === 'm.room.redaction') {
    // The wire may hold anything here; only a string is an event id (room v11 moved it into content).
    const top: unknown = event.redacts;
    const inContent = event.content['redacts'];
    const redacts =
      typeof top === 'string' ? top : typeof inContent === 'string' ? inContent : undefined;
    return { threadRoot: undefined, relatesTo: redacts, relType: 'm.redaction' };
  }
  const relation = readRecord(event.content['m.relates_to']);
  const relType = typeof relation?.['rel_type'] === 'string' ? relation['rel_type'] : undefined;
  const target = typeof relation?.['event_id'] === 'string' ? relation['event_id'] : undefined;
  return {
    threadRoot: relType === 'm.thread' ? target : undefined,
    relatesTo: target,
    relType,
  };
}

/** True for an edit that carries `io.quorum.stream_status: streaming` in its new content. */
export function isStreamingEdit(event: RawEvent): boolean {
  const newContent = readRecord(event.content['m.new_content']);
  return newContent?.[STREAM_STATUS_KEY] === 'streaming';
}

export interface AdmissionPolicy {
  /** True for Quorum's own accounts (their streaming edits are stored without content). */
  readonly isEntityUser: (userId: string) => boolean;
  readonly nowMs: number;
  /** Older events are admitted as history (recorded, never acted on). */
  readonly catchUpWindowMs: number;
}

/**
 * Turns a room's timeline events into journal admissions. `isHistory` marks the whole batch
 * as history (a bot's first sync sees the room's past, which nobody asked it about).
 */
export function toAdmissions(
  roomId: string,
  events: readonly RawEvent[],
  policy: AdmissionPolicy,
  isHistory: boolean,
): Admission[] {
  return events.map((event) => {
    const relations = relationsOf(event);
    const isTooOld = policy.nowMs - event.origin_server_ts > policy.catchUpWindowMs;
    const isPartial = policy.isEntityUser(event.sender) && isStreamingEdit(event);
    return {
      roomId,
      event,
      threadRoot: relations.threadRoot,
      relatesTo: relations.relatesTo,
      relType: relations.relType,
      isHistory: isHistory || isTooOld || event.state_key !== undefined,
      isContentless: isPartial,
    };
  });
}
