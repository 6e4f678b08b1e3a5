import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  ConfigWatcher,
  formatIssues,
  formatWarnings,
  loadConfigFile,
  resolvePaths,
} from '../config/index.js';
import { HttpServer } from '../http/index.js';
import { ModelRegistry } from '../llm/index.js';
import {
  createBotSdkClient,
  createCryptoContext,
  hasCryptoStore,
  loadBotSdk,
  provisionAccount,
} from '../matrix/index.js';
import { MultiAgentOrchestrator, Supervisor, type MatrixConnector } from '../orchestrator/index.js';
import { QuorumMetrics, systemClock, type Logger } from '../shared/index.js';
import { SkillLibrary } from '../skills/index.js';
import { QuorumStore } from '../storage/index.js';
import type { CliCommand } from './argv.js';
import { toLlmModelConfigs } from './model-configs.js';
import { readSecret } from './secrets.js';

type Env = Readonly<Record<string, string | undefined>>;

/** A running daemon; `shutdown` stops it in order and is idempotent. */
export interface RunningDaemon {
  shutdown(): Promise<void>;
  /** Re-reads the config file now (SIGHUP). */
  reload(): void;
  readonly apiPort: number;
}

/**
 * Starts the daemon for `quorum run`: loads and validates the config (exit 2 on errors, with
 * every problem and its line), opens the store, starts the HTTP API, then boots the fleet.
 */
export async function runDaemon(
  command: Extract<CliCommand, { kind: 'run' }>,
  env: Env,
  log: Logger,
): Promise<RunningDaemon> {
  const paths = resolvePaths({
    argvConfig: command.config,
    argvDataDir: command.dataDir,
    env,
    cwd: process.cwd(),
  });
  const loaded = await loadConfigFile(paths.configPath, env);
  if (loaded.warnings.length > 0) {
    log.warn('config has settings Quorum does not support yet', {
      warnings: formatWarnings(loaded.warnings, paths.configPath),
    });
  }
  if (!loaded.ok) {
    throw new CliError(
      `the config is invalid:\n${formatIssues(loaded.issues, paths.configPath)}`,
      2,
    );
  }
  const homeserverUrl = env['MATRIX_HOMESERVER'];
  if (homeserverUrl === undefined || homeserverUrl === '') {
    throw new CliError(
      'MATRIX_HOMESERVER is not set: point it at your homeserver, e.g. http://localhost:8008',
      2,
    );
  }
  mkdirSync(paths.dataDir, { recursive: true, mode: 0o700 });
  const store = new QuorumStore(join(paths.dataDir, 'quorum.db'));
  const metrics = new QuorumMetrics();
  const sdk = loadBotSdk({ logger: log.child({ component: 'matrix-bot-sdk' }) });
  // End-to-end encryption for every bot: one device store per bot under <data>/crypto.
  const crypto = await createCryptoContext({
    storeDir: join(paths.dataDir, 'crypto'),
    log: log.child({ component: 'e2ee' }),
  });
  const registration = {
    ...optional('sharedSecret', readSecret(env, 'MATRIX_REGISTRATION_SHARED_SECRET')),
    ...optional('token', readSecret(env, 'MATRIX_REGISTRATION_TOKEN')),
  };
  const connector: MatrixConnector = {
    provision: async (request) =>
      (
        await provisionAccount({
          homeserverUrl,
          localpart: request.localpart,
          displayName: request.displayName,
          stored: request.stored,
          registration,
          signal: request.signal,
          logger: log.child({ component: 'accounts' }),
          // A device whose crypto store is gone is replaced (its keys are known to peers).
          keepDevice: (userId, deviceId) => hasCryptoStore(crypto, userId, deviceId),
        })
      ).credentials,
    connect: (credentials) =>
      createBotSdkClient(sdk, {
        homeserverUrl,
        credentials,
        logger: log.child({ component: 'matrix', userId: credentials.userId }),
        crypto,
      }),
  };
  const orchestrator = new MultiAgentOrchestrator(loaded.config, {
    store,
    connector,
    models: (config) => {
      const registry = new ModelRegistry({
        models: toLlmModelConfigs(config.models),
        env,
        clock: systemClock,
        log: log.child({ component: 'llm' }),
      });
      return { model: (name) => registry.get(name), names: () => registry.names() };
    },
    clock: systemClock,
    log,
    metrics,
    skills: new SkillLibrary({ clock: systemClock, log: log.child({ component: 'skills' }) }),
    configFile: { path: paths.configPath, env },
  });
  const http = new HttpServer({
    host: command.apiHost ?? env['QUORUM_API_HOST'] ?? '127.0.0.1',
    port: command.apiPort ?? numberOr(env['QUORUM_API_PORT'], 8765),
    source: orchestrator,
    encryption: crypto.health,
    log,
  });
  await http.start();
  log.info('starting', {
    config: paths.configPath,
    dataDir: paths.dataDir,
    homeserver: homeserverUrl,
    e2ee: crypto.backend?.name ?? 'unavailable',
  });

  // The config watcher is supervised like a bot: if it fails on its own, a new one starts
  // after a linear backoff, remembering the last content it applied.
  let appliedHash = loaded.contentHash;
  let watcher: ConfigWatcher | undefined;
  const watcherSupervisor = new Supervisor({
    name: 'config-watcher',
    clock: systemClock,
    log,
    stallAfterMs: undefined,
    run: async (signal, onStarted) => {
      const current = new ConfigWatcher({
        path: paths.configPath,
        env,
        appliedContentHash: appliedHash,
        log: log.child({ component: 'config-watcher' }),
        onConfig: async (result) => {
          if (!result.ok) {
            metrics.configReloads.inc({ outcome: 'invalid' });
            log.error('config is invalid; the running config stays in effect', {
              problems: formatIssues(result.issues, paths.configPath),
            });
            return;
          }
          if (result.warnings.length > 0) {
            log.warn('config has settings Quorum does not support yet', {
              warnings: formatWarnings(result.warnings, paths.configPath),
            });
          }
          try {
            await orchestrator.reload(result.config);
            appliedHash = result.contentHash;
          } catch (error: unknown) {
            log.error('could not apply the new config', { error });
          }
        },
      });
      watcher = current;
      await current.start(signal);
      onStarted();
      await current.finished();
    },
  });

  let shuttingDown: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    shuttingDown ??= (async () => {
      await watcherSupervisor.stop();
      await orchestrator.stop();
      await http.stop();
      store.close();
    })();
    return shuttingDown;
  };
  try {
    await orchestrator.start();
    // Watching starts after boot; its first check catches edits made while booting.
    watcherSupervisor.start();
    await watcherSupervisor.whenSettled();
  } catch (error: unknown) {
    await shutdown();
    throw error;
  }
  return {
    shutdown,
    reload: () => {
      watcher?.trigger();
    },
    apiPort: http.port,
  };
}

/** An error that ends the CLI with a message for the operator and an exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

function numberOr(value: string | undefined, fallback: number): number {
  const parsed = value === undefined ? Number.NaN : Number(value);
  return Number.isInteger(parsed) ? parsed : fallback;
}
