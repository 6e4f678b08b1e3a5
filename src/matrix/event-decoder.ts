/**
 * Pure decoding of raw Matrix events into the few shapes the dispatcher reasons about.
 * Nothing here does I/O or trusts the input: every field is checked, and anything that does
 * not fit a known shape decodes to `other` (or `malformed` when even the envelope is wrong).
 * Work is bounded and linear in the input: HTML is scanned once (no backtracking regex), at
 * most {@link MAX_MENTIONED_USERS} mentions are read, and only so much of any list is looked at.
 */

/** Most user ids read from `m.mentions.user_ids` or pills (the rest are ignored). */
export const MAX_MENTIONED_USERS = 50;
/** Most entries of `m.mentions.user_ids` looked at (beyond it the list is not read). */
const MAX_MENTION_ENTRIES = 1_000;
import type { EventId, RoomId, UserId } from '../shared/index.js';
import { asEventId, asRoomId, asUserId } from '../shared/index.js';
import { linkHrefs } from './html-links.js';
import { STREAM_STATUS_KEY } from './message-content.js';
import type { RawEvent } from './types.js';

/** Fields every well-formed decoded event carries. */
export interface DecodedEnvelope {
  readonly eventId: EventId;
  /** From the event, when present (sync events get it from the batch, see `SyncBatch`). */
  readonly roomId: RoomId | undefined;
  readonly sender: UserId;
  readonly originServerTs: number;
}

/** Who a message mentions: `m.mentions` as sent, plus pills found in its HTML. */
export interface MessageMentions {
  /** Valid user ids from `m.mentions.user_ids`. */
  readonly userIds: readonly UserId[];
  /** `m.mentions.room`: the sender pinged the whole room. */
  readonly room: boolean;
  /** Users linked from `formatted_body` (`https://matrix.to/#/@u:s` or `matrix:u/u:s`). */
  readonly pills: readonly UserId[];
  /** False when the event had no `m.mentions` (an older client): only `pills` say anything. */
  readonly hasMentionsKey: boolean;
}

/** The text of a message (or of an edit's `m.new_content`). */
export interface MessageText {
  readonly msgtype: string;
  readonly body: string;
  /** `formatted_body` when `format` is `org.matrix.custom.html`. */
  readonly formattedBody: string | undefined;
  readonly mentions: MessageMentions;
}

/** An `m.room.message` that is not an edit. */
export interface DecodedMessage extends DecodedEnvelope, MessageText {
  readonly kind: 'message';
  /** The thread this message belongs to (`rel_type: m.thread`), if any. */
  readonly threadRootId: EventId | undefined;
  /** `m.in_reply_to`, whether a real reply or a thread fallback (see `isReplyFallback`). */
  readonly inReplyToId: EventId | undefined;
  /** True when `inReplyToId` is only a fallback for unthreaded clients (`is_falling_back`). */
  readonly isReplyFallback: boolean;
  readonly content: Readonly<Record<string, unknown>>;
}

/** An `m.room.message` replacing `targetId` (`rel_type: m.replace`). */
export interface DecodedEdit extends DecodedEnvelope {
  readonly kind: 'edit';
  readonly targetId: EventId;
  /** Decoded from `m.new_content` (never from the `* ` fallback). */
  readonly newContent: MessageText;
  /** The raw `m.new_content`, for extra keys such as `io.quorum.stream_status`. */
  readonly rawNewContent: Readonly<Record<string, unknown>>;
}

/** An `m.reaction` annotating `targetId` with `key`. */
export interface DecodedReaction extends DecodedEnvelope {
  readonly kind: 'reaction';
  readonly targetId: EventId;
  readonly key: string;
}

/** An `m.room.redaction` of `redactsId`. */
export interface DecodedRedaction extends DecodedEnvelope {
  readonly kind: 'redaction';
  readonly redactsId: EventId;
  readonly reason: string | undefined;
}

/** The `membership` of an `m.room.member` event. */
export type Membership = 'join' | 'invite' | 'leave' | 'ban' | 'knock';

/** An `m.room.member` event: someone joined, was invited, left, was kicked or banned. */
export interface DecodedMembership extends DecodedEnvelope {
  readonly kind: 'membership';
  /** Whose membership changed (the state key); differs from `sender` for invites and kicks. */
  readonly userId: UserId;
  readonly membership: Membership;
  /** From `unsigned.prev_content`, when the server sent it. */
  readonly previousMembership: Membership | undefined;
  readonly displayName: string | undefined;
  /** `is_direct` on an invite: the inviter means a DM. */
  readonly isDirect: boolean;
}

/** An `m.room.encrypted` event that was not decrypted (E2EE off, or keys missing). */
export interface DecodedEncrypted extends DecodedEnvelope {
  readonly kind: 'encrypted';
}

