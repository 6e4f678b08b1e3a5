import {
  ConfigWatcher,
  formatIssues,
  formatWarnings,
  type ConfigLoadResult,
  type QuorumConfig,
} from '../config/index.js';
import { Supervisor, systemClock, type Logger, type QuorumMetrics } from '../shared/index.js';

type Env = Readonly<Record<string, string | undefined>>;

/** The config watcher as `runDaemon` drives it. */
export interface SupervisedWatcher {
  /** Starts watching; resolves once the first watcher runs. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Re-reads the file now (SIGHUP). */
  trigger(): void;
}

/**
 * The config watcher, supervised like a bot: if it fails on its own, a new one starts after
 * a linear backoff, remembering the last content it applied. Invalid files are logged and
 * counted, and the running config stays; a valid one goes to `apply`.
 */
export function superviseConfigWatcher(options: {
  readonly path: string;
  readonly env: Env;
  readonly appliedHash: string;
  readonly apply: (config: QuorumConfig, secretValues: readonly string[]) => Promise<unknown>;
  readonly metrics: QuorumMetrics;
  readonly log: Logger;
}): SupervisedWatcher {
  const { path, env, metrics, log } = options;
  let appliedHash = options.appliedHash;
  let watcher: ConfigWatcher | undefined;
  const onConfig = async (result: ConfigLoadResult): Promise<void> => {
    if (!result.ok) {
      metrics.configReloads.inc({ outcome: 'invalid' });
      log.error('config is invalid; the running config stays in effect', {
        problems: formatIssues(result.issues, path),
      });
      return;
    }
    if (result.warnings.length > 0) {
      log.warn('config has settings Quorum does not support yet', {
        warnings: formatWarnings(result.warnings, path),
      });
    }
    try {
      await options.apply(result.config, result.secretValues);
      appliedHash = result.contentHash;
    } catch (error: unknown) {
      log.error('could not apply the new config', { error });
    }
  };
  const supervisor = new Supervisor({
    name: 'config-watcher',
    clock: systemClock,
    log,
    stallAfterMs: undefined,
    run: async (signal, onStarted) => {
      const current = new ConfigWatcher({
        path,
        env,
        appliedContentHash: appliedHash,
        log: log.child({ component: 'config-watcher' }),
        onConfig,
      });
      watcher = current;
      await current.start(signal);
      onStarted();
      await current.finished();
    },
  });
  return {
    start: async () => {
      supervisor.start();
      await supervisor.whenSettled();
    },
    stop: () => supervisor.stop(),
    trigger: () => {
      watcher?.trigger();
    },
  };
}
