import type { JsonSchema } from './tool.js';

/** At most this many problems are reported for one call; the model fixes them in rounds. */
const MAX_PROBLEMS = 8;
/** Schemas nested deeper than this are not checked further (their values pass). */
const MAX_SCHEMA_DEPTH = 16;

/**
 * Checks tool arguments against the subset of JSON Schema models and MCP servers commonly
 * use: `type` (one or a list), `properties`, `required`, `additionalProperties: false`,
 * `enum`, `items`, `minimum`/`maximum`, `minLength`/`maxLength`, recursively. Keywords it
 * does not know pass. Returns the problems as sentences naming the argument path
 * (`` `room` is required ``), at most eight, or `[]` when the arguments fit.
 */
export function validateArguments(
  schema: JsonSchema,
  args: Readonly<Record<string, unknown>>,
): string[] {
  const problems: string[] = [];
  check(schema, args, '', problems, 0);
  return problems.slice(0, MAX_PROBLEMS);
}

function check(
  schema: JsonSchema,
  value: unknown,
  path: string,
  problems: string[],
  depth: number,
): void {
  if (problems.length >= MAX_PROBLEMS || depth > MAX_SCHEMA_DEPTH) return;
  const where = path === '' ? 'the arguments' : `\`${path}\``;

  const types = typesOf(schema['type']);
  if (types.length > 0 && !types.some((type) => hasType(value, type))) {
    problems.push(`${where} must be ${types.map(article).join(' or ')}, got ${describe(value)}`);
    return;
  }
  const allowed = schema['enum'];
  if (Array.isArray(allowed) && !allowed.some((option) => option === value)) {
    const options = allowed.map((option) => JSON.stringify(option)).join(', ');
    problems.push(`${where} must be one of ${options}, got ${showValue(value)}`);
    return;
  }
  if (typeof value === 'number') checkNumber(schema, value, where, problems);
  if (typeof value === 'string') checkString(schema, value, where, problems);
  if (Array.isArray(value)) {
    const items = asSchema(schema['items']);
    if (items !== undefined) {
      value.forEach((item, index) => {
        check(items, item, `${path}[${index}]`, problems, depth + 1);
      });
    }
    return;
  }
  if (isPlainObject(value)) checkObject(schema, value, path, problems, depth);
}

function checkObject(
  schema: JsonSchema,
  value: Readonly<Record<string, unknown>>,
  path: string,
  problems: string[],
  depth: number,
): void {
  const prefix = path === '' ? '' : `${path}.`;
  const properties = asSchema(schema['properties']) ?? {};
  const required = Array.isArray(schema['required']) ? schema['required'] : [];
  for (const name of required) {
    if (typeof name !== 'string' || Object.hasOwn(value, name)) continue;
    const expected = typesOf(asSchema(properties[name])?.['type']);
    const hint = expected.length > 0 ? ` (${expected.map(article).join(' or ')})` : '';
    problems.push(`\`${prefix}${name}\` is required${hint}`);
  }
  for (const [name, inner] of Object.entries(value)) {
    const propertySchema = Object.hasOwn(properties, name) ? asSchema(properties[name]) : undefined;
    if (propertySchema !== undefined) {
      check(propertySchema, inner, `${prefix}${name}`, problems, depth + 1);
    } else if (schema['additionalProperties'] === false) {
      const known = Object.keys(properties);
      problems.push(
        `\`${prefix}${name}\` is not an argument of this tool` +
          (known.length > 0 ? ` (it takes ${known.map((k) => `\`${k}\``).join(', ')})` : ''),
      );
    }
  }
}

function checkNumber(schema: JsonSchema, value: number, where: string, problems: string[]): void {
  const minimum = schema['minimum'];
  const maximum = schema['maximum'];
  if (typeof minimum === 'number' && value < minimum) {
    problems.push(`${where} must be at least ${minimum}, got ${value}`);
  }
  if (typeof maximum === 'number' && value > maximum) {
    problems.push(`${where} must be at most ${maximum}, got ${value}`);
  }
}

function checkString(schema: JsonSchema, value: string, where: string, problems: string[]): void {
  const minLength = schema['minLength'];
  const maxLength = schema['maxLength'];
  if (typeof minLength === 'number' && value.length < minLength) {
    problems.push(
      minLength === 1
        ? `${where} must not be empty`
        : `${where} must be at least ${minLength} characters long`,
    );
  }
  if (typeof maxLength === 'number' && value.length > maxLength) {
    problems.push(
      `${where} must be at most ${maxLength} characters long, got ${value.length} characters`,
    );
  }
}

function typesOf(type: unknown): string[] {
  if (typeof type === 'string') return [type];
  if (Array.isArray(type)) return type.filter((t): t is string => typeof t === 'string');
  return [];
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'null':
      return value === null;
    case 'array':
      return Array.isArray(value);
    case 'object':
      return isPlainObject(value);
    default:
      // An unknown type name is the schema's problem, not the model's: let it pass.
      return true;
  }
}

function isPlainObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function asSchema(value: unknown): JsonSchema | undefined {
  return isPlainObject(value) ? value : undefined;
}

function article(type: string): string {
  switch (type) {
    case 'integer':
    case 'object':
    case 'array':
      return `an ${type}`;
    case 'null':
      return 'null';
    default:
      return `a ${type}`;
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'number') return `the number ${value}`;
  if (typeof value === 'object') return 'an object';
  return typeof value === 'boolean' ? String(value) : typeof value;
}

/** A scalar as JSON (so a wrong enum string is shown quoted); anything else described. */
function showValue(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
    ? JSON.stringify(value)
    : describe(value);
}
