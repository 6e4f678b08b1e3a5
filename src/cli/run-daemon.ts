import { dirname, join } from 'node:path';
import type { ModelCatalog } from '../agents/index.js';
import { resolvePaths, type QuorumConfig } from '../config/index.js';
import { detachedCompletions, HttpServer } from '../http/index.js';
import { ModelRegistry } from '../llm/index.js';
import { createCryptoContext, loadBotSdk, type CryptoContext } from '../matrix/index.js';
import { MultiAgentOrchestrator, type MatrixConnector } from '../orchestrator/index.js';
import { QuorumMetrics, systemClock, type Logger, type SecretScrubber } from '../shared/index.js';
import { SkillLibrary } from '../skills/index.js';
import type { McpClientManager, QuorumMcpServer } from '../tools/index.js';
import type { QuorumStore } from '../storage/index.js';
import type { CliCommand } from './argv.js';
import { apiExposure, type ApiExposure } from './api-exposure.js';
import { botConnector } from './bot-connector.js';
import { superviseConfigWatcher, type SupervisedWatcher } from './config-watching.js';
import { loadValidConfig, rememberConfigSecrets } from './daemon-config.js';
import { openDataDir } from './data-dir.js';
import {
  createMcpClients,
  detachedAsker,
  quorumMcpSettings,
  startQuorumMcpServer,
  warnMcpServerChange,
} from './daemon-mcp.js';
import { memoryAndKnowledge } from './daemon-memory.js';
import { CliError } from './errors.js';
import { shellBaseEnv } from './mcp-env.js';
import { toLlmModelConfigs } from './model-configs.js';

export { CliError } from './errors.js';

type Env = Readonly<Record<string, string | undefined>>;

/** A running daemon; `shutdown` stops it in order and is idempotent. */
export interface RunningDaemon {
  shutdown(): Promise<void>;
  /** Re-reads the config file now (SIGHUP). */
  reload(): void;
  readonly apiPort: number;
}

/** What the CLI hands the daemon besides the command and the environment. */
export interface DaemonContext {
  readonly log: Logger;
  /** The root signal: aborting it stops the fleet. */
  readonly signal: AbortSignal;
  /** Learns every secret the daemon meets; logs, rooms, API answers and prompts pass it. */
  readonly scrubber: SecretScrubber;
}

/**
 * Starts the daemon for `quorum run`: loads and validates the config (exit 2 on errors, with
 * every problem and its line), checks where the API and Quorum's MCP server may listen, takes
 * the data directory's lock and opens the store, starts the HTTP API, then boots the fleet
 * (MCP servers start in the background with it), then Quorum's MCP server when it is on.
 * Every secret it knows of (environment credentials, the config's secret values, bot tokens
 * and passwords) goes to the scrubber. Shutdown: Quorum's MCP server, the config watcher, the
 * fleet (bots, turns, then the MCP clients), the API, the store.
 */
