/**
 * `quorum config validate` and `quorum config diff` as functions: the CLI prints `output` and
 * exits with `exitCode`.
 */
import type { ConfigEnv } from './interpolate-env.js';
import { formatIssues, formatWarnings } from './issues.js';
import type { ConfigLoadResult } from './load-config-file.js';
import { loadConfigFile } from './load-config-file.js';
import { formatPlan, planReload } from './plan-reload.js';
import { resolveEntitySpecs } from './resolve-entities.js';

/** What a command prints and the exit code it ends with. */
export interface CommandOutcome {
  /** 0: valid (warnings allowed); 1: the config has errors or cannot be read. */
  readonly exitCode: number;
  /** Text for stdout, without a trailing newline. */
  readonly output: string;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function problemLines(result: ConfigLoadResult, path: string): string[] {
  const lines: string[] = [];
  if (!result.ok) lines.push(formatIssues(result.issues, path));
  if (result.warnings.length > 0) lines.push(formatWarnings(result.warnings, path));
  return lines;
}

/**
 * Validates the config file at `path`: every problem with its line, then every warning, then
 * a one-line summary.
 */
export async function validateConfigFile(path: string, env: ConfigEnv): Promise<CommandOutcome> {
  const result = await loadConfigFile(path, env);
  const lines = problemLines(result, path);
  const warnings =
    result.warnings.length > 0 ? `, ${plural(result.warnings.length, 'warning')}` : '';
  if (!result.ok) {
    lines.push(`${path}: invalid (${plural(result.issues.length, 'error')}${warnings})`);
    return { exitCode: 1, output: lines.join('\n') };
  }
  const config = result.config;
  const counts = [
    plural(Object.keys(config.agents).length, 'agent'),
    plural(Object.keys(config.teams).length, 'team'),
    plural(Object.keys(config.models).length, 'model'),
  ].join(', ');
  lines.push(`${path}: valid (${counts}${warnings})`);
  return { exitCode: 0, output: lines.join('\n') };
}

/**
 * Prints the reload plan that going from the config at `oldPath` to the one at `newPath` would
 * apply, without applying it. Both files must be valid; their problems are printed otherwise.
 */
export async function diffConfigFiles(
  oldPath: string,
  newPath: string,
  env: ConfigEnv,
  serverName: string,
): Promise<CommandOutcome> {
  const [before, after] = await Promise.all([
    loadConfigFile(oldPath, env),
    loadConfigFile(newPath, env),
  ]);
  if (!before.ok || !after.ok) {
    const lines = [
      ...(before.ok ? [] : problemLines(before, oldPath)),
      ...(after.ok ? [] : problemLines(after, newPath)),
    ];
    lines.push('cannot compute a plan: fix the errors above first');
    return { exitCode: 1, output: lines.join('\n') };
  }
  const plan = planReload(
    resolveEntitySpecs(before.config, { serverName }),
    resolveEntitySpecs(after.config, { serverName }),
  );
  const summary = plan.hasChanges ? formatPlan(plan) : `${formatPlan(plan)}\nno changes`;
  return { exitCode: 0, output: summary };
}
