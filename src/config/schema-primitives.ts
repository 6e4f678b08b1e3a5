/**
 * Small zod schemas shared by the config blocks: names, room references, user ids, tool
 * entries, time zones.
 */
import { z } from 'zod';

/** Entity (agent, team) names: Matrix localpart material, lowercase. */
export const ENTITY_NAME = /^[a-z0-9._=-]+$/;
/** The router's name; no agent or team may use it. */
export const ROUTER_NAME = 'router';

/** A room Quorum manages by name: `lobby` becomes `#lobby:<server>`. */
const ROOM_KEY = /^[A-Za-z0-9._=/-]+$/;
const FULL_ALIAS = /^#[^\s:#]+:\S+$/;
// Room ids of room version 12 have no server part, so only the sigil is required.
const ROOM_ID = /^![^\s]+$/;
const USER_ID = /^@[^\s:]+:\S+$/;

/** True for a managed room key (`lobby`): a local alias name Quorum creates and joins. */
export function isRoomKey(value: string): boolean {
  return ROOM_KEY.test(value);
}

/** True for `lobby`, `#lobby:example.org` or `!abc:example.org`. */
export function isRoomRef(value: string): boolean {
  return ROOM_KEY.test(value) || FULL_ALIAS.test(value) || ROOM_ID.test(value);
}

/** The message for a value that is not a room reference. */
export const ROOM_REF_MESSAGE =
  'expected a room name (lobby), a room alias (#room:server) or a room id (!id:server)';

/** A string that is not empty after trimming (and is trimmed). */
export const nonEmptyString = z.string().trim().min(1, { error: 'must not be empty' });

/** A room name, full alias or room id (see `isRoomRef`). */
export const roomRefSchema = z.string().refine(isRoomRef, { error: ROOM_REF_MESSAGE });

/** A concrete Matrix user id (`@user:server`). */
export const userIdSchema = z
  .string()
  .refine((value) => USER_ID.test(value), { error: 'expected a Matrix user id (@user:server)' });

/**
 * A user id, a glob over user ids (`@*:example.org`, MindRoom's `*:example.org`, `@bot-?:x`)
 * or `*` (everyone). Globs use MindRoom's `fnmatch` syntax: `*`, `?`, `[abc]`, `[!abc]`.
 */
export const userPatternSchema = z
  .string()
  .refine((value) => /^[@*?[]\S*$/.test(value) && (value.startsWith('@') || /[*?[]/.test(value)), {
    error: "expected a Matrix user id (@user:server), a glob such as '@*:server', or '*'",
  });

/** True for an IANA zone name the runtime knows (`UTC`, `Europe/Amsterdam`). */
export function isValidTimeZone(value: string): boolean {
  // Offsets like '+01:00' are accepted by newer Intl versions but are not IANA zone names.
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(value)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/** An IANA time zone name (see `isValidTimeZone`). */
export const timeZoneSchema = z.string().refine(isValidTimeZone, {
  error: "expected an IANA time zone such as 'UTC' or 'Europe/Amsterdam'",
});

/** `string | string[]` → `string[]` (MindRoom takes a list; a single string is one instruction). */
export const instructionsSchema = z
  .union([z.string(), z.array(z.string())], {
    error: 'expected a string or a list of strings',
  })
  .nullish()
  .transform((value) =>
    value === null || value === undefined ? [] : typeof value === 'string' ? [value] : value,
  );

/** One normalized tool entry: the tool's name and its per-agent overrides. */
export interface ToolEntry {
  readonly name: string;
  readonly overrides: Readonly<Record<string, unknown>>;
}

const overridesSchema = z.record(z.string(), z.unknown());
// MindRoom's lazy-loading flags; Quorum loads every tool up front, so they are dropped.
const LAZY_FLAGS = new Set(['defer', 'initial']);

function withoutLazyFlags(overrides: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(overrides).filter(([key]) => !LAZY_FLAGS.has(key)));
}

const plainToolEntry = z
  .string()
  .trim()
  .min(1)
  .transform((name): ToolEntry => ({ name, overrides: {} }));

const namedToolEntry = z
  .strictObject({
    name: z.string().trim().min(1),
    overrides: overridesSchema.nullish(),
    defer: z.boolean().optional(),
    initial: z.boolean().optional(),
  })
  .transform((entry): ToolEntry => ({
    name: entry.name,
    overrides: withoutLazyFlags(entry.overrides ?? {}),
  }));

const compactToolEntry = z
  .record(z.string(), overridesSchema.nullable())
  .refine((entry) => Object.keys(entry).length === 1)
  .transform((entry): ToolEntry => {
    const [name = '', overrides] = Object.entries(entry)[0] ?? [];
    return { name: name.trim(), overrides: withoutLazyFlags(overrides ?? {}) };
  });

/**
 * A tool entry in MindRoom's three forms: `calculator`, `{shell: {option: value}}`, or
 * `{name: shell, overrides: {...}}`; normalized to `{ name, overrides }`.
 */
export const toolEntrySchema = z.union([plainToolEntry, namedToolEntry, compactToolEntry], {
  error:
    'expected a tool name, a single-key mapping {tool: {overrides}}, or {name: tool, overrides: {...}}',
});

/** Duplicates in `values`, each once, in first-duplicate order. */
export function duplicates(values: readonly string[]): string[] {
  const seen = new Set<string>();
  const out = new Set<string>();
  for (const value of values) {
    if (seen.has(value)) out.add(value);
    seen.add(value);
  }
  return [...out];
}
