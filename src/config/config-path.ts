/**
 * Config paths as people type them in chat (`!config set agents.calc.model gpt-4o`), and which
 * of them a room admin may change.
 */
import type { PathSegment } from './issues.js';

/** A parsed config path, or why the text is not one. */
export type ConfigPathParse =
  | { readonly ok: true; readonly segments: readonly PathSegment[] }
  | { readonly ok: false; readonly error: string };

const PLAIN_SEGMENT = /^[^.[\]"'\s]+$/;

/**
 * Parses a dotted config path: `agents.calc.model`, `tool_approval.rules[0].match`,
 * `authorization.room_permissions["#lobby:example.org"]` (quoted with `"` or `'`), or
 * `room_models[#lobby:example.org]` (unquoted brackets). `[N]` gives a number (a list index);
 * a dotted `.0` stays the string `'0'`, which the editor reads as an index when the node there
 * is a list. `''` (or `.`) is the whole file. Never throws.
 */
export function parseConfigPath(text: string): ConfigPathParse {
  const source = text.trim();
  if (source === '' || source === '.') return { ok: true, segments: [] };
  const segments: PathSegment[] = [];
  let index = 0;
  const fail = (why: string): ConfigPathParse => ({
    ok: false,
    error: `\`${source}\` is not a config path: ${why} (write it like agents.calc.model or tool_approval.rules[0].match)`,
  });
  while (index < source.length) {
    const char = source[index];
    if (char === '[') {
      const close = findClosingBracket(source, index);
      if (close === -1) return fail(`'[' at ${index + 1} is not closed`);
      const inner = source.slice(index + 1, close).trim();
      const quoted = /^(["'])(.*)\1$/s.exec(inner);
      if (quoted !== null) segments.push(quoted[2] ?? '');
      else if (/^\d+$/.test(inner)) segments.push(Number(inner));
      else if (inner !== '') segments.push(inner);
      else return fail('empty brackets');
      index = close + 1;
      if (index < source.length && source[index] !== '.' && source[index] !== '[') {
        return fail(`expected '.' or '[' after ']' at ${index + 1}`);
      }
      if (source[index] === '.') index++;
      continue;
    }
    let end = index;
    while (end < source.length && source[end] !== '.' && source[end] !== '[') end++;
    const segment = source.slice(index, end);
    if (!PLAIN_SEGMENT.test(segment)) {
      return fail(segment === '' ? `empty name at ${index + 1}` : `bad name '${segment}'`);
    }
    segments.push(segment);
    index = end;
    if (source[index] === '.') {
      index++;
      if (index === source.length) return fail('it ends with a dot');
    }
  }
  return { ok: true, segments };
}

function findClosingBracket(source: string, open: number): number {
  const quote = source[open + 1];
  if (quote === '"' || quote === "'") {
    const closeQuote = source.indexOf(quote, open + 2);
    if (closeQuote === -1) return -1;
    return source.indexOf(']', closeQuote);
  }
  return source.indexOf(']', open);
}

/**
 * Who may change a config path: `global` (only config admins) or `room` (also an admin of that
 * room). `room` is the key exactly as written in the config (a room name like
 * `lobby`, an alias or a room id), for the caller to match against the room the command came
 * from (for example with `normalizeRoomRef`).
 */
export type ConfigPathScope =
  { readonly kind: 'global' } | { readonly kind: 'room'; readonly room: string };

/**
 * The scope of `path` (text or parsed segments). Room-scoped are the per-room entries and
 * anything below them: `room_models.<room>` and `rooms.<room>` (its display name and
 * description). `authorization` is never room-scoped: chat cannot change it at all. Everything else, including those maps as
 * a whole and a path that does not parse, is `global`, the stricter answer.
 */
export function configPathScope(path: string | readonly PathSegment[]): ConfigPathScope {
  let segments: readonly PathSegment[];
  if (typeof path === 'string') {
    const parsed = parseConfigPath(path);
    if (!parsed.ok) return { kind: 'global' };
    segments = parsed.segments;
  } else {
    segments = path;
  }
  const [first, second] = segments;
  if ((first === 'room_models' || first === 'rooms') && typeof second === 'string') {
    return { kind: 'room', room: second };
  }
  return { kind: 'global' };
}
