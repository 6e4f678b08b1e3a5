/**
 * MCP in the daemon: the client manager for `mcp_servers` (stdio servers start from a minimal
 * environment, never the daemon's), and Quorum's own MCP server (`--mcp` /
 * `quorum.mcp_server`) answering `ask_<agent>` with detached agent turns.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { canonicalJson, type McpServerExposureConfig, type QuorumConfig } from '../config/index.js';
import type { DetachedTurnSource } from '../http/index.js';
import type { Logger, QuorumMetrics, SecretScrubber } from '../shared/index.js';
import { systemClock } from '../shared/index.js';
import {
  createSdkSessionFactory,
  McpClientManager,
  QuorumMcpServer,
  type AgentAsker,
} from '../tools/index.js';
import { CliError } from './errors.js';
import { mcpBaseEnv, mcpServerSettings } from './mcp-env.js';
import { readSecret } from './secrets.js';

type Env = Readonly<Record<string, string | undefined>>;

/** Longest text kept from one MCP tool result before the runner's own cut. */
const MAX_MCP_OUTPUT_CHARS = 100_000;
/** What the prompt says a question asked over Quorum's MCP server came through. */
const MCP_CHANNEL = 'MCP (a client of Quorum’s MCP server)';

/** Quorum's version from package.json (`0.0.0` when it cannot be read). */
export function quorumVersion(): string {
  try {
    const pkg = JSON.parse(
      readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/**
 * The daemon's MCP clients. Stdio servers get `PATH`, `HOME`, locale, `TZ`, `TMPDIR` and the
 * user names from the daemon's environment, plus their own `env`, nothing else. The fleet
 * stops them at shutdown; should the process exit without that, its children are killed on
 * the way out (see {@link killMcpChildrenOnExit}).
 */
export function createMcpClients(env: Env, log: Logger, metrics: QuorumMetrics): McpClientManager {
  const mcpLog = log.child({ component: 'mcp' });
  const clients = new McpClientManager({
    clock: systemClock,
    log: mcpLog,
    metrics,
    sessions: createSdkSessionFactory({
      baseEnv: mcpBaseEnv(env),
      log: mcpLog,
      maxOutputChars: MAX_MCP_OUTPUT_CHARS,
      version: quorumVersion(),
    }),
  });
  killMcpChildrenOnExit(clients);
  return clients;
}

/**
 * If the daemon exits without its orderly shutdown (the shutdown deadline, a second signal),
 * stdio MCP servers are killed on the way out, so none outlives it. Returns the remover.
 */
export function killMcpChildrenOnExit(clients: Pick<McpClientManager, 'childPids'>): () => void {
  const onExit = (): void => {
    for (const pid of clients.childPids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  };
  process.once('exit', onExit);
  return () => {
    process.off('exit', onExit);
  };
}

/**
 * `quorum.mcp_server` with `--mcp` applied and its token (the config's, else
 * `QUORUM_MCP_TOKEN` or `QUORUM_MCP_TOKEN_FILE`); a CliError (exit 2) when it is on without a
 * usable token, before anything starts.
 */
export function quorumMcpSettings(
  config: QuorumConfig,
  flag: boolean,
  env: Env,
): McpServerExposureConfig {
  const settings = mcpServerSettings(
    config.quorum.mcp_server,
    flag,
    readSecret(env, 'QUORUM_MCP_TOKEN'),
  );
  if (!settings.ok) throw new CliError(settings.error, 2);
  return settings.settings;
}

/**
 * Each agent and team of the fleet as an `AgentAsker`: a question is one detached turn of that
 * agent (its instructions, tools without approval-gated calls, memory and knowledge) or team
 * (its members answer, its model synthesises), caller `mcp`, a fresh session per question.
 * Answers pass the secret scrubber.
 */
export function detachedAsker(turns: DetachedTurnSource, scrubber: SecretScrubber): AgentAsker {
  return {
    listAgents: () =>
      turns.entities().map((entity) => {
        const name = entity.kind === 'team' ? `Team ${entity.displayName}` : entity.displayName;
        return {
          name: entity.name,
          description: entity.role === '' ? name : `${name}: ${entity.role}`,
        };
      }),
    ask: async (agent, prompt, { signal }) => {
      const result = await turns.run({
        entity: agent,
        messages: [{ role: 'user', content: prompt }],
        caller: 'mcp',
        sessionId: `mcp-${randomUUID()}`,
        channel: MCP_CHANNEL,
        signal,
      });
      return scrubber.scrub(result.text);
    },
  };
}

/**
 * Starts Quorum's MCP server when `settings.enabled`, answering with `asker`; resolves with it
 * (to stop first at shutdown) or undefined when it is off. Rejects when it cannot listen.
 */
export async function startQuorumMcpServer(
  settings: McpServerExposureConfig,
  asker: AgentAsker,
  log: Logger,
): Promise<QuorumMcpServer | undefined> {
  if (!settings.enabled) return undefined;
  const server = new QuorumMcpServer(settings, {
    asker,
    clock: systemClock,
    log: log.child({ component: 'mcp-server' }),
    version: quorumVersion(),
  });
  await server.start();
  return server;
}

/**
 * Quorum's MCP server keeps the settings it started with: a reload that changes
 * `quorum.mcp_server` is logged as needing a restart instead of being ignored silently.
 */
export function warnMcpServerChange(running: QuorumConfig, next: QuorumConfig, log: Logger): void {
  if (canonicalJson(running.quorum.mcp_server) === canonicalJson(next.quorum.mcp_server)) return;
  log.warn('quorum.mcp_server changed: Quorum’s MCP server keeps its settings until a restart');
}
