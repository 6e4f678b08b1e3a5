/**
 * Secrets come only from the environment.
 *
 * Any string value in the config may reference environment variables:
 * - `${NAME}` is replaced by the value of `NAME`; when `NAME` is unset or empty and `NAME_FILE`
 *   is set, by the contents of that file (trimmed), MindRoom's convention for container
 *   secrets. A reference that resolves to nothing is an error.
 * - `${NAME:-fallback}` uses `fallback` when neither is set.
 * - `$${` writes a literal `${`.
 *
 * A value that looks like a literal API key or token (`sk-…`, `syt_…`, `ghp_…`), or a literal
 * value under a secret-named key (`api_key`, `token`, `Authorization`, `OPENAI_API_KEY` in an
 * MCP `env:` block), is an error: write `${NAME}` and put the secret in the environment.
 *
 * A variable that holds a secret (see `secret-env.ts`) may only fill a field meant for secrets;
 * a reference to one anywhere else is an error at that line, whether or not it is set.
 * Every substitution is recorded, so problems can be shown with the text as written
 * (`${NAME}`) instead of the value.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { ConfigIssue, PathSegment } from './issues.js';
import {
  isSecretEnvName,
  isSecretField,
  isSecretKeyName,
  SECRET_FIELDS_DESCRIPTION,
} from './secret-env.js';
import type { YamlSource } from './yaml-source.js';
import { issueAt } from './yaml-source.js';

/** The process environment (or a test's), as given to `parseConfig`. */
export type ConfigEnv = Readonly<Record<string, string | undefined>>;

/** Reads a `NAME_FILE` secret file; injectable so tests need no files. */
export type SecretFileReader = (path: string) => string;

/** Where `${NAME}` references resolve from. */
export interface InterpolationOptions {
  readonly env: ConfigEnv;
  /** The config file; relative `NAME_FILE` paths resolve from its directory. */
  readonly filePath?: string | undefined;
  readonly readSecretFile?: SecretFileReader | undefined;
  /** Variables the operator declared as secrets (`quorum.secret_env`), besides the built-in rules. */
  readonly secretEnvNames?: ReadonlySet<string> | undefined;
}

/** One `${…}` reference that was filled in: its value and how it was written. */
export interface Substitution {
  /** The reference as written, `${NAME}` or `${NAME:-fallback}`. */
  readonly written: string;
  readonly value: string;
  /** True when the value is a secret (a secret variable, or read from a `NAME_FILE`). */
  readonly isSecret: boolean;
}

const REFERENCE = /\$\$\{|\$\{([^}]*)\}|\$\{/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Substrings that are real credentials in every format we know; never allowed literally. */
const SECRET_SHAPES: readonly RegExp[] = [
  /\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{20,}/, // OpenAI, Anthropic
  /\bsyt_[A-Za-z0-9_]{10,}/, // Synapse access tokens
  /\bgh[pousr]_[A-Za-z0-9]{30,}/, // GitHub
  /\bxox[abpr]-[A-Za-z0-9-]{10,}/, // Slack
  /\bAIza[0-9A-Za-z_-]{35}/, // Google
  /\bgsk_[A-Za-z0-9]{20,}/, // Groq
];

/**
 * Why `value`, found under `key`, is a literal secret, or `undefined` when it is not: a
 * credential-shaped substring anywhere, or a non-reference value under a secret-named key.
 */
export function literalSecretProblem(
  key: PathSegment | undefined,
  value: string,
): string | undefined {
  if (SECRET_SHAPES.some((shape) => shape.test(value))) {
    return 'looks like a literal API key or token; secrets come only from the environment: write ${NAME} (or set NAME_FILE)';
  }
  if (isSecretKeyName(key) && value.trim() !== '' && !value.includes('${')) {
    return `'${String(key)}' must not hold a literal secret; write \${NAME} and set NAME (or NAME_FILE) in the environment`;
  }
  return undefined;
}

/** Errors for literal secrets anywhere in `data` (checked before interpolation). */
export function findLiteralSecrets(data: unknown, source: YamlSource): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  walkStrings(data, [], (value, path) => {
    const problem = literalSecretProblem(path[path.length - 1], value);
    if (problem !== undefined) issues.push(issueAt(source, path, problem));
  });
  return issues;
}

/** The data with references resolved, and a problem per reference that could not be. */
export interface InterpolationResult {
  readonly data: unknown;
  readonly issues: readonly ConfigIssue[];
  /** Every reference filled in, for showing problems with the text as written. */
  readonly substitutions: readonly Substitution[];
}

