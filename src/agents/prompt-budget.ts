import type { ChatMessage } from '../llm/index.js';
import type { PromptSection } from './context-provider.js';

/** Shares of a turn's prompt budget (bytes of UTF-8) for each part. */
export const PROMPT_SHARES = {
  /** The message being answered. */
  request: 0.25,
  /** Each context section (team state, memory, knowledge). */
  section: 0.1,
  /** All context sections together. */
  sections: 0.3,
} as const;

const encoder = new TextEncoder();

/** UTF-8 bytes of `text`. */
export function byteLength(text: string): number {
  return encoder.encode(text).length;
}

/**
 * `text` cut to at most `maxBytes` of UTF-8 (never inside a character), with a note saying
 * how much was left out; unchanged when it fits.
 */
export function truncateBytes(text: string, maxBytes: number): string {
  const bytes = encoder.encode(text);
  if (bytes.length <= maxBytes) return text;
  const note = `\n… [cut: ${bytes.length} bytes, the first ${maxBytes} shown]`;
  let end = Math.max(0, maxBytes - byteLength(note));
  // Step back to the start of a UTF-8 character (continuation bytes are 10xxxxxx).
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end -= 1;
  return new TextDecoder().decode(bytes.subarray(0, end)) + note;
}

/**
 * Context sections within their budget: each cut to its share, and sections dropped from the
 * end once together they would pass theirs (providers are listed in priority order).
 */
export function fitSections(
  sections: readonly PromptSection[],
  maxPromptBytes: number,
): PromptSection[] {
  const each = Math.floor(maxPromptBytes * PROMPT_SHARES.section);
  let left = Math.floor(maxPromptBytes * PROMPT_SHARES.sections);
  const kept: PromptSection[] = [];
  for (const section of sections) {
    const body = truncateBytes(section.body, each);
    const size = byteLength(section.title) + byteLength(body);
    if (size > left) break;
    left -= size;
    kept.push({ title: section.title, body });
  }
  return kept;
}

function messageBytes(message: ChatMessage): number {
  if (typeof message.content === 'string') return byteLength(message.content);
  return message.content.reduce(
    (sum, part) => sum + (part.type === 'text' ? byteLength(part.text) : 0),
    0,
  );
}

/**
 * The newest history messages that fit in `maxBytes` (oldest dropped first), still starting
 * with a person's message as models expect.
 */
export function fitHistory(history: readonly ChatMessage[], maxBytes: number): ChatMessage[] {
  let left = maxBytes;
  let start = history.length;
  while (start > 0) {
    const message = history[start - 1];
    if (message === undefined) break;
    const size = messageBytes(message);
    if (size > left) break;
    left -= size;
    start -= 1;
  }
  const kept = history.slice(start);
  while (kept[0]?.role === 'assistant') kept.shift();
  return kept;
}
