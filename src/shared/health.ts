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

export interface ReadinessReport {
  readonly ready: boolean;
  /** Incremented by every applied config reload. */
  readonly config_generation: number;
  readonly entities: readonly EntityHealth[];
}

/** Implemented by the orchestrator; the HTTP layer depends only on this interface. */
export interface HealthSource {
  readiness(): ReadinessReport;
  /** Prometheus text exposition. */
  metricsText(): string;
}
