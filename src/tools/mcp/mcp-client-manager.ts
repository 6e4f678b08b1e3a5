/**
 * Every configured MCP server, each supervised on its own: started in parallel and never
 * awaited by anyone who does not ask (`ready`), reconfigured server by server on reload,
 * and stopped with the daemon. SDK-free: sessions come from an `McpSessionFactory`.
 */
import { canonicalJson, type McpServerConfig } from '../../config/index.js';
import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  runTask,
  type Clock,
  type Logger,
  type QuorumMetrics,
  type StartGate,
} from '../../shared/index.js';
import { McpError } from './errors.js';
import type { McpCatalogue } from './mcp-catalogue.js';
import type { McpServerStatus } from './mcp-server-status.js';
import type { McpCallOutcome, McpSessionFactory } from './mcp-session.js';
import {
  McpServerSupervisor,
  type McpBackoff,
  type McpSupervisorEvents,
} from './mcp-server-supervisor.js';

/** Restart pacing unless configured otherwise: 1 s, 2 s, … up to 60 s; reset after 5 min up. */
export const DEFAULT_MCP_BACKOFF: McpBackoff = {
  stepMs: 1_000,
  maxMs: 60_000,
  stableAfterMs: 300_000,
};
/** How often a connected server is pinged unless configured otherwise (30 s). */
export const DEFAULT_MCP_HEALTH_CHECK_MS = 30_000;
/** Calls that may wait for a busy server, per server, unless configured otherwise. */
export const DEFAULT_MCP_MAX_QUEUED_CALLS = 64;

/** What {@link McpClientManager} needs. */
export interface McpClientManagerDeps {
  readonly clock: Clock;
  readonly log: Logger;
  readonly sessions: McpSessionFactory;
  /** Counters and gauges (`quorum_mcp_*`); none when absent. */
  readonly metrics?: QuorumMetrics | undefined;
  readonly backoff?: McpBackoff | undefined;
  readonly healthCheckIntervalMs?: number | undefined;
  readonly maxQueuedCalls?: number | undefined;
}

/** What one `apply` did, by server id. */
export interface McpApplyResult {
  readonly started: readonly string[];
  readonly restarted: readonly string[];
  readonly stopped: readonly string[];
  readonly unchanged: readonly string[];
}

/**
 * The servers of `configs` that agents wait for (`required: true` and enabled): what the fleet
 * starts before its bots; the others start once the bots are up, so their spawns never take
 * CPU from the boot.
 */
export function requiredServerConfigs(
  configs: Readonly<Record<string, McpServerConfig>>,
): Record<string, McpServerConfig> {
  return Object.fromEntries(
    Object.entries(configs).filter(([, config]) => config.required && config.enabled),
  );
}

/**
 * The client manager as the orchestrator uses it: `apply` at boot and on reload (never waits
 * for spawns), `snapshot` for `/api/ready`, `startGate` for agents with required servers, the
 * catalogues and calls for the agents' tools, and `stop` at shutdown (after the turns).
 */
export type McpFleetClients = Pick<
  McpClientManager,
  'apply' | 'snapshot' | 'startGate' | 'catalogue' | 'call' | 'stop'
>;

/** The calls and catalogues an MCP tool needs; {@link McpClientManager} implements it. */
export interface McpToolBackend {
  /** The server's tools now (empty unless it is ready), or `undefined` for an unknown id. */
  catalogue(serverId: string): McpCatalogue | undefined;
  /** Calls a tool; see {@link McpServerSupervisor.call}. */
  call(
    serverId: string,
    remoteName: string,
    args: Readonly<Record<string, unknown>>,
    options: { readonly signal: AbortSignal; readonly timeoutMs?: number | undefined },
  ): Promise<McpCallOutcome>;
}

interface Entry {
  readonly fingerprint: string;
  readonly supervisor: McpServerSupervisor;
}

/**
 * The daemon's MCP clients. `apply(config.mcp_servers)` at boot and on every reload;
 * `stop()` at shutdown. Readiness reads `snapshot()`; tools read `catalogue` and `call`.
 */
export class McpClientManager implements McpToolBackend {
  private readonly servers = new Map<string, Entry>();
  private readonly catalogueListeners = new Set<(serverId: string) => void>();
  private applying: Promise<unknown> = Promise.resolve();
  private isStopped = false;
  private readonly events: McpSupervisorEvents;

  constructor(private readonly deps: McpClientManagerDeps) {
    const metrics = deps.metrics;
    this.events = {
      onStateChanged: (id, status) => {
        metrics?.mcpServerUp.set(status.state === 'ready' ? 1 : 0, { server: id });
        metrics?.mcpTools.set(status.tools, { server: id });
        deps.log.debug('MCP server state', { mcpServer: id, state: status.state });
      },
      onCatalogueChanged: (id, catalogue) => {
        metrics?.mcpTools.set(catalogue.tools.length, { server: id });
        for (const listener of [...this.catalogueListeners]) listener(id);
      },
      onRestart: (id) => {
        metrics?.mcpRestarts.inc({ server: id });
      },
    };
  }

