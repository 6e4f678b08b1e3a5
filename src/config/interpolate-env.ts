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
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { ConfigIssue, PathSegment } from './issues.js';
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

const SECRET_KEYS = new Set([
  'api_key',
  'apikey',
  'token',
  'access_token',
  'secret',
  'client_secret',
  'password',
  'authorization',
]);
/** Environment-variable style keys, as in an MCP server's `env:` block. */
const SECRET_ENV_KEY = /^[A-Z0-9_]*(API_KEY|TOKEN|SECRET|PASSWORD)$/;

function isSecretKey(key: PathSegment | undefined): boolean {
  if (typeof key !== 'string') return false;
  return SECRET_KEYS.has(key.toLowerCase()) || SECRET_ENV_KEY.test(key);
}

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
  if (isSecretKey(key) && value.trim() !== '' && !value.includes('${')) {
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
}

/** Returns a copy of `data` with every `${NAME}` reference in string values resolved. */
export function interpolateEnv(
  data: unknown,
  source: YamlSource,
  options: InterpolationOptions,
): InterpolationResult {
  const issues: ConfigIssue[] = [];
  const resolveValue = (text: string, path: PathSegment[]): string =>
    text.replace(REFERENCE, (match, body: string | undefined) => {
      if (match === '$${') return '${';
      if (body === undefined) {
        issues.push(issueAt(source, path, "unterminated '${' (write '$${' for a literal '${')"));
        return match;
      }
      const outcome = resolveReference(body, options);
      if (typeof outcome === 'string') return outcome;
      issues.push(issueAt(source, path, outcome.error));
      return match;
    });
  const out = mapStrings(data, [], resolveValue);
  return { data: out, issues };
}

function resolveReference(body: string, options: InterpolationOptions): string | { error: string } {
  const separator = body.indexOf(':-');
  const name = separator === -1 ? body : body.slice(0, separator);
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
      return (options.readSecretFile ?? defaultSecretReader)(path).trim();
    } catch (error: unknown) {
      const reason = error instanceof Error ? error.message : String(error);
      return { error: `cannot read ${name}_FILE (${path}): ${reason}` };
    }
  }
  if (fallback !== undefined) return fallback;
  return { error: `environment variable ${name} is not set (nor ${name}_FILE)` };
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
