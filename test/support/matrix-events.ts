/**
 * Matrix event shapes and pure helpers for the e2e test driver: building message contents the
 * way Element does (pills, threads, edits) and reading relations back out of received events.
 * Wire names are kept (snake_case), so predicates read like the spec.
 */
import { isRecord } from './matrix-http.js';

/** A room event as the Client-Server API delivers it (spec "ClientEvent"), room id included. */
export interface MatrixEvent {
  readonly room_id: string;
  readonly event_id: string;
  readonly type: string;
  readonly sender: string;
  readonly origin_server_ts: number;
  readonly content: Record<string, unknown>;
  readonly state_key?: string;
  readonly redacts?: string;
  readonly unsigned?: Record<string, unknown>;
}

/** Someone to mention: rendered as a matrix.to pill and listed in `m.mentions.user_ids`. */
export interface MentionTarget {
  readonly userId: string;
  readonly displayName: string;
}

/** The relation of an event (`content["m.relates_to"]`), flattened. */
export interface Relation {
  /** `m.thread`, `m.replace`, `m.annotation`, or undefined for a plain reply. */
  readonly relType: string | undefined;
  readonly eventId: string | undefined;
  /** Reaction key of an `m.annotation`. */
  readonly key: string | undefined;
  /** `m.in_reply_to.event_id`. */
  readonly inReplyTo: string | undefined;
  readonly isFallingBack: boolean;
}

/** Where a message goes: the main timeline, or a thread (spec "Threading"). */
export interface MessagePlacement {
  /** Root of the thread to post into. */
  readonly threadRootId?: string;
  /**
   * The event this message replies to. In a thread, a real reply (`is_falling_back: false`);
   * without it, the reply fallback points at `fallbackEventId` (the latest thread event).
   */
  readonly replyToEventId?: string;
  /** Latest event of the thread, for the reply fallback of clients without threads. */
  readonly fallbackEventId?: string;
}

/** The `matrix.to` link Element puts in a user pill. */
export function userPermalink(userId: string): string {
  return `https://matrix.to/#/${userId}`;
}

/** Escapes text for `formatted_body`. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * An `m.text` content. With mentions, each target is prepended as a pill
 * (`<a href="https://matrix.to/#/@bot:localhost">Bot</a>: text`, body `Bot: text`),
 * `format` is `org.matrix.custom.html` and `m.mentions.user_ids` lists the targets.
 * Without mentions, `m.mentions` is present and empty, as from a current client.
 */
export function textContent(
  text: string,
  mentions: readonly MentionTarget[] = [],
  placement: MessagePlacement = {},
): Record<string, unknown> {
  const content: Record<string, unknown> = { msgtype: 'm.text', body: text };
  if (mentions.length > 0) {
    const names = mentions.map((target) => target.displayName).join(' ');
    const pills = mentions
      .map((t) => `<a href="${userPermalink(t.userId)}">${escapeHtml(t.displayName)}</a>`)
      .join(' ');
    content['body'] = `${names}: ${text}`;
    content['format'] = 'org.matrix.custom.html';
    content['formatted_body'] = `${pills}: ${escapeHtml(text)}`;
  }
  content['m.mentions'] = { user_ids: mentions.map((target) => target.userId) };
  const relation = placementRelation(placement);
  if (relation !== undefined) content['m.relates_to'] = relation;
  return content;
}

function placementRelation(placement: MessagePlacement): Record<string, unknown> | undefined {
  const { threadRootId, replyToEventId, fallbackEventId } = placement;
  if (threadRootId !== undefined) {
    return {
      rel_type: 'm.thread',
      event_id: threadRootId,
      is_falling_back: replyToEventId === undefined,
      'm.in_reply_to': { event_id: replyToEventId ?? fallbackEventId ?? threadRootId },
    };
  }
  if (replyToEventId !== undefined) return { 'm.in_reply_to': { event_id: replyToEventId } };
  return undefined;
}

/**
 * An edit of `eventId` (spec "Event replacements"): `m.new_content` holds the full new content,
 * the outer body is the `* ` fallback, and the outer `m.mentions` lists only users the edit
 * newly mentions (`previouslyMentioned` are left out, so they are not pinged twice).
 */
export function editContent(
  eventId: string,
  text: string,
  mentions: readonly MentionTarget[] = [],
  previouslyMentioned: readonly string[] = [],
): Record<string, unknown> {
  const newContent = textContent(text, mentions);
  const outer: Record<string, unknown> = {
    msgtype: 'm.text',
    body: `* ${String(newContent['body'])}`,
    'm.new_content': newContent,
    'm.mentions': {
      user_ids: mentions.map((m) => m.userId).filter((id) => !previouslyMentioned.includes(id)),
    },
    'm.relates_to': { rel_type: 'm.replace', event_id: eventId },
  };
  if (typeof newContent['formatted_body'] === 'string') {
    outer['format'] = 'org.matrix.custom.html';
    outer['formatted_body'] = `* ${newContent['formatted_body']}`;
  }
  return outer;
}

