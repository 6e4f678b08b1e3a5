import type { TextAttachmentPart } from './chat-model.js';

/**
 * Renders a text attachment as a delimited block, the same for every provider, so the
 * model can tell the file's name and where its content starts and ends.
 */
export function renderAttachmentText(part: TextAttachmentPart): string {
  return `<attachment name="${escapeAttribute(part.name)}" type="${escapeAttribute(part.mediaType)}">\n${part.text}\n</attachment>`;
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

/** The parts of a `data:<mediaType>;base64,<data>` URL. */
export interface DataUrl {
  readonly mediaType: string;
  readonly base64: string;
}

/** Splits a base64 data URL, or returns `undefined` for any other URL. */
export function parseDataUrl(url: string): DataUrl | undefined {
  const match = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  if (match === null) return undefined;
  return { mediaType: match[1] ?? '', base64: match[2] ?? '' };
}
