/** What `/api/ready` reports about one entity. */
export interface EntityHealth {
  readonly name: string;
  readonly kind: 'router' | 'agent' | 'team';
  readonly user_id: string | null;
  readonly state: 'starting' | 'syncing' | 'backoff' | 'stopped' | 'failed';
  readonly started_at: string | null;
  readonly last_sync_at: string | null;
  readonly restarts: number;
  readonly last_error: string | null;
  /**
   * How the bot's latest sync request went out: `long_poll`, or `standby` when the router's
   * sync covers all its rooms (it only checks in for invites); `null` before its first one.
   */
  readonly sync_mode: 'long_poll' | 'standby' | null;
}

/** What `/api/ready` reports about one MCP server (`mcp_servers.<id>`). */
export interface McpServerHealth {
  /** `starting`, `ready`, `backoff`, `stopped` or `disabled`. */
  readonly state: string;
  /** Tools the server offers now (after its filters); 0 unless `ready`. */
  readonly tools: number;
  /** Why it last failed (secrets removed), or `null`. */
  readonly last_error: string | null;
  /** Restarts after failures since it was (re)configured. */
  readonly restarts: number;
}

export interface ReadinessReport {
  /**
   * Every entity synced. MCP servers never count: a slow or failing server shows in
   * `mcp_servers` and holds back only the agents that mark it `required` (they stay `starting`).
   */
  readonly ready: boolean;
  /** Incremented by every applied config reload. */
  readonly config_generation: number;
  readonly entities: readonly EntityHealth[];
  /** The configured MCP servers by id (absent where the daemon runs no MCP clients). */
  readonly mcp_servers?: Readonly<Record<string, McpServerHealth>>;
  /** Knowledge bases by id: files, chunks, state (absent without any). */
  readonly knowledge?: Readonly<Record<string, unknown>>;
  /** The embedder behind memory and knowledge search: `ok`, `unavailable` or `down`. */
  readonly embedder?: unknown;
}

/** What a fleet service adds to `/api/ready`. */
export type ServiceHealth = Pick<ReadinessReport, 'knowledge' | 'embedder'>;

/** Implemented by the orchestrator; the HTTP layer depends only on this interface. */
export interface HealthSource {
  readiness(): ReadinessReport;
  /** Prometheus text exposition. */
  metricsText(): string;
}
