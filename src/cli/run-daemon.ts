import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelCatalog } from '../agents/index.js';
import {
  ConfigWatcher,
  formatIssues,
  formatWarnings,
  loadConfigFile,
  resolvePaths,
  type ConfigLoadResult,
  type QuorumConfig,
} from '../config/index.js';
import { HttpServer } from '../http/index.js';
import { ModelRegistry } from '../llm/index.js';
import { createBotSdkClient, loadBotSdk, provisionAccount } from '../matrix/index.js';
import { MultiAgentOrchestrator, type MatrixConnector } from '../orchestrator/index.js';
import { QuorumMetrics, Supervisor, systemClock, type Logger } from '../shared/index.js';
import { SkillLibrary } from '../skills/index.js';
import { QuorumStore } from '../storage/index.js';
import type { CliCommand } from './argv.js';
import { toLlmModelConfigs } from './model-configs.js';
import { openAiAuthFor } from './openai-compat.js';
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
 * every problem and its line), opens the store, starts the HTTP API, then boots the fleet
 * under `signal` (the root signal: aborting it stops the fleet).
 */
export async function runDaemon(
  command: Extract<CliCommand, { kind: 'run' }>,
  env: Env,
  log: Logger,
  signal: AbortSignal,
): Promise<RunningDaemon> {
  const paths = resolvePaths({
    argvConfig: command.config,
    argvDataDir: command.dataDir,
    env,
    cwd: process.cwd(),
  });
  const loaded = await loadValidConfig(paths.configPath, env, log);
  // Anywhere but loopback, the OpenAI-compatible API needs keys: refuse before anything starts.
  const openAi = openAiAuthFor(env, apiHostOf(command, env));
  if (!openAi.ok) throw new CliError(`refusing to start: ${openAi.problem}`, 2);
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
  const orchestrator = new MultiAgentOrchestrator(loaded.config, {
    store,
    connector: matrixConnector(sdk, { homeserverUrl, dataDir: paths.dataDir, env, log }),
    models: (config) => modelCatalog(config, env, log),
    clock: systemClock,
    log,
    metrics,
    skills: new SkillLibrary({ clock: systemClock, log: log.child({ component: 'skills' }) }),
    configFile: { path: paths.configPath, env },
  });
  const http = apiServer(command, env, orchestrator, log);
  await http.start();
  log.info('starting', {
    config: paths.configPath,
    dataDir: paths.dataDir,
    homeserver: homeserverUrl,
    e2ee: sdk.encryption.isAvailable,
  });
  const watcher = superviseConfigWatcher({
    path: paths.configPath,
    env,
    appliedHash: loaded.contentHash,
    apply: (config) => orchestrator.reload(config),
    metrics,
    log,
  });

  let shuttingDown: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    shuttingDown ??= (async () => {
      await watcher.stop();
      await orchestrator.stop();
      await http.stop();
      store.close();
    })();
    return shuttingDown;
  };
  try {
    await orchestrator.start(signal);
    // Watching starts after boot; its first check catches edits made while booting.
    await watcher.start();
  } catch (error: unknown) {
    await shutdown();
    throw error;
  }
  return {
    shutdown,
    reload: () => {
      watcher.trigger();
    },
    apiPort: http.port,
  };
}

/** The address the HTTP API listens on (`--api-host`, `QUORUM_API_HOST`, else loopback). */
function apiHostOf(command: Extract<CliCommand, { kind: 'run' }>, env: Env): string {
  return command.apiHost ?? env['QUORUM_API_HOST'] ?? '127.0.0.1';
}

/** The HTTP API (health, readiness, metrics) on the configured host and port. */
function apiServer(
  command: Extract<CliCommand, { kind: 'run' }>,
  env: Env,
  source: MultiAgentOrchestrator,
  log: Logger,
): HttpServer {
  return new HttpServer({
    host: apiHostOf(command, env),
    port: command.apiPort ?? numberOr(env['QUORUM_API_PORT'], 8765),
    source,
    log,
  });
}

/** The config file, valid (its warnings logged), or a CliError (exit 2) listing every problem. */
async function loadValidConfig(
  configPath: string,
  env: Env,
  log: Logger,
): Promise<{ readonly config: QuorumConfig; readonly contentHash: string }> {
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

/** Bot accounts on the homeserver through matrix-bot-sdk, registered as the env allows. */
function matrixConnector(
  sdk: ReturnType<typeof loadBotSdk>,
  options: { homeserverUrl: string; dataDir: string; env: Env; log: Logger },
): MatrixConnector {
  const { homeserverUrl, env, log } = options;
  const registration = {
    ...optional('sharedSecret', readSecret(env, 'MATRIX_REGISTRATION_SHARED_SECRET')),
    ...optional('token', readSecret(env, 'MATRIX_REGISTRATION_TOKEN')),
  };
  return {
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
        })
      ).credentials,
    connect: (credentials) =>
      createBotSdkClient(sdk, {
        homeserverUrl,
        credentials,
        logger: log.child({ component: 'matrix', userId: credentials.userId }),
        cryptoStoreDir: join(options.dataDir, 'crypto'),
      }),
  };
}

/** The models of a config snapshot, with their keys from the environment. */
function modelCatalog(config: QuorumConfig, env: Env, log: Logger): ModelCatalog {
  const registry = new ModelRegistry({
    models: toLlmModelConfigs(config.models),
    env,
    clock: systemClock,
    log: log.child({ component: 'llm' }),
  });
  return { model: (name) => registry.get(name), names: () => registry.names() };
}

/** The config watcher as `runDaemon` drives it. */
interface SupervisedWatcher {
  /** Starts watching; resolves once the first watcher runs. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Re-reads the file now (SIGHUP). */
  trigger(): void;
}

/**
 * The config watcher, supervised like a bot: if it fails on its own, a new one starts after
 * a linear backoff, remembering the last content it applied. Invalid files are logged and
 * counted, and the running config stays.
 */
function superviseConfigWatcher(options: {
  readonly path: string;
  readonly env: Env;
  readonly appliedHash: string;
  readonly apply: (config: QuorumConfig) => Promise<unknown>;
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
      await options.apply(result.config);
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
