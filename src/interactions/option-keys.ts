/**
 * Reaction keys and reply text that pick an option of a question, approve or deny.
 */

/** The reactions that pick option 1…10, in order (keycap digits, then 🔟). */
export const OPTION_KEYS: readonly string[] = [
  '1️⃣',
  '2️⃣',
  '3️⃣',
  '4️⃣',
  '5️⃣',
  '6️⃣',
  '7️⃣',
  '8️⃣',
  '9️⃣',
  '🔟',
];

/** Most options a question can offer: one per {@link OPTION_KEYS} entry. */
export const MAX_OPTIONS = OPTION_KEYS.length;

/** The reaction that approves a tool call or confirms a config change. */
export const APPROVE_KEY = '✅';
/** The reaction that denies a tool call or cancels a config change (or a question). */
export const DENY_KEY = '❌';

/**
 * A reaction key without emoji variation selectors (U+FE0F, U+FE0E), so `1⃣` sent by one
 * client and `1️⃣` by another compare equal, as do `✅` and `✅️`.
 */
export function normalizeReactionKey(key: string): string {
  return key.replace(/[\uFE0E\uFE0F]/g, '').trim();
}

const NORMALIZED_OPTION_KEYS = OPTION_KEYS.map(normalizeReactionKey);

/**
 * The 0-based option a reaction picks on a question with `optionCount` options: `1️⃣` → 0 …
 * `🔟` → 9. `undefined` for any other key and for a number beyond the options.
 */
export function optionFromReaction(key: string, optionCount: number): number | undefined {
  const index = NORMALIZED_OPTION_KEYS.indexOf(normalizeReactionKey(key));
  return index >= 0 && index < optionCount ? index : undefined;
}

/**
 * The 0-based option a reply names: its number (`2`, `2.`, `#2`, `option 2`, `2️⃣`) or its
 * text (compared without case, surrounding space or quotes, and with runs of spaces
 * collapsed). `undefined` when it names none, a number beyond the options, or is ambiguous:
 * two options with the same text, or a number that is also another option's text.
 * Quoted lines of a Matrix reply fallback (`> …`) are ignored.
 */
export function optionFromReply(text: string, options: readonly string[]): number | undefined {
  const body = stripReplyFallback(text);
  const candidates = new Set<number>();
  const byNumber = numberNamed(body);
  if (byNumber !== undefined && byNumber >= 1 && byNumber <= options.length) {
    candidates.add(byNumber - 1);
  }
  const wanted = normalizeText(body);
  options.forEach((option, index) => {
    if (wanted !== '' && normalizeText(option) === wanted) candidates.add(index);
  });
  return candidates.size === 1 ? [...candidates][0] : undefined;
}

function numberNamed(body: string): number | undefined {
  const keycap = NORMALIZED_OPTION_KEYS.indexOf(normalizeReactionKey(body));
  if (keycap >= 0) return keycap + 1;
  const match = /^(?:option\s*|#)?(\d{1,2})[.)]?$/i.exec(body.trim());
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

function normalizeText(text: string): string {
  return text
    .trim()
    .replace(/^["'“‘]+|["'”’]+$/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
}

/** The reply's own text: without the `> ` quote of the message it replies to (Matrix reply fallback). */
export function stripReplyFallback(text: string): string {
  const lines = text.split('\n');
  let start = 0;
  while (start < lines.length && (lines[start] ?? '').startsWith('>')) start++;
  if (start > 0 && (lines[start] ?? '').trim() === '') start++;
  return lines.slice(start).join('\n').trim();
}