/** Any other event, or a known type whose content did not fit (a redacted message). */
export interface DecodedOther extends DecodedEnvelope {
  readonly kind: 'other';
  readonly type: string;
}

/** An event whose id, sender or timestamp is unusable; only its raw form is kept. */
export interface DecodedMalformed {
  readonly kind: 'malformed';
  readonly reason: string;
  readonly raw: RawEvent;
}

/** What {@link decodeEvent} returns; switch on `kind`. */
export type DecodedEvent =
  | DecodedMessage
  | DecodedEdit
  | DecodedReaction
  | DecodedRedaction
  | DecodedMembership
  | DecodedEncrypted
  | DecodedOther
  | DecodedMalformed;

type Json = Readonly<Record<string, unknown>>;

/**
 * Decodes one event. Total: never throws. An `m.room.message` without a string `body`
 * (for example, a redacted one) decodes to `other`.
 */
export function decodeEvent(event: RawEvent): DecodedEvent {
  const envelope = decodeEnvelope(event);
  if (typeof envelope === 'string') return { kind: 'malformed', reason: envelope, raw: event };
  const content: Json = isRecord(event.content) ? event.content : {};
  switch (event.type) {
    case 'm.room.message':
      return decodeMessage(envelope, content) ?? { ...envelope, kind: 'other', type: event.type };
    case 'm.reaction':
      return decodeReaction(envelope, content) ?? { ...envelope, kind: 'other', type: event.type };
    case 'm.room.redaction':
      return (
        decodeRedaction(envelope, event, content) ?? {
          ...envelope,
          kind: 'other',
          type: event.type,
        }
      );
    case 'm.room.member':
      return (
        decodeMembership(envelope, event, content) ?? {
          ...envelope,
          kind: 'other',
          type: event.type,
        }
      );
    case 'm.room.encrypted':
      return { ...envelope, kind: 'encrypted' };
    default:
      return { ...envelope, kind: 'other', type: event.type };
  }
}

/**
 * The stream status the daemon put on one of its messages or edits: `streaming` while a reply
 * is still being generated, `final` once it is complete, `undefined` when absent or unknown.
 * For an edit, pass its `m.new_content` (the daemon sets the key on both levels).
 */
export function streamStatusOf(content: Json): 'streaming' | 'final' | undefined {
  const value = content[STREAM_STATUS_KEY];
  return value === 'streaming' || value === 'final' ? value : undefined;
}

/** True when `content` is one of the daemon's in-progress (not yet final) streaming messages. */
export function isQuorumStreaming(content: Json): boolean {
  return streamStatusOf(content) === 'streaming';
}

function decodeEnvelope(event: RawEvent): DecodedEnvelope | string {
  const eventId = tryBrand(event.event_id, asEventId);
  if (eventId === undefined) return 'event_id is not an event id';
  const sender = tryBrand(event.sender, asUserId);
  if (sender === undefined) return 'sender is not a user id';
  if (typeof event.origin_server_ts !== 'number') return 'origin_server_ts is not a number';
  return {
    eventId,
    roomId: tryBrand(event.room_id, asRoomId),
    sender,
    originServerTs: event.origin_server_ts,
  };
}

function decodeMessage(envelope: DecodedEnvelope, content: Json): DecodedEvent | undefined {
  const relation = recordAt(content, 'm.relates_to');
  if (relation?.['rel_type'] === 'm.replace') {
    const targetId = tryBrand(relation['event_id'], asEventId);
    const rawNewContent = recordAt(content, 'm.new_content');
    const newContent = rawNewContent === undefined ? undefined : decodeText(rawNewContent);
    if (targetId === undefined || rawNewContent === undefined || newContent === undefined) {
      return undefined;
    }
    return { ...envelope, kind: 'edit', targetId, newContent, rawNewContent };
  }
  const text = decodeText(content);
  if (text === undefined) return undefined;
  const threadRootId =
    relation?.['rel_type'] === 'm.thread' ? tryBrand(relation['event_id'], asEventId) : undefined;
  const inReplyTo = relation === undefined ? undefined : recordAt(relation, 'm.in_reply_to');
  return {
    ...envelope,
    kind: 'message',
    ...text,
    threadRootId,
    inReplyToId: tryBrand(inReplyTo?.['event_id'], asEventId),
    isReplyFallback: threadRootId !== undefined && relation?.['is_falling_back'] === true,
    content,
  };
}

