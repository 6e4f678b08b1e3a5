/**
 * `parseConfig`: text in, a validated immutable config snapshot (or every problem) out.
 *
 * Stages, each reporting problems by YAML path and file position:
 * 1. YAML syntax (and duplicate keys, unsupported tags);
 * 2. literal secrets (before any interpolation, so `${NAME}` values are never flagged);
 * 3. unsupported MindRoom keys removed, one warning each;
 * 4. `${NAME}` environment interpolation (a secret variable only in a field meant for secrets);
 * 5. the zod schema (shapes, types, defaults, unknown keys);
 * 6. cross-checks (references between blocks, names, failover cycles).
 */
import { createHash } from 'node:crypto';
import { crossCheck } from './cross-check.js';
import type { ConfigEnv, SecretFileReader } from './interpolate-env.js';
import { findLiteralSecrets, interpolateEnv, showAsWritten } from './interpolate-env.js';
import type { Substitution } from './interpolate-env.js';
import type { ConfigIssue, ConfigWarning } from './issues.js';
import { sortByPosition } from './issues.js';
import { stripUnsupportedKeys } from './mindroom-compat.js';
import type { QuorumConfig } from './schema.js';
import { configSchema } from './schema.js';
import { fromZodIssues, knownKeysFromSchema } from './zod-issues.js';
import { parseYamlSource } from './yaml-source.js';

/** Inputs to `parseConfig` besides the text. */
export interface ParseConfigOptions {
  /** The environment `${NAME}` references resolve against. */
  readonly env: ConfigEnv;
  /** The file the text came from: relative `NAME_FILE` paths resolve from its directory. */
  readonly filePath?: string | undefined;
  /** Reads `NAME_FILE` secrets; defaults to a synchronous UTF-8 file read. */
  readonly readSecretFile?: SecretFileReader | undefined;
}

/** The outcome of parsing a config: a snapshot, or every problem found. */
export type ConfigParseResult =
  | {
      readonly ok: true;
      readonly config: QuorumConfig;
      readonly warnings: readonly ConfigWarning[];
      /**
       * The values of secret variables the config filled in (`${OPENAI_API_KEY}`, values read
       * from `NAME_FILE`s): for the secret scrubber, never to be shown.
       */
      readonly secretValues: readonly string[];
    }
  | {
      readonly ok: false;
      /** Every error found, in file order; never empty. */
      readonly issues: readonly ConfigIssue[];
      readonly warnings: readonly ConfigWarning[];
    };

const knownKeysAt = knownKeysFromSchema(configSchema);

/**
 * Parses and validates `config.yaml` text. Pure apart from reading `NAME_FILE` secret files
 * (through `readSecretFile`). Never throws for bad input: every problem comes back as an issue
 * with its YAML path and 1-based line/column. On success the config is deeply frozen.
 */
export function parseConfig(text: string, options: ParseConfigOptions): ConfigParseResult {
  const parsed = parseYamlSource(text);
  if (!parsed.ok) return { ok: false, issues: sortByPosition(parsed.issues), warnings: [] };
  const source = parsed.source;

  // An empty file is an empty mapping (then reported for what it lacks, like a default model).
  const raw = source.data ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    return {
      ok: false,
      issues: [
        {
          path: '',
          message: 'the config must be a YAML mapping (key: value lines)',
          line: 1,
          column: 1,
        },
      ],
      warnings: [],
    };
  }
  const issues: ConfigIssue[] = [...findLiteralSecrets(raw, source)];
  const stripped = stripUnsupportedKeys(dropNullSections(raw), source);
  const warnings: ConfigWarning[] = [...stripped.warnings];
  const interpolated = interpolateEnv(stripped.data, source, {
    ...options,
    secretEnvNames: declaredSecretEnv(raw),
  });
  issues.push(...interpolated.issues);

  const result = configSchema.safeParse(interpolated.data, { reportInput: true });
  if (!result.success) {
    issues.push(...fromZodIssues(result.error.issues, source, knownKeysAt));
  } else if (issues.length === 0) {
    const checked = crossCheck(result.data, source);
    issues.push(...checked.issues);
    warnings.push(...checked.warnings);
  }
  // Problems quote values; an interpolated one is shown as written (`${NAME}`), never its value.
  const asWritten = <T extends ConfigIssue | ConfigWarning>(problems: T[]): T[] =>
    maskSubstitutions(problems, interpolated.substitutions);
  if (issues.length > 0) {
    return {
      ok: false,
      issues: asWritten(dedupe(sortByPosition(issues))),
      warnings: asWritten(sortByPosition(warnings)),
    };
  }
  return {
    ok: true,
    config: deepFreeze(result.data) as QuorumConfig,
    warnings: asWritten(sortByPosition(warnings)),
    secretValues: [
      ...new Set(
        interpolated.substitutions.filter((entry) => entry.isSecret).map((entry) => entry.value),
      ),
    ],
  };
}

function maskSubstitutions<T extends ConfigIssue | ConfigWarning>(
  problems: T[],
  substitutions: readonly Substitution[],
): T[] {
  if (substitutions.length === 0) return problems;
  return problems.map((problem) => ({
    ...problem,
    message: showAsWritten(problem.message, substitutions),
    path: showAsWritten(problem.path, substitutions),
  }));
}

/** `quorum.secret_env` as written (read before interpolation: the list itself names variables). */
function declaredSecretEnv(raw: object): ReadonlySet<string> {
  const quorum = (raw as { quorum?: unknown }).quorum;
  const listed =
    quorum !== null && typeof quorum === 'object'
      ? (quorum as { secret_env?: unknown }).secret_env
      : undefined;
  return new Set(
    Array.isArray(listed) ? listed.filter((name): name is string => typeof name === 'string') : [],
  );
}

/** SHA-256 of config text, hex; the watcher uses it to skip saves that change nothing. */
export function hashConfigText(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** MindRoom treats a top-level section written as `teams:` (null) as absent; so does Quorum. */
function dropNullSections(raw: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== null));
}

function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.line}:${issue.column}:${issue.path}:${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Freezes `value` and everything reachable from it; returns it. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