  /**
   * Makes the running servers match `configs` (the `mcp_servers` block): starts new ones,
   * stops removed ones, restarts those whose settings changed (any field, secrets included),
   * leaves the rest alone. Resolves once removed and changed servers have stopped (their
   * children are gone); new servers start in the background. Calls run one at a time.
   */
  apply(configs: Readonly<Record<string, McpServerConfig>>): Promise<McpApplyResult> {
    const next = this.applying.then(() => this.applyNow(configs));
    this.applying = next.catch(() => undefined);
    return next;
  }

  private async applyNow(
    configs: Readonly<Record<string, McpServerConfig>>,
  ): Promise<McpApplyResult> {
    if (this.isStopped) return { started: [], restarted: [], stopped: [], unchanged: [] };
    const started: string[] = [];
    const restarted: string[] = [];
    const stopped: string[] = [];
    const unchanged: string[] = [];
    const stopping: Promise<void>[] = [];
    for (const [id, entry] of this.servers) {
      const config = configs[id];
      if (config === undefined) {
        stopped.push(id);
      } else if (canonicalJson(config) !== entry.fingerprint) {
        restarted.push(id);
      } else {
        unchanged.push(id);
        continue;
      }
      this.servers.delete(id);
      stopping.push(entry.supervisor.stop());
      if (config === undefined) this.forgetMetrics(id);
    }
    await Promise.all(stopping);
    const toStart: McpServerSupervisor[] = [];
    for (const [id, config] of Object.entries(configs)) {
      if (this.servers.has(id)) continue;
      if (!restarted.includes(id)) started.push(id);
      const supervisor = new McpServerSupervisor(id, config, {
        clock: this.deps.clock,
        log: this.deps.log,
        sessions: this.deps.sessions,
        backoff: this.deps.backoff ?? DEFAULT_MCP_BACKOFF,
        healthCheckIntervalMs: this.deps.healthCheckIntervalMs ?? DEFAULT_MCP_HEALTH_CHECK_MS,
        maxQueuedCalls: this.deps.maxQueuedCalls ?? DEFAULT_MCP_MAX_QUEUED_CALLS,
        events: this.events,
      });
      this.servers.set(id, { fingerprint: canonicalJson(config), supervisor });
      toStart.push(supervisor);
    }
    // Spawning a stdio child is synchronous work: one server per turn of the event loop, in
    // the background, so neither this call nor anything else waits for the spawns.
    runTask(startOneByOne(toStart), { log: this.deps.log, what: 'mcp server start' });
    // Catalogues of removed or restarted servers are gone: agents must see that at once.
    for (const id of [...stopped, ...restarted]) {
      for (const listener of [...this.catalogueListeners]) listener(id);
    }
    if (started.length + restarted.length + stopped.length > 0) {
      this.deps.log.info('MCP servers applied', { started, restarted, stopped });
    }
    return { started, restarted, stopped, unchanged };
  }

  /**
   * Resolves once server `serverId` is ready: for agents whose config marks a server
   * `required: true`, which wait for it before they start (nobody else waits). Rejects with
   * the signal's reason on abort, or an `McpError` (`unavailable`) for an unknown, disabled or
   * stopped server.
   */
  ready(serverId: string, options: { readonly signal: AbortSignal }): Promise<void> {
    const entry = this.servers.get(serverId);
    if (entry === undefined) {
      return Promise.reject(
        new McpError('unavailable', `MCP server '${serverId}' is not configured`),
      );
    }
    return entry.supervisor.ready(options);
  }

  /**
   * Resolves once every server in `serverIds` whose config says `required: true` (and
   * `enabled`) is ready; the others are not waited for: what an agent waits on before it
   * starts, with `AgentSpec.mcpServerIds`. A required server restarted by a reload meanwhile
   * is followed to its new supervisor; one removed from the config (or disabled) stops being
   * waited for. Rejects only with the signal's reason on abort (or after `stop()`).
   */
  async waitForRequired(
    serverIds: readonly string[],
    options: { readonly signal: AbortSignal },
  ): Promise<void> {
    await Promise.all(serverIds.map((id) => this.waitForOneRequired(id, options.signal)));
  }

  /** The ids in `serverIds` that are required, enabled and not ready now. */
  pendingRequired(serverIds: readonly string[]): string[] {
    return serverIds.filter((id) => {
      const entry = this.servers.get(id);
      if (entry === undefined) return false;
      const { config } = entry.supervisor;
      return config.required && config.enabled && entry.supervisor.status().state !== 'ready';
    });
  }

