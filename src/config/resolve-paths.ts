/**
 * Where the config file and the data directory are.
 */
import { dirname, resolve } from 'node:path';
import type { ConfigEnv } from './interpolate-env.js';

/** Command-line values, environment and working directory to resolve paths from. */
export interface ResolvePathsInput {
  /** `--config` from the command line. */
  readonly argvConfig?: string | undefined;
  /** `--data-dir` from the command line. */
  readonly argvDataDir?: string | undefined;
  readonly env: ConfigEnv;
  /** The working directory relative paths resolve against. */
  readonly cwd: string;
}

/** Absolute paths of the config file and the data directory. */
export interface ResolvedPaths {
  /** Absolute path of `config.yaml`. */
  readonly configPath: string;
  /** Absolute path of the data directory (database, device keys). */
  readonly dataDir: string;
}

/** Default data directory name, created beside the config file. */
export const DEFAULT_DATA_DIR_NAME = 'quorum_data';

function given(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

/**
 * Config: `--config`, else `QUORUM_CONFIG_PATH`, else `./config.yaml`. Data: `--data-dir`,
 * else `QUORUM_DATA_DIR`, else `quorum_data/` beside the config file (as MindRoom keeps
 * `mindroom_data/` beside its config). Relative paths resolve against `cwd`. Pure.
 */
export function resolvePaths(input: ResolvePathsInput): ResolvedPaths {
  const configPath = resolve(
    input.cwd,
    given(input.argvConfig) ?? given(input.env['QUORUM_CONFIG_PATH']) ?? 'config.yaml',
  );
  const dataDirArg = given(input.argvDataDir) ?? given(input.env['QUORUM_DATA_DIR']);
  const dataDir =
    dataDirArg === undefined
      ? resolve(dirname(configPath), DEFAULT_DATA_DIR_NAME)
      : resolve(input.cwd, dataDirArg);
  return { configPath, dataDir };
}
