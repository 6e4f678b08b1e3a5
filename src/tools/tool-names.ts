/**
 * Model-visible function names. OpenAI and Anthropic both accept only `^[a-zA-Z0-9_-]{1,64}$`;
 * MCP servers may name tools with dots, slashes or up to 128 characters. These functions turn
 * any name into a valid one deterministically: the same input always gives the same output,
 * whatever order tools arrive in.
 */
import { createHash } from 'node:crypto';

/** The pattern both providers require of a function name. */
export const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** Longest function name the providers accept. */
export const MAX_FUNCTION_NAME_LENGTH = 64;
const HASH_LENGTH = 8;

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, HASH_LENGTH);
}

/**
 * `name` made valid: characters outside `[A-Za-z0-9_-]` become `_`; a name longer than 64
 * characters keeps its first 55 and ends with `_` and 8 hex digits of a hash of the original,
 * so two long names that share a beginning stay distinct.
 */
export function toFunctionName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9_-]/g, '_') || '_';
  if (cleaned.length <= MAX_FUNCTION_NAME_LENGTH) return cleaned;
  return withSuffix(cleaned, shortHash(name));
}

/** `name` cut so that `name_suffix` fits in 64 characters. */
function withSuffix(name: string, suffix: string): string {
  return `${name.slice(0, MAX_FUNCTION_NAME_LENGTH - suffix.length - 1)}_${suffix}`;
}

/**
 * The function name of MCP tool `remoteName` of a server whose prefix is `prefix`
 * (`tool_prefix`, else the server id): `<prefix>_<remoteName>`, made valid.
 */
export function mcpFunctionName(prefix: string, remoteName: string): string {
  return toFunctionName(`${prefix}_${remoteName}`);
}

/**
 * Unique function names for tools wanting `wanted` names, in the given order of precedence:
 * the first tool wanting a name gets it; a later one gets the name with `_` and 8 hex digits of
 * a hash of its `key` appended (cut to fit 64 characters), and so on should even that be taken.
 * `taken` holds names already in use (built-in tools); they are never handed out.
 */
export function uniqueFunctionNames(
  wanted: readonly { readonly name: string; readonly key: string }[],
  taken: ReadonlySet<string> = new Set(),
): string[] {
  const used = new Set(taken);
  return wanted.map(({ name, key }) => {
    let candidate = name;
    for (let round = 0; used.has(candidate); round++) {
      candidate = withSuffix(name, shortHash(round === 0 ? key : `${key}#${round}`));
    }
    used.add(candidate);
    return candidate;
  });
}
