import type {
  EntityHealth,
  McpServerHealth,
  ReadinessReport,
  ServiceHealth,
} from '../shared/index.js';
import type { EntityBot } from './entity-bot.js';
import type { Fleet } from './fleet.js';

/** What `/api/ready` reports, read from the installed fleet and the running bots. */
export interface ReadinessInput {
  readonly fleet: Fleet | undefined;
  readonly bots: ReadonlyMap<string, EntityBot>;
  readonly syncModeOf: (name: string) => EntityHealth['sync_mode'];
  /** Booted and not stopping. */
  readonly isUp: boolean;
  /** The MCP servers' states by id; absent without MCP clients. They never affect `ready`. */
  readonly mcpServers?: Readonly<Record<string, McpServerHealth>> | undefined;
  /** What the fleet services report (knowledge bases, the embedder). */
  readonly services?: readonly ServiceHealth[];
}

/**
 * Every entity of the installed fleet, in config order, then any bot still being stopped by
 * a reload. An entity of the fleet without a running bot (between its stop and its start in
 * a reload, or before boot reaches it) is `starting`, so the fleet is never reported ready
 * with one of its entities missing.
 */
export function readinessReport(input: ReadinessInput): ReadinessReport {
  const { fleet, bots } = input;
  const specs = fleet?.specs ?? [];
  const stopping = [...bots.values()].filter((bot) => fleet?.spec(bot.name) === undefined);
  const entities: EntityHealth[] = [
    ...specs.map((spec): EntityHealth => {
      const bot = bots.get(spec.name);
      if (bot !== undefined) return healthOf(bot, input.syncModeOf(bot.name));
      return {
        name: spec.name,
        kind: spec.kind,
        user_id: fleet?.userIdOf(spec) ?? null,
        state: 'starting',
        started_at: null,
        last_sync_at: null,
        restarts: 0,
        last_error: null,
        sync_mode: null,
      };
    }),
    ...stopping.map((bot) => healthOf(bot, null)),
  ];
  const ready =
    input.isUp && entities.length > 0 && entities.every((entity) => entity.state === 'syncing');
  return {
    ready,
    config_generation: fleet?.generation ?? 0,
    entities,
    ...(input.mcpServers === undefined ? {} : { mcp_servers: input.mcpServers }),
    ...(input.services ?? []).reduce<ServiceHealth>((all, one) => ({ ...all, ...one }), {}),
  };
}

function healthOf(bot: EntityBot, syncMode: EntityHealth['sync_mode']): EntityHealth {
  const status = bot.status();
  return {
    name: bot.name,
    kind: bot.spec.kind,
    user_id: bot.userId ?? null,
    state: status.state,
    started_at: status.startedAt === undefined ? null : new Date(status.startedAt).toISOString(),
    last_sync_at:
      status.lastSyncAt === undefined ? null : new Date(status.lastSyncAt).toISOString(),
    restarts: status.restarts,
    last_error: status.lastError ?? null,
    sync_mode: status.state === 'syncing' ? syncMode : null,
  };
}
