/**
 * Rendering plain values as YAML text to splice into an existing file: one-line (flow) form
 * and block form, in the layout `config.yaml` files use (2-space indent, `key: value`,
 * `[a, b]`, lists indented under their key).
 */
import { Document, Scalar, visit } from 'yaml';

const FLOW_OPTIONS = {
  collectionStyle: 'flow',
  lineWidth: 0,
  minContentWidth: 0,
  flowCollectionPadding: false,
  blockQuote: false,
} as const;

/** Values rendered on one line longer than this go in block form when a choice exists. */
export const MAX_INLINE_CHARS = 80;

/** `value` as one line of YAML: a scalar, or a flow collection (`[a, b]`, `{x: 1}`). */
export function renderInline(value: unknown): string {
  const doc = new Document(value);
  // A multi-line string would otherwise come out as several plain lines.
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && /[\n\r]/.test(node.value)) {
        node.type = Scalar.QUOTE_DOUBLE;
      }
    },
  });
  return doc.toString(FLOW_OPTIONS).trimEnd();
}

/** A mapping key as YAML (quoted when it must be, as `"#lobby:example.org"`). */
export function renderKey(key: string): string {
  return renderInline(key);
}

/** Whether `value` is a non-empty list or mapping (which has a block form). */
export function isNonEmptyCollection(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  return value !== null && typeof value === 'object' && Object.keys(value).length > 0;
}

/**
 * `value` (a non-empty collection) in block form, as lines without the indentation of the
 * place it goes: the caller indents every line but the first by the column the first starts at.
 * Nested lists are indented under their key, as in the example config.
 */
export function renderBlock(value: unknown): string[] {
  if (Array.isArray(value)) {
    return value.flatMap((item: unknown) => prefixFirst('- ', '  ', itemLines(item)));
  }
  const lines: string[] = [];
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    lines.push(...pairLines(key, inner));
  }
  return lines;
}

/** `key: value` as lines: inline when the value is a scalar, an empty or a short flat collection. */
export function pairLines(key: string, value: unknown): string[] {
  if (shouldInline(value)) return [`${renderKey(key)}: ${renderInline(value)}`];
  return [`${renderKey(key)}:`, ...renderBlock(value).map((line) => `  ${line}`)];
}

/** Nested `a:\n  b:\n    c: value` lines for a key path that does not exist yet. */
export function nestedPairLines(keys: readonly string[], value: unknown): string[] {
  const [first, ...rest] = keys;
  if (first === undefined) return renderBlock(value);
  if (rest.length === 0) return pairLines(first, value);
  return [`${renderKey(first)}:`, ...nestedPairLines(rest, value).map((line) => `  ${line}`)];
}

/**
 * Whether a new value is written on one line: scalars and empty collections always; lists of
 * scalars when they fit in {@link MAX_INLINE_CHARS} (like `rooms: [lobby, dev]`); mappings and
 * anything nested go in block form, which is how config files are usually written.
 */
export function shouldInline(value: unknown): boolean {
  if (!isNonEmptyCollection(value)) return true;
  if (!Array.isArray(value)) return false;
  return (
    value.every((item) => !isNonEmptyCollection(item)) &&
    renderInline(value).length <= MAX_INLINE_CHARS
  );
}

function itemLines(item: unknown): string[] {
  if (!isNonEmptyCollection(item) || (Array.isArray(item) && shouldInline(item))) {
    return [renderInline(item)];
  }
  return renderBlock(item);
}

function prefixFirst(first: string, rest: string, lines: readonly string[]): string[] {
  return lines.map((line, index) => (index === 0 ? first : rest) + line);
}

/** `lines` joined, every line after the first indented by `column` spaces. */
export function joinAtColumn(lines: readonly string[], column: number): string {
  const pad = ' '.repeat(column);
  return lines.map((line, index) => (index === 0 || line === '' ? line : pad + line)).join('\n');
}
