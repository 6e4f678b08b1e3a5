import {
  formatIssues,
  formatWarnings,
  loadConfigFile,
  type ConfigLoadResult,
  type QuorumConfig,
} from '../config/index.js';
import type { Logger, SecretScrubber } from '../shared/index.js';
import { environmentSecrets } from './env-secrets.js';
import { CliError } from './errors.js';

type Env = Readonly<Record<string, string | undefined>>;

/** A config that loaded and validated. */
export type ValidConfig = Extract<ConfigLoadResult, { ok: true }>;

/** The config file, valid (its warnings logged), or a CliError (exit 2) listing every problem. */
export async function loadValidConfig(
  configPath: string,
  env: Env,
  log: Logger,
): Promise<ValidConfig> {
  const loaded = await loadConfigFile(configPath, env);
  if (loaded.warnings.length > 0) {
    log.warn('config has settings Quorum does not support yet', {
      warnings: formatWarnings(loaded.warnings, configPath),
    });
  }
  if (!loaded.ok) {
    throw new CliError(`the config is invalid:\n${formatIssues(loaded.issues, configPath)}`, 2);
  }
  return loaded;
}

/**
 * Tells the scrubber the secrets a config snapshot brought: the values its `${NAME}`
 * references filled in, and the environment's credentials (including `quorum.secret_env`).
 */
export function rememberConfigSecrets(
  scrubber: SecretScrubber,
  env: Env,
  config: QuorumConfig,
  secretValues: readonly string[],
): void {
  scrubber.setSecrets('config', secretValues);
  scrubber.setSecrets('config-env', environmentSecrets(env, config.quorum.secret_env));
}
