/**
 * Reading `config.yaml` from disk, with file problems reported like config problems.
 */
import { readFile } from 'node:fs/promises';
import type { ConfigEnv } from './interpolate-env.js';
import type { ConfigIssue, ConfigWarning } from './issues.js';
import type { QuorumConfig } from './schema.js';
import { hashConfigText, parseConfig } from './parse-config.js';

/** `parseConfig`'s result plus the hash of the text that was read (`undefined` if none was). */
export type ConfigLoadResult =
  | {
      readonly ok: true;
      readonly config: QuorumConfig;
      readonly warnings: readonly ConfigWarning[];
      /** See `ConfigParseResult`: secret values the config filled in, for the scrubber. */
      readonly secretValues: readonly string[];
      readonly contentHash: string;
    }
  | {
      readonly ok: false;
      readonly issues: readonly ConfigIssue[];
      readonly warnings: readonly ConfigWarning[];
      readonly contentHash: string | undefined;
    };

/** Node's error code of a failed file operation, if it has one. */
export function fileErrorCode(error: unknown): string | undefined {
  if (
    error !== null &&
    typeof error === 'object' &&
    'code' in error &&
    typeof error.code === 'string'
  ) {
    return error.code;
  }
  return undefined;
}

function describeReadError(path: string, error: unknown): string {
  switch (fileErrorCode(error) ?? 'unknown') {
    case 'ENOENT':
      return `config file not found: ${path}`;
    case 'EISDIR':
      return `config path is a directory, not a file: ${path}`;
    case 'EACCES':
    case 'EPERM':
      return `no permission to read the config file: ${path}`;
    default:
      return `cannot read the config file ${path}: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/**
 * Reads and parses the config file at `path`. Never throws: a missing or unreadable file is
 * an issue without position (line and column 0), like any other config problem.
 */
export async function loadConfigFile(path: string, env: ConfigEnv): Promise<ConfigLoadResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error: unknown) {
    return {
      ok: false,
      issues: [{ path: '', message: describeReadError(path, error), line: 0, column: 0 }],
      warnings: [],
      contentHash: undefined,
    };
  }
  const contentHash = hashConfigText(text);
  const result = parseConfig(text, { env, filePath: path });
  return result.ok ? { ...result, contentHash } : { ...result, contentHash };
}
