/**
 * Tool arguments as a person reviewing an approval sees them: secrets redacted, long values
 * shortened, the whole bounded.
 */
import { redactText } from '../shared/index.js';

/** What replaces a secret in an argument preview. */
export const REDACTED_ARGUMENT = '[redacted]';

/** Longest argument preview on an approval card, in characters (MindRoom's limit). */
export const DEFAULT_MAX_ARGUMENT_CHARS = 1_200;

const MAX_DEPTH = 8;
const MAX_ITEMS = 50;

/** Words that make a key name a secret (`api_key`, `apiKey`, `X-Auth-Token`, `db_password`). */
const SECRET_WORDS = new Set([
  'password',
  'passwd',
  'passphrase',
  'secret',
  'token',
  'apikey',
  'authorization',
  'auth',
  'cookie',
  'credential',
  'credentials',
  'privatekey',
  'signature',
]);
const SECRET_WORD_PAIRS = new Set(['api key', 'private key', 'access key', 'client secret']);

/** Credential shapes beyond the logger's (`sk-…`, `syt_…`, `Bearer …`). */
const SECRET_VALUE_SHAPES: readonly RegExp[] = [
  /\bgh[pousr]_[A-Za-z0-9]{20,}/g,
  /\bgithub_pat_[A-Za-z0-9_]{20,}/g,
  /\bxox[abprs]-[A-Za-z0-9-]{10,}/g,
  /\bAIza[0-9A-Za-z_-]{30,}/g,
  /\bgsk_[A-Za-z0-9]{20,}/g,
  /\b(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{10,}/g,
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, // JWT
];

/** Whether a key names a secret, judged by its words (so `max_tokens` is not, `auth_token` is). */
export function isSecretKey(key: string): boolean {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word !== '');
  if (words.some((word) => SECRET_WORDS.has(word))) return true;
  return words.some((word, index) => SECRET_WORD_PAIRS.has(`${word} ${words[index + 1] ?? ''}`));
}

/** `text` with credential-shaped parts and URL passwords (`scheme://user:pass@`) redacted. */
export function redactSecretText(text: string): string {
  let out = redactText(text).replaceAll('[redacted]', REDACTED_ARGUMENT);
  for (const shape of SECRET_VALUE_SHAPES) out = out.replace(shape, REDACTED_ARGUMENT);
  return out.replace(
    /\b([A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s:/@]+:)[^\s@/]+@/g,
    `$1${REDACTED_ARGUMENT}@`,
  );
}

/**
 * A deep copy of `value` with every value under a secret-named key replaced by
 * {@link REDACTED_ARGUMENT} and secret-shaped text redacted in every string. Deeper than 8
 * levels is cut to `'[…]'`; lists and objects keep their first 50 entries, unless
 * `isUnbounded` (the full view of a call's arguments: nothing but secrets is left out, and
 * only nesting deeper than 64 levels is cut).
 */
export function redactArguments(
  value: unknown,
  depth = 0,
  options: { readonly isUnbounded?: boolean } = {},
): unknown {
  if (typeof value === 'string') return redactSecretText(value);
  if (value === null || typeof value !== 'object') return value;
  const isUnbounded = options.isUnbounded === true;
  if (depth >= (isUnbounded ? 64 : MAX_DEPTH)) return '[…]';
  const items = isUnbounded ? Number.POSITIVE_INFINITY : MAX_ITEMS;
  if (Array.isArray(value)) {
    return value.slice(0, items).map((item: unknown) => redactArguments(item, depth + 1, options));
  }
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value).slice(0, items)) {
    out[key] =
      isSecretKey(key) && inner !== null && inner !== undefined && inner !== ''
        ? REDACTED_ARGUMENT
        : redactArguments(inner, depth + 1, options);
  }
  return out;
}

/** An argument preview and whether anything was left out of it. */
export interface ArgumentPreview {
  /** Pretty JSON of the redacted arguments, at most `maxChars` characters. */
  readonly text: string;
  /** True when a value was shortened or the preview cut: the person does not see everything. */
  readonly isTruncated: boolean;
}

/**
 * The arguments as pretty JSON for a person to review: redacted (see {@link redactArguments}),
 * then, if longer than `maxChars`, every long string shortened to an equal share, then, if
 * still too long, cut with a note.
 */
export function previewArguments(
  args: unknown,
  maxChars: number = DEFAULT_MAX_ARGUMENT_CHARS,
): ArgumentPreview {
  const redacted = redactArguments(args);
  const full = pretty(redacted);
  if (full.length <= maxChars) return { text: full, isTruncated: false };
  const strings = countStrings(redacted);
  const share = Math.max(24, Math.floor(maxChars / Math.max(1, strings)) - 8);
  const shortened = pretty(shortenStrings(redacted, share));
  if (shortened.length <= maxChars) return { text: shortened, isTruncated: true };
  const note = '\n… (cut)';
  return {
    text: shortened.slice(0, Math.max(0, maxChars - note.length)) + note,
    isTruncated: true,
  };
}

function pretty(value: unknown): string {
  // `?? null`: JSON.stringify(undefined) is undefined, not text.
  return JSON.stringify(value ?? null, null, 2);
}

function countStrings(value: unknown): number {
  if (typeof value === 'string') return 1;
  if (value === null || typeof value !== 'object') return 0;
  return Object.values(value).reduce<number>((sum, inner) => sum + countStrings(inner), 0);
}

function shortenStrings(value: unknown, maxLength: number): unknown {
  if (typeof value === 'string') {
    if (value.length <= maxLength) return value;
    return `${value.slice(0, maxLength)}… (${value.length - maxLength} more characters)`;
  }
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item: unknown) => shortenStrings(item, maxLength));
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [key, shortenStrings(inner, maxLength)]),
  );
}
