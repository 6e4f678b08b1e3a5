/**
 * Turns zod issues into config issues: operator-friendly wording, one issue per unknown key
 * (with a "did you mean" hint), positioned in the YAML file.
 */
import type { z } from 'zod';
import type { ConfigIssue, PathSegment } from './issues.js';
import { REMOVED_MINDROOM_KEY_HINTS } from './mindroom-compat.js';
import type { YamlSource } from './yaml-source.js';
import { issueAt } from './yaml-source.js';

/** The keys allowed at an object path, to suggest a close one for a typo. */
export type KnownKeysAt = (path: readonly PathSegment[]) => readonly string[];

/** Converts every zod issue to one or more config issues. */
export function fromZodIssues(
  zodIssues: readonly z.core.$ZodIssue[],
  source: YamlSource,
  knownKeysAt: KnownKeysAt,
): ConfigIssue[] {
  return zodIssues.flatMap((issue) => {
    const path = issue.path.filter(
      (segment): segment is PathSegment => typeof segment !== 'symbol',
    );
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) =>
        issueAt(source, [...path, key], unknownKeyMessage(key, knownKeysAt(path)), 'key'),
      );
    }
    return [issueAt(source, path, describe(issue))];
  });
}

function describe(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return `required (expected ${article(issue.expected)})`;
      return `expected ${article(issue.expected)}, got ${describeValue(issue.input)}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((value) => String(value)).join(', ')}; got ${describeValue(issue.input)}`;
    case 'too_small':
    case 'too_big':
    case 'invalid_format':
    case 'not_multiple_of':
    case 'invalid_union':
    case 'invalid_key':
    case 'invalid_element':
    case 'custom':
    case 'unrecognized_keys':
      return issue.message.replace(/^(Invalid input|Too small|Too big): /, '');
  }
}

function article(type: string): string {
  const names: Record<string, string> = {
    object: 'a mapping',
    array: 'a list',
    record: 'a mapping',
    string: 'a string',
    number: 'a number',
    int: 'an integer',
    boolean: 'true or false',
  };
  return names[type] ?? type;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value;
}

function unknownKeyMessage(key: string, known: readonly string[]): string {
  const removed = REMOVED_MINDROOM_KEY_HINTS[key];
  if (removed !== undefined) return `unknown key '${key}': ${removed}`;
  const suggestion = closest(key, known);
  return suggestion === undefined
    ? `unknown key '${key}'`
    : `unknown key '${key}' (did you mean '${suggestion}'?)`;
}

/** The known key within edit distance 2 (or 1 for short keys) of `key`, if any. */
function closest(key: string, known: readonly string[]): string | undefined {
  const limit = key.length <= 4 ? 1 : 2;
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = editDistance(key.toLowerCase(), name);
    if (distance <= limit && (best === undefined || distance < best.distance))
      best = { name, distance };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + cost,
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

interface SchemaDef {
  readonly type: string;
  readonly innerType?: z.core.$ZodType;
  readonly in?: z.core.$ZodType;
  readonly out?: z.core.$ZodType;
  readonly shape?: Readonly<Record<string, z.core.$ZodType>>;
  readonly valueType?: z.core.$ZodType;
  readonly element?: z.core.$ZodType;
  readonly options?: readonly z.core.$ZodType[];
}

const WRAPPERS = new Set([
  'default',
  'prefault',
  'optional',
  'nullable',
  'readonly',
  'catch',
  'nonoptional',
]);

function defOf(schema: z.core.$ZodType): SchemaDef {
  return schema._zod.def;
}

/** Strips defaults, optionals and transforms down to the schema that describes the input shape. */
function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  let current = schema;
  for (let depth = 0; depth < 20; depth++) {
    const def = defOf(current);
    if (WRAPPERS.has(def.type) && def.innerType !== undefined) current = def.innerType;
    else if (def.type === 'pipe' && def.in !== undefined && def.out !== undefined) {
      // z.preprocess puts the transform first; .transform() puts it last.
      current = defOf(def.in).type === 'transform' ? def.out : def.in;
    } else return current;
  }
  return current;
}

function objectOf(schema: z.core.$ZodType): SchemaDef | undefined {
  const def = defOf(unwrap(schema));
  if (def.type === 'object') return def;
  if (def.type === 'union') {
    for (const option of def.options ?? []) {
      const inner = objectOf(option);
      if (inner !== undefined) return inner;
    }
  }
  return undefined;
}

/** A `KnownKeysAt` that reads the allowed keys from a zod schema (objects, records, lists, unions). */
export function knownKeysFromSchema(root: z.core.$ZodType): KnownKeysAt {
  return (path) => {
    let schema: z.core.$ZodType | undefined = root;
    for (const segment of path) {
      if (schema === undefined) return [];
      const def = defOf(unwrap(schema));
      if (def.type === 'record') schema = def.valueType;
      else if (def.type === 'array') schema = def.element;
      else schema = objectOf(schema)?.shape?.[String(segment)];
    }
    const object = schema === undefined ? undefined : objectOf(schema);
    return object?.shape === undefined ? [] : Object.keys(object.shape);
  };
}