/** An `m.reaction` content annotating `eventId` with `key`. */
export function reactionContent(eventId: string, key: string): Record<string, unknown> {
  return { 'm.relates_to': { rel_type: 'm.annotation', event_id: eventId, key } };
}

/** The flattened relation of `event`, or undefined when it has none. */
export function relationOf(event: MatrixEvent): Relation | undefined {
  const relatesTo = event.content['m.relates_to'];
  if (!isRecord(relatesTo)) return undefined;
  const inReplyTo = relatesTo['m.in_reply_to'];
  return {
    relType: stringField(relatesTo, 'rel_type'),
    eventId: stringField(relatesTo, 'event_id'),
    key: stringField(relatesTo, 'key'),
    inReplyTo: isRecord(inReplyTo) ? stringField(inReplyTo, 'event_id') : undefined,
    isFallingBack: relatesTo['is_falling_back'] === true,
  };
}

/** True for a message in the thread rooted at `rootId` (not counting the root itself). */
export function isInThread(event: MatrixEvent, rootId: string): boolean {
  const relation = relationOf(event);
  return relation?.relType === 'm.thread' && relation.eventId === rootId;
}

/** True for an edit (`m.replace`) of `eventId`. */
export function isEditOf(event: MatrixEvent, eventId: string): boolean {
  const relation = relationOf(event);
  return relation?.relType === 'm.replace' && relation.eventId === eventId;
}

/** True for a reaction to `eventId`, with `key` when given. */
export function isReactionTo(event: MatrixEvent, eventId: string, key?: string): boolean {
  const relation = relationOf(event);
  return (
    event.type === 'm.reaction' &&
    relation?.relType === 'm.annotation' &&
    relation.eventId === eventId &&
    (key === undefined || relation.key === key)
  );
}

/** `content.body` when it is a string. */
export function bodyOf(event: MatrixEvent): string | undefined {
  return stringField(event.content, 'body');
}

/** `m.mentions.user_ids` of `content` (empty when absent). */
export function mentionedUserIds(content: Record<string, unknown>): string[] {
  const mentions = content['m.mentions'];
  const ids = isRecord(mentions) ? mentions['user_ids'] : undefined;
  return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : [];
}

/**
 * The content of `eventId` as a client shows it: the `m.new_content` of the latest valid edit
 * (same sender, `m.replace`), else the original content; `{}` once the event is redacted.
 * Undefined when neither the event nor an edit of it is in `events`.
 */
export function latestContent(
  events: readonly MatrixEvent[],
  eventId: string,
): Record<string, unknown> | undefined {
  const original = events.find((event) => event.event_id === eventId);
  const isRedacted = events.some((e) => e.type === 'm.room.redaction' && redactedId(e) === eventId);
  if (isRedacted) return {};
  const edits = events.filter(
    (event) =>
      isEditOf(event, eventId) &&
      isRecord(event.content['m.new_content']) &&
      (original === undefined || event.sender === original.sender),
  );
  // Stable sort: edits in the same millisecond keep the order they were received in.
  const latest = [...edits].sort((a, b) => a.origin_server_ts - b.origin_server_ts).at(-1);
  const newContent = latest?.content['m.new_content'];
  return isRecord(newContent) ? newContent : original?.content;
}

/** The event a redaction removes (top-level `redacts`, or `content.redacts` in room v11). */
export function redactedId(event: MatrixEvent): string | undefined {
  return event.redacts ?? stringField(event.content, 'redacts');
}

/** One line describing `event`, for timeout messages. */
export function describeEvent(event: MatrixEvent): string {
  const relation = relationOf(event);
  const body = bodyOf(event);
  return [
    event.room_id,
    event.event_id,
    event.type,
    `from ${event.sender}`,
    relation === undefined
      ? ''
      : `rel=${relation.relType ?? 'reply'}→${relation.eventId ?? relation.inReplyTo ?? '?'}` +
        (relation.key === undefined ? '' : ` key=${relation.key}`),
    body === undefined ? '' : JSON.stringify(body.length > 80 ? `${body.slice(0, 77)}...` : body),
  ]
    .filter((part) => part !== '')
    .join(' ');
}

function stringField(record: Record<string, unknown>, key: string): string | undefined {
  const value = record[key];
  return typeof value === 'string' ? value : undefined;
}