/** Returns a copy of `data` with every `${NAME}` reference in string values resolved. */
export function interpolateEnv(
  data: unknown,
  source: YamlSource,
  options: InterpolationOptions,
): InterpolationResult {
  const issues: ConfigIssue[] = [];
  const substitutions: Substitution[] = [];
  const secretNames = options.secretEnvNames ?? new Set<string>();
  const resolveValue = (text: string, path: PathSegment[]): string =>
    text.replace(REFERENCE, (match, body: string | undefined) => {
      if (match === '$${') return '${';
      if (body === undefined) {
        issues.push(issueAt(source, path, "unterminated '${' (write '$${' for a literal '${')"));
        return match;
      }
      const name = referenceName(body);
      const isSecretName = NAME.test(name) && isSecretEnvName(name, secretNames);
      if (isSecretName && !isSecretField(path)) {
        issues.push(issueAt(source, path, misplacedSecret(match, name)));
        return match;
      }
      const outcome = resolveReference(body, options);
      if (typeof outcome === 'string') {
        substitutions.push({ written: match, value: outcome, isSecret: isSecretName });
        return outcome;
      }
      if ('fromFile' in outcome) {
        if (!isSecretField(path)) {
          issues.push(issueAt(source, path, misplacedSecret(match, `${name}_FILE`)));
          return match;
        }
        substitutions.push({ written: match, value: outcome.fromFile, isSecret: true });
        return outcome.fromFile;
      }
      issues.push(issueAt(source, path, outcome.error));
      return match;
    });
  const out = mapStrings(data, [], resolveValue);
  return { data: out, issues, substitutions };
}

function misplacedSecret(written: string, name: string): string {
  return `${written} would put a secret (${name}) into a field that is not meant for one; secret variables may only fill ${SECRET_FIELDS_DESCRIPTION} (declare a variable that is not secret in a name without KEY, TOKEN, SECRET or PASSWORD)`;
}

function referenceName(body: string): string {
  const separator = body.indexOf(':-');
  return separator === -1 ? body : body.slice(0, separator);
}

function resolveReference(
  body: string,
  options: InterpolationOptions,
): string | { fromFile: string } | { error: string } {
  const separator = body.indexOf(':-');
  const name = referenceName(body);
  const fallback = separator === -1 ? undefined : body.slice(separator + 2);
  if (!NAME.test(name)) {
    return {
      error: `'\${${body}}' is not a valid environment reference (use \${NAME} or \${NAME:-default})`,
    };
  }
  const direct = options.env[name];
  if (direct !== undefined && direct !== '') return direct;
  const file = options.env[`${name}_FILE`];
  if (file !== undefined && file !== '') {
    const path =
      options.filePath === undefined ? resolve(file) : resolve(dirname(options.filePath), file);
    try {
      return { fromFile: (options.readSecretFile ?? defaultSecretReader)(path).trim() };
    } catch (error: unknown) {
      const reason = error instanceof Error ? error.message : String(error);
      return { error: `cannot read ${name}_FILE (${path}): ${reason}` };
    }
  }
  if (fallback !== undefined) return fallback;
  return { error: `environment variable ${name} is not set (nor ${name}_FILE)` };
}

/**
 * `text` with each substituted value replaced by its reference as written (`${NAME}`), so a
 * problem about an interpolated field shows what the operator wrote, never the value. Secret
 * values are always replaced; other values from 4 characters on (shorter ones would garble
 * ordinary words and numbers).
 */
export function showAsWritten(text: string, substitutions: readonly Substitution[]): string {
  const replaceable = substitutions
    .filter((entry) => entry.value.length >= (entry.isSecret ? 1 : 4))
    .sort((a, b) => b.value.length - a.value.length);
  let out = text;
  for (const entry of replaceable) out = out.split(entry.value).join(entry.written);
  return out;
}

function defaultSecretReader(path: string): string {
  return readFileSync(path, 'utf8');
}

function walkStrings(
  value: unknown,
  path: PathSegment[],
  visit: (value: string, path: PathSegment[]) => void,
): void {
  if (typeof value === 'string') visit(value, path);
  else if (Array.isArray(value))
    value.forEach((item, index) => {
      walkStrings(item, [...path, index], visit);
    });
  else if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) walkStrings(inner, [...path, key], visit);
  }
}

function mapStrings(
  value: unknown,
  path: PathSegment[],
  map: (value: string, path: PathSegment[]) => string,
): unknown {
  if (typeof value === 'string') return value.includes('$') ? map(value, path) : value;
  if (Array.isArray(value))
    return value.map((item, index) => mapStrings(item, [...path, index], map));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [key, mapStrings(inner, [...path, key], map)]),
    );
  }
  return value;
}