function decodeText(content: Json): MessageText | undefined {
  const body = content['body'];
  if (typeof body !== 'string') return undefined;
  const msgtype = typeof content['msgtype'] === 'string' ? content['msgtype'] : 'm.text';
  const html =
    content['format'] === 'org.matrix.custom.html' && typeof content['formatted_body'] === 'string'
      ? content['formatted_body']
      : undefined;
  const mentions = recordAt(content, 'm.mentions');
  const userIds = Array.isArray(mentions?.['user_ids'])
    ? uniqueUsers((mentions['user_ids'] as unknown[]).slice(0, MAX_MENTION_ENTRIES))
    : [];
  return {
    msgtype,
    body,
    formattedBody: html,
    mentions: {
      userIds,
      room: mentions?.['room'] === true,
      pills: html === undefined ? [] : pillsIn(html),
      hasMentionsKey: mentions !== undefined,
    },
  };
}

function decodeReaction(envelope: DecodedEnvelope, content: Json): DecodedReaction | undefined {
  const relation = recordAt(content, 'm.relates_to');
  if (relation?.['rel_type'] !== 'm.annotation') return undefined;
  const targetId = tryBrand(relation['event_id'], asEventId);
  const key = relation['key'];
  if (targetId === undefined || typeof key !== 'string') return undefined;
  return { ...envelope, kind: 'reaction', targetId, key };
}

function decodeRedaction(
  envelope: DecodedEnvelope,
  event: RawEvent,
  content: Json,
): DecodedRedaction | undefined {
  // Room versions up to 10 put `redacts` at the top level; v11 moved it into content.
  const redactsId = tryBrand(event.redacts ?? content['redacts'], asEventId);
  if (redactsId === undefined) return undefined;
  const reason = typeof content['reason'] === 'string' ? content['reason'] : undefined;
  return { ...envelope, kind: 'redaction', redactsId, reason };
}

const MEMBERSHIPS: readonly string[] = ['join', 'invite', 'leave', 'ban', 'knock'];

function decodeMembership(
  envelope: DecodedEnvelope,
  event: RawEvent,
  content: Json,
): DecodedMembership | undefined {
  const userId = tryBrand(event.state_key, asUserId);
  const membership = asMembership(content['membership']);
  if (userId === undefined || membership === undefined) return undefined;
  const previous =
    event.unsigned === undefined ? undefined : recordAt(event.unsigned, 'prev_content');
  return {
    ...envelope,
    kind: 'membership',
    userId,
    membership,
    previousMembership: asMembership(previous?.['membership']),
    displayName: typeof content['displayname'] === 'string' ? content['displayname'] : undefined,
    isDirect: content['is_direct'] === true,
  };
}

function asMembership(value: unknown): Membership | undefined {
  return typeof value === 'string' && MEMBERSHIPS.includes(value)
    ? (value as Membership)
    : undefined;
}

/** User ids linked from `<a href>` in `html`, in order, without duplicates (linear scan). */
export function pillsIn(html: string): UserId[] {
  const found: unknown[] = [];
  for (const href of linkHrefs(html)) {
    // Clients percent-encode the id (`%40alice%3Aexample.org`) or not; rooms (`#`, `!`) are not pills.
    if (startsWithIgnoringCase(href, 'https://matrix.to/#/')) {
      const id = beforeAny(href.slice('https://matrix.to/#/'.length), '/?#');
      if (id !== '') found.push(safeDecodeUri(id));
      continue;
    }
    if (startsWithIgnoringCase(href, 'matrix:u/')) {
      const id = beforeAny(href.slice('matrix:u/'.length), '/?#');
      if (id !== '') found.push(`@${safeDecodeUri(id)}`);
    }
  }
  return uniqueUsers(found);
}

function startsWithIgnoringCase(text: string, prefix: string): boolean {
  return text.length >= prefix.length && text.slice(0, prefix.length).toLowerCase() === prefix;
}

/** `text` up to the first of `stops` (all of it when none occurs). */
function beforeAny(text: string, stops: string): string {
  let end = text.length;
  for (const stop of stops) {
    const at = text.indexOf(stop);
    if (at !== -1 && at < end) end = at;
  }
  return text.slice(0, end);
}

function uniqueUsers(values: readonly unknown[]): UserId[] {
  const seen = new Set<string>();
  const out: UserId[] = [];
  for (const value of values) {
    if (out.length >= MAX_MENTIONED_USERS) break;
    // The spec caps user ids at 255 bytes; longer strings are not ids (and not worth branding).
    if (typeof value !== 'string' || value.length > 255) continue;
    const userId = tryBrand(value, asUserId);
    if (userId !== undefined && !seen.has(userId)) {
      seen.add(userId);
      out.push(userId);
    }
  }
  return out;
}

function safeDecodeUri(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function tryBrand<T>(value: unknown, brand: (raw: string) => T): T | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    return brand(value);
  } catch {
    return undefined;
  }
}

function recordAt(record: Json, key: string): Json | undefined {
  const value = record[key];
  return isRecord(value) ? value : undefined;
}

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