  /**
   * The start gate of an agent whose tools name `serverIds` (`AgentSpec.mcpServerIds`): while
   * any of its `required: true` servers is not ready, a gate (reason `waiting for required MCP
   * server github`) that opens when they all are; otherwise undefined (start at once). MindRoom:
   * "block dependent agent startup while this server is unavailable". Only that agent waits.
   */
  startGate(serverIds: readonly string[]): StartGate | undefined {
    const pending = this.pendingRequired(serverIds);
    if (pending.length === 0) return undefined;
    const plural = pending.length === 1 ? '' : 's';
    return {
      reason: `waiting for required MCP server${plural} ${pending.join(', ')}`,
      wait: (signal) => this.waitForRequired(serverIds, { signal }),
    };
  }

  private async waitForOneRequired(id: string, signal: AbortSignal): Promise<void> {
    for (;;) {
      const entry = this.servers.get(id);
      const config = entry?.supervisor.config;
      if (entry === undefined || config?.required !== true || !config.enabled) return;
      try {
        await entry.supervisor.ready({ signal });
        return;
      } catch (error: unknown) {
        signal.throwIfAborted();
        if (this.isStopped) throw error;
        // Stopped by a reload: once that reload is done, the next round waits on the
        // replacement (or, if the server was removed, on nothing).
        await this.applying;
        if (this.servers.get(id) === entry) throw error;
      }
    }
  }

  /** `{id: {state, tools, last_error, restarts}}` for `/api/ready`, by server id. */
  snapshot(): Record<string, McpServerStatus> {
    const out: Record<string, McpServerStatus> = {};
    for (const [id, entry] of [...this.servers].sort(([a], [b]) => (a < b ? -1 : 1))) {
      out[id] = entry.supervisor.status();
    }
    return out;
  }

  /** The child pid of a running stdio server (for tests and diagnostics). */
  pidOf(serverId: string): number | undefined {
    return this.servers.get(serverId)?.supervisor.pid;
  }

  /** Every running stdio child's pid: what the CLI kills if the process exits abruptly. */
  childPids(): number[] {
    return [...this.servers.values()]
      .map((entry) => entry.supervisor.pid)
      .filter((pid): pid is number => pid !== undefined);
  }

  catalogue(serverId: string): McpCatalogue | undefined {
    return this.servers.get(serverId)?.supervisor.tools();
  }

  call(
    serverId: string,
    remoteName: string,
    args: Readonly<Record<string, unknown>>,
    options: { readonly signal: AbortSignal; readonly timeoutMs?: number | undefined },
  ): Promise<McpCallOutcome> {
    const entry = this.servers.get(serverId);
    if (entry === undefined) {
      return Promise.reject(
        new McpError('unavailable', `MCP server '${serverId}' is not configured`),
      );
    }
    return this.timed(serverId, entry.supervisor.call(remoteName, args, options), options.signal);
  }

  /**
   * `listener(serverId)` runs whenever a server's tools change (list_changed, a reload, a
   * server going away). Returns the function that removes it.
   */
  onCatalogueChanged(listener: (serverId: string) => void): () => void {
    this.catalogueListeners.add(listener);
    return () => {
      this.catalogueListeners.delete(listener);
    };
  }

  /** Stops every server in parallel (stdio children are gone when this resolves). Idempotent. */
  async stop(): Promise<void> {
    this.isStopped = true;
    await this.applying;
    const entries = [...this.servers.values()];
    await Promise.all(entries.map((entry) => entry.supervisor.stop()));
  }

  private async timed(
    serverId: string,
    call: Promise<McpCallOutcome>,
    signal: AbortSignal,
  ): Promise<McpCallOutcome> {
    const metrics = this.deps.metrics;
    const startedMs = this.deps.clock.now();
    let outcome = 'ok';
    try {
      const result = await call;
      if (result.isError) outcome = 'tool_error';
      return result;
    } catch (error: unknown) {
      outcome = signal.aborted ? 'aborted' : error instanceof McpError ? error.code : 'failed';
      throw error;
    } finally {
      metrics?.mcpCalls.inc({ server: serverId, outcome });
      metrics?.mcpCallDuration.observe((this.deps.clock.now() - startedMs) / 1000, {
        server: serverId,
      });
    }
  }

  private forgetMetrics(id: string): void {
    this.deps.metrics?.mcpServerUp.remove({ server: id });
    this.deps.metrics?.mcpTools.remove({ server: id });
  }
}

async function startOneByOne(supervisors: readonly McpServerSupervisor[]): Promise<void> {
  for (const supervisor of supervisors) {
    await nextTurn();
    supervisor.start();
  }
}
