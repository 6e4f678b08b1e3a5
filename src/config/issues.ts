/**
 * Problems found in a config file, and how they are printed.
 *
 * Every problem names the YAML path (`agents.calc.model`) and the 1-based line and column in
 * the file, so an operator can jump straight to it. A problem with no position in the file
 * (the file is missing, unreadable) has line and column 0.
 */

/** One segment of a YAML path: a mapping key or a sequence index. */
export type PathSegment = string | number;

/** An error that makes the config unusable. */
export interface ConfigIssue {
  /** Dotted YAML path (`agents.calc.model`, `tool_approval.rules[0].match`); `''` for the whole file. */
  readonly path: string;
  readonly message: string;
  /** 1-based line in the file; 0 when the problem has no position. */
  readonly line: number;
  /** 1-based column in the file; 0 when the problem has no position. */
  readonly column: number;
}

/** A setting Quorum accepts but ignores (or treats differently); the config is still usable. */
export interface ConfigWarning {
  /** Dotted YAML path of the (first) place the warning is about. */
  readonly path: string;
  readonly message: string;
  readonly line: number;
  readonly column: number;
}

const PLAIN_KEY = /^[A-Za-z0-9_-]+$/;

/**
 * Renders path segments the way an operator would write them: `agents.calc.model`,
 * `tool_approval.rules[0].match`, `authorization.room_permissions["#lobby:example.org"]`.
 */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (PLAIN_KEY.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

function location(filePath: string, line: number, column: number): string {
  return line > 0 ? `${filePath}:${line}:${column}` : filePath;
}

/**
 * Human text for issues, one line per problem: `file:line:col path: message`
 * (`file: message` for a problem without position or path). Issues are printed in file order.
 */
export function formatIssues(issues: readonly ConfigIssue[], filePath: string): string {
  return sortByPosition(issues)
    .map((issue) => {
      const where = location(filePath, issue.line, issue.column);
      return issue.path === ''
        ? `${where}: ${issue.message}`
        : `${where} ${issue.path}: ${issue.message}`;
    })
    .join('\n');
}

/** Human text for warnings, one line each: `file:line:col path: warning: message`. */
export function formatWarnings(warnings: readonly ConfigWarning[], filePath: string): string {
  return sortByPosition(warnings)
    .map((warning) => {
      const where = location(filePath, warning.line, warning.column);
      const path = warning.path === '' ? '' : ` ${warning.path}`;
      return `${where}${path}: warning: ${warning.message}`;
    })
    .join('\n');
}

/** Stable order: by line, then column, then path (so equal positions keep a fixed order). */
export function sortByPosition<T extends ConfigIssue | ConfigWarning>(items: readonly T[]): T[] {
  return [...items].sort(
    (a, b) => a.line - b.line || a.column - b.column || a.path.localeCompare(b.path),
  );
}
