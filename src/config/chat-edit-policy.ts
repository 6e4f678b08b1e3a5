/**
 * The limits of config edits that come from chat, judged on the config file's text: chat
 * editing must be turned on in the file, a value may not hold `${`, and settings that grant
 * power may not change (see `protectedPathProblem`).
 */
import type { Document } from 'yaml';
import { parseDocument } from 'yaml';
import { protectedPathProblem } from './config-authority.js';
import type { PathSegment } from './issues.js';

/** The refusal while `authorization.config_command_enabled` is not `true`. */
export const CHAT_DISABLED =
  '`!config` is turned off. An operator can turn it on with `authorization.config_command_enabled: true` in config.yaml.';
/** The refusal of a value or path holding `${`. */
export const NO_REFERENCES =
  'environment references (`${…}`) cannot be written from chat: chat never reads environment variables. An operator can add them to config.yaml on the server.';

/** Whether the file turns chat editing on (a literal `true`, never a reference). */
export function isChatEnabled(doc: Document): boolean {
  const data = doc.toJS({ maxAliasCount: 100 }) as unknown;
  const auth = (data as { authorization?: unknown } | null)?.authorization;
  return (
    auth !== null &&
    typeof auth === 'object' &&
    (auth as { config_command_enabled?: unknown }).config_command_enabled === true
  );
}

/**
 * Why chat may not make this change to `text`, if it may not: chat editing is off, the value
 * holds `${` anywhere (keys included), or the path (or anything the change replaces or
 * writes below it) is protected. `newValue` is `undefined` for a removal.
 */
export function chatRefusal(
  text: string,
  segments: readonly PathSegment[],
  newValue: unknown,
): string | undefined {
  const doc = parseDocument(text, { merge: true });
  // A broken file is reported by the edit itself, with its YAML error.
  if (doc.errors.length > 0) return undefined;
  if (!isChatEnabled(doc)) return CHAT_DISABLED;
  if (segments.some((segment) => String(segment).includes('${')) || holdsReference(newValue)) {
    return NO_REFERENCES;
  }
  const before = valueAt(doc.toJS({ maxAliasCount: 100 }) as unknown, segments);
  return protectedPathProblem(segments, before, newValue);
}

/** Whether any string or key in `value` contains `${`. */
function holdsReference(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('${');
  if (Array.isArray(value)) return value.some((item: unknown) => holdsReference(item));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).some(
      ([key, inner]) => key.includes('${') || holdsReference(inner),
    );
  }
  return false;
}

function valueAt(data: unknown, path: readonly PathSegment[]): unknown {
  let node = data;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}