export async function runDaemon(
  command: Extract<CliCommand, { kind: 'run' }>,
  env: Env,
  context: DaemonContext,
): Promise<RunningDaemon> {
  const { log, scrubber } = context;
  const paths = resolvePaths({
    argvConfig: command.config,
    argvDataDir: command.dataDir,
    env,
    cwd: process.cwd(),
  });
  const loaded = await loadValidConfig(paths.configPath, env, log);
  rememberConfigSecrets(scrubber, env, loaded.config, loaded.secretValues);
  const exposure = apiExposure(command.apiHost, env);
  const mcpServer = quorumMcpSettings(loaded.config, command.mcp, env);
  const homeserverUrl = homeserverUrlOf(env);
  const { lock, store } = openDataDir(paths.dataDir);
  const metrics = new QuorumMetrics();
  const matrix = { homeserverUrl, dataDir: paths.dataDir, env, log, scrubber };
  const { crypto, connector } = await matrixAccess(matrix);
  const mcp = createMcpClients(env, log, metrics);
  const orchestrator = createOrchestrator(loaded.config, {
    store,
    connector,
    mcp,

    metrics,
    env,
    context,
    paths,
  });
  const http = apiServer(orchestrator, {
    exposure,
    port: command.apiPort ?? numberOr(env['QUORUM_API_PORT'], 8765),
    metrics,
    context,
    crypto,
  });
  await http.start();
  log.info('starting', {
    config: paths.configPath,
    dataDir: paths.dataDir,
    homeserver: homeserverUrl,
    e2ee: crypto.backend?.name ?? 'unavailable',
  });
  const watcher = watchConfig(orchestrator, {
    path: paths.configPath,
    env,
    loaded,
    metrics,
    context,
  });
  let quorumMcp: QuorumMcpServer | undefined;
  const shutdown = once(async () => {
    await quorumMcp?.stop();
    await watcher.stop();
    await orchestrator.stop();
    await http.stop();
    store.close();
    lock.release();
  });
  try {
    await orchestrator.start(context.signal);
    // Watching starts after boot; its first check catches edits made while booting.
    await watcher.start();
    const asker = detachedAsker(orchestrator.detachedTurns(), scrubber);
    quorumMcp = await startQuorumMcpServer(mcpServer, asker, log);
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

/** The config watcher: every valid edit reloads the fleet, its secrets going to the scrubber. */
function watchConfig(
  orchestrator: MultiAgentOrchestrator,
  options: {
    readonly path: string;
    readonly env: Env;
    readonly loaded: { readonly contentHash: string; readonly config: QuorumConfig };
    readonly metrics: QuorumMetrics;
    readonly context: DaemonContext;
  },
): SupervisedWatcher {
  const { env, context } = options;
  return superviseConfigWatcher({
    path: options.path,
    env,
    appliedHash: options.loaded.contentHash,
    apply: (config, secretValues) => {
      rememberConfigSecrets(context.scrubber, env, config, secretValues);
      warnMcpServerChange(options.loaded.config, config, context.log);
      return orchestrator.reload(config);
    },
    metrics: options.metrics,
    log: context.log,
  });
}

/** The fleet's composition root with everything the CLI provides. */
function createOrchestrator(
  config: QuorumConfig,
  options: {
    readonly store: QuorumStore;
    readonly connector: MatrixConnector;
    readonly mcp: McpClientManager;
    readonly metrics: QuorumMetrics;
    readonly env: Env;
    readonly context: DaemonContext;
    readonly paths: { readonly configPath: string; readonly dataDir: string };
  },
): MultiAgentOrchestrator {
  const { env, context, paths } = options;
  const { log, scrubber } = context;
  return new MultiAgentOrchestrator(config, {
    store: options.store,
    connector: options.connector,
    models: (snapshot) => modelCatalog(snapshot, env, log, scrubber),
    clock: systemClock,
    log,
    metrics: options.metrics,
    skills: new SkillLibrary({ clock: systemClock, log: log.child({ component: 'skills' }) }),
    configFile: { path: paths.configPath, env },
    mcp: options.mcp,
    services: [
      memoryAndKnowledge(config, {
        store: options.store,
        dataDir: paths.dataDir,
        configDir: dirname(paths.configPath),
        env,
        metrics: options.metrics,
        log,
        scrubber,
      }),
    ],
    toolHost: { workspaceRoot: join(paths.dataDir, 'workspaces'), shellEnv: shellBaseEnv(env) },
  });
}

/**
 * How bots reach Matrix: matrix-bot-sdk, end-to-end encryption for every bot (one device
 * store per bot under `<data>/crypto`), and the connector that provisions and connects them.
 */
async function matrixAccess(options: {
  readonly homeserverUrl: string;
  readonly dataDir: string;
  readonly env: Env;
  readonly log: Logger;
  readonly scrubber: SecretScrubber;
}): Promise<{ readonly crypto: CryptoContext; readonly connector: MatrixConnector }> {
  const { log } = options;
  const sdk = loadBotSdk({ logger: log.child({ component: 'matrix-bot-sdk' }) });
  const crypto = await createCryptoContext({
    storeDir: join(options.dataDir, 'crypto'),
    log: log.child({ component: 'e2ee' }),
  });
  return { crypto, connector: botConnector(sdk, { ...options, crypto }) };
}

/**
 * The HTTP API: health, readiness and metrics (behind the API token when set), and the
 * OpenAI-compatible API under `/v1` (behind its own keys), answered by the fleet's agents
 * and teams outside Matrix.
 */
function apiServer(
  orchestrator: MultiAgentOrchestrator,
  options: {
    readonly exposure: ApiExposure;
    readonly port: number;
    readonly metrics: QuorumMetrics;
    readonly context: DaemonContext;
    readonly crypto: CryptoContext;
  },
): HttpServer {
  const { exposure, context } = options;
  const { log, scrubber } = context;
  // Each API key is a secret of its own (the variable holds them comma-separated).
  scrubber.setSecrets('openai-api-keys', exposure.openAi.auth.apiKeys);
  return new HttpServer({
    host: exposure.host,
    port: options.port,
    source: orchestrator,
    encryption: options.crypto.health,
    log,
    bearerToken: exposure.bearerToken,
    scrubber,
    openAi: {
      completions: detachedCompletions(orchestrator.detachedTurns()),
      auth: exposure.openAi.auth,
      log: log.child({ component: 'openai-api' }),
      metrics: options.metrics,
      scrubber,
      signal: context.signal,
    },
  });
}

/** The homeserver's Client-Server API URL, or a CliError (exit 2) saying how to set it. */
function homeserverUrlOf(env: Env): string {
  const url = env['MATRIX_HOMESERVER'];
  if (url === undefined || url === '') {
    throw new CliError(
      'MATRIX_HOMESERVER is not set: point it at your homeserver, e.g. http://localhost:8008',
      2,
    );
  }
  return url;
}

/** `run`, started at most once: every call resolves with the same run. */
function once(run: () => Promise<void>): () => Promise<void> {
  let started: Promise<void> | undefined;
  return () => (started ??= run());
}

/** The models of a config snapshot, with their keys from the environment. */
function modelCatalog(
  config: QuorumConfig,
  env: Env,
  log: Logger,
  scrubber: SecretScrubber,
): ModelCatalog {
  const registry = new ModelRegistry({
    models: toLlmModelConfigs(config.models),
    env,
    clock: systemClock,
    log: log.child({ component: 'llm' }),
    scrubber,
  });
  return { model: (name) => registry.get(name), names: () => registry.names() };
}

function numberOr(value: string | undefined, fallback: number): number {
  const parsed = value === undefined ? Number.NaN : Number(value);
  return Number.isInteger(parsed) ? parsed : fallback;
}
