/**
 * Event contents Quorum sends: messages (optionally in a thread, with mentions), edits and
 * reactions. Pure functions shared by the real client and the FakeHomeserver, so both put the
 * same bytes in rooms.
 */
import type { EventId } from '../shared/index.js';
import { renderMarkdown, renderPlain } from './markdown.js';
import type { OutgoingFile, OutgoingText } from './types.js';

/** Content of an `m.room.message`, `m.reaction`, ...: a JSON object. */
export type EventContent = Record<string, unknown>;

/** The content key the daemon sets on its streaming edits (see event-decoder's `isQuorumStreaming`). */
export const STREAM_STATUS_KEY = 'io.quorum.stream_status';

/**
 * The relation-free part of a message: msgtype, body, HTML (when needed), `m.mentions` and
 * the extra keys. `m.mentions` is always present, even empty, so that clients and servers do
 * not ping users whose names merely appear in the text (intentional mentions, Matrix spec
 * v1.7 "User and room mentions").
 */
function baseContent(message: OutgoingText): EventContent {
  const mentions = message.mentions ?? [];
  const rendered =
    message.format === 'markdown'
      ? renderMarkdown(message.body, { mentions })
      : renderPlain(message.body, { mentions });
  const details = message.details ?? [];
  const body =
    details.map((block) => `${block.summary}\n${block.text}\n\n`).join('') + rendered.body;
  const formattedBody =
    details.length === 0
      ? rendered.formattedBody
      : details.map(detailsHtml).join('') +
        (rendered.formattedBody ?? renderPlainHtml(rendered.body));
  return {
    ...message.extraContent,
    msgtype: message.msgtype ?? 'm.text',
    body,
    ...(formattedBody === undefined
      ? {}
      : { format: 'org.matrix.custom.html', formatted_body: formattedBody }),
    'm.mentions': mentions.length === 0 ? {} : { user_ids: [...mentions] },
  };
}

/** One collapsible block, escaped (`<details>` is in the spec's recommended HTML subset). */
function detailsHtml(block: { readonly summary: string; readonly text: string }): string {
  return `<details><summary>${escapeHtml(block.summary)}</summary><pre><code>${escapeHtml(block.text)}</code></pre></details>`;
}

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/** Plain text as an HTML paragraph (escaped, line breaks kept). */
function renderPlainHtml(text: string): string {
  return text.length === 0 ? '' : `<p>${escapeHtml(text).replace(/\r?\n/g, '<br>\n')}</p>`;
}

/**
 * Content of a new `m.room.message`. With `message.thread`, the event joins the thread
 * (`rel_type: m.thread`) and carries a reply fallback to `replyToId` (or the root) for clients
 * without thread support, marked `is_falling_back` (spec "Threading", fallback for
 * unthreaded clients). Extra keys never override the keys built here.
 */
export function buildMessageContent(message: OutgoingText): EventContent {
  const content = baseContent(message);
  if (message.thread === undefined) return content;
  return {
    ...content,
    'm.relates_to': {
      rel_type: 'm.thread',
      event_id: message.thread.rootId,
      is_falling_back: true,
      'm.in_reply_to': { event_id: message.thread.replyToId ?? message.thread.rootId },
    },
  };
}

/**
 * Content of an edit of `targetId` (spec "Event replacements"): `m.new_content` holds the full
 * relation-free content (mentions and extra keys included), the top level a `* ` fallback for
 * clients without edit support, and `m.relates_to` is `m.replace`. `message.thread` is not
 * used: an edit stays wherever its target is, and a relation inside `m.new_content` is
 * ignored by the spec. Servers do not notify for edits (push rule `.m.rule.suppress_edits`),
 * so repeating `m.mentions` at the top level pings nobody twice.
 */
export function buildEditContent(targetId: EventId, message: OutgoingText): EventContent {
  const newContent = baseContent(message);
  const fallbackHtml = newContent['formatted_body'];
  return {
    ...newContent,
    body: `* ${message.body}`,
    ...(typeof fallbackHtml === 'string' ? { formatted_body: `* ${fallbackHtml}` } : {}),
    'm.new_content': newContent,
    'm.relates_to': { rel_type: 'm.replace', event_id: targetId },
  };
}

/** Content of an `m.reaction` annotating `targetId` with `key` (usually an emoji). */
export function buildReactionContent(targetId: EventId, key: string): EventContent {
  return { 'm.relates_to': { rel_type: 'm.annotation', event_id: targetId, key } };
}

/**
 * Content of an attachment message: `m.image` for image types, else `m.file`, pointing at the
 * uploaded media by `url` (plain rooms) or carrying the encrypted file's `file` object
 * (encrypted rooms, spec "Sending encrypted attachments"); in `thread` when given.
 */
export function buildFileContent(
  file: OutgoingFile,
  media: { readonly url: string } | { readonly file: Readonly<Record<string, unknown>> },
): EventContent {
  const content: EventContent = {
    msgtype: file.mimetype.startsWith('image/') ? 'm.image' : 'm.file',
    body: file.filename,
    filename: file.filename,
    info: { mimetype: file.mimetype, size: file.bytes.length },
    ...media,
    'm.mentions': {},
  };
  if (file.thread === undefined) return content;
  return {
    ...content,
    'm.relates_to': {
      rel_type: 'm.thread',
      event_id: file.thread.rootId,
      is_falling_back: true,
      'm.in_reply_to': { event_id: file.thread.replyToId ?? file.thread.rootId },
    },
  };
}
