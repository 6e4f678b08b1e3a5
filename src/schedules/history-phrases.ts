/**
 * MindRoom's history phrases in a schedule request: "with no history", "without context",
 * "context-free" (the scheduled responder sees no earlier messages), "with only the last 5
 * messages" (at most 5), and, for edits, "restore full history" / "use unlimited history".
 * The phrase is removed from the request; the rest stays as written. Pure.
 */

/** What a request says about history: nothing, a limit (0 = none), or back to full history. */
export type HistoryChoice =
  | { readonly kind: 'keep' }
  | { readonly kind: 'limit'; readonly messages: number }
  | { readonly kind: 'full' };

/** Most messages a limit may name. */
export const MAX_HISTORY_LIMIT = 1_000;

const NONE =
  /(?:^|[\s,;(])(?:with\s+no\s+(?:history|context)|without\s+(?:any\s+)?(?:history|context)|context[-\s]free|no\s+history)(?=$|[\s,.;!?)])/iu;
const LAST_N =
  /(?:^|[\s,;(])(?:with\s+(?:only\s+|just\s+)?|using\s+only\s+|include\s+(?:only\s+)?|including\s+(?:only\s+)?)the\s+last\s+(?<n>\d{1,4})\s+messages?(?:\s+(?:of\s+)?(?:context|history))?(?=$|[\s,.;!?)])/iu;
const FULL =
  /(?:^|[\s,;(])(?:restore\s+(?:the\s+)?full\s+history|use\s+unlimited\s+history|with\s+(?:the\s+)?full\s+history|remove\s+the\s+history\s+limit)(?=$|[\s,.;!?)])/iu;

/** Finds and removes one history phrase from `text`. */
export function extractHistory(text: string): { text: string; history: HistoryChoice } {
  const none = NONE.exec(text);
  if (none !== null) return { text: cut(text, none), history: { kind: 'limit', messages: 0 } };
  const last = LAST_N.exec(text);
  if (last !== null) {
    const messages = Math.min(Number(last.groups?.['n'] ?? 0), MAX_HISTORY_LIMIT);
    return { text: cut(text, last), history: { kind: 'limit', messages } };
  }
  const full = FULL.exec(text);
  if (full !== null) return { text: cut(text, full), history: { kind: 'full' } };
  return { text, history: { kind: 'keep' } };
}

/** `text` without the match (keeping the separator before it), tidied. */
function cut(text: string, match: RegExpExecArray): string {
  const leading = /^[\s,;(]/u.test(match[0]) ? 1 : 0;
  const before = text.slice(0, match.index + leading);
  const after = text.slice(match.index + match[0].length);
  return `${before.replace(/[\s,;]+$/u, '')}${after.replace(/^\s*\)/u, '')}`
    .replace(/\s{2,}/gu, ' ')
    .replace(/^[\s,;:]+/u, '')
    .trim();
}
