/**
 * From a config snapshot to one effective `EntitySpec` per entity: the router, each agent,
 * each team. See entity-spec.ts for what a spec holds.
 */
import { DaemonError } from '../shared/index.js';
import type {
  AgentSpec,
  EntitySpec,
  HistoryPolicy,
  ManagedRoom,
  ModelEndpoint,
  ResolvedAuthorization,
  ResolvedModel,
  RouterSpec,
  StreamingCadence,
  TeamSpec,
} from './entity-spec.js';
import type { ConfigErrorCode } from './errors.js';
import { fingerprintOf } from './fingerprint.js';
import { deepFreeze } from './parse-config.js';
import { hostToBaseUrl, PROVIDERS } from './providers.js';
import type { AgentConfig, QuorumConfig, TeamConfig } from './schema.js';
import type { ToolEntry } from './schema-primitives.js';
import { isRoomKey, ROUTER_NAME } from './schema-primitives.js';
import { mcpServerIdOf } from './tool-settings.js';

/** Deployment facts a spec depends on that are not in the config file. */
export interface ResolveOptions {
  /** The homeserver's server name: room names become `#name:<serverName>`. */
  readonly serverName: string;
}

/**
 * One spec per entity, in a fixed order: the router, then agents, then teams, each sorted by
 * name. Specs are deeply frozen. The config must come from `parseConfig` (its references are
 * already checked); a dangling reference here is a bug and throws `config_unresolvable`.
 */
export function resolveEntitySpecs(
  config: QuorumConfig,
  options: ResolveOptions,
): readonly EntitySpec[] {
  const resolver = new Resolver(config, options.serverName);
  const agents = Object.keys(config.agents)
    .sort()
    .map((name) => resolver.agent(name));
  const teams = Object.keys(config.teams)
    .sort()
    .map((name) => resolver.team(name));
  return deepFreeze([resolver.router(), ...agents, ...teams]);
}

/** Normalises a room reference: `lobby` → `#lobby:<serverName>`; aliases and ids unchanged. */
export function normalizeRoomRef(room: string, serverName: string): string {
  return isRoomKey(room) ? `#${room}:${serverName}` : room;
}

type WithoutFingerprint<T> = Omit<T, 'fingerprint'>;

function withFingerprint<T extends EntitySpec>(spec: WithoutFingerprint<T>): T {
  return { ...spec, fingerprint: fingerprintOf(spec) } as T;
}

function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

class Resolver {
  private readonly prefix: string;

  constructor(
    private readonly config: QuorumConfig,
    private readonly serverName: string,
  ) {
    this.prefix = config.quorum.localpart_prefix;
  }

  router(): RouterSpec {
    const config = this.config;
    const rooms = this.allRooms();
    return withFingerprint<RouterSpec>({
      kind: 'router',
      name: ROUTER_NAME,
      localpart: `${this.prefix}${ROUTER_NAME}`,
      displayName: 'Router',
      role: 'Routes messages to the agent or team best suited to answer.',
      rooms,
      acceptInvites: config.router.accept_invites,
      model: this.model(config.router.model),
      roomModels: this.roomModels(rooms),
      routes: [
        ...Object.keys(config.agents)
          .sort()
          .map((name) => this.route('agent', name, config.agents[name])),
        ...Object.keys(config.teams)
          .sort()
          .map((name) => this.route('team', name, config.teams[name])),
      ],
      managedRooms: this.managedRooms(),
      authorization: this.authorization(),
      botAccounts: sortedUnique(config.bot_accounts),
    });
  }

  agent(name: string): AgentSpec {
    const agent = this.required(this.config.agents[name], `agent ${name}`);
    const defaults = this.config.defaults;
    const rooms = this.rooms(agent.rooms);
    const tools = mergeTools(agent.tools, agent.include_default_tools ? defaults.tools : []);
    const mcpServerIds = sortedUnique(
      tools.map((tool) => mcpServerIdOf(tool.name)).filter((id) => id !== undefined),
    );
    return withFingerprint<AgentSpec>({
      kind: 'agent',
      name,
      localpart: `${this.prefix}${name}`,
      displayName: agent.display_name,
      role: agent.role,
      rooms,
      acceptInvites: agent.accept_invites,
      model: this.model(agent.model),
      roomModels: this.roomModels(rooms),
      ...this.responderSettings(agent, agent.markdown ?? defaults.markdown),
      threadMode: agent.thread_mode,
      showToolCalls: agent.show_tool_calls ?? defaults.show_tool_calls,
      instructions: [...agent.instructions],
      tools,
      skills: [...agent.skills],
      knowledgeBases: Object.fromEntries(
        agent.knowledge_bases.map((id) => [
          id,
          this.required(this.config.knowledge_bases[id], `knowledge base ${id}`),
        ]),
      ),
      mcpServerIds,
      roomThreadModes: Object.fromEntries(
        Object.entries(agent.room_thread_modes).map(([room, mode]) => [
          normalizeRoomRef(room, this.serverName),
          mode,
        ]),
      ),
    });
  }

  team(name: string): TeamSpec {
    const team = this.required(this.config.teams[name], `team ${name}`);
    const rooms = this.rooms(team.rooms);
    // MindRoom: a team answers in the members' thread mode when they all agree, else in threads.
    const memberModes = new Set(
      team.agents.map((member) => this.config.agents[member]?.thread_mode ?? 'thread'),
    );
    const [onlyMode] = memberModes;
    return withFingerprint<TeamSpec>({
      kind: 'team',
      name,
      localpart: `${this.prefix}${name}`,
      displayName: team.display_name,
      role: team.role,
      rooms,
      acceptInvites: true,
      model: this.model(team.model),
      roomModels: this.roomModels(rooms),
      ...this.responderSettings(team, this.config.defaults.markdown),
      threadMode: memberModes.size === 1 && onlyMode !== undefined ? onlyMode : 'thread',
      showToolCalls: this.config.defaults.show_tool_calls,
      members: [...team.agents],
      mode: team.mode,
      maxTurns: team.max_turns,
      maxTokens: team.max_tokens,
    });
  }

  private responderSettings(entity: AgentConfig | TeamConfig, markdown: boolean) {
    const defaults = this.config.defaults;
    return {
      markdown,
      enableStreaming: defaults.enable_streaming,
      showStopButton: defaults.show_stop_button,
      streaming: this.streaming(),
      history: this.history(entity),
      timezone: this.config.timezone,
      memory: this.config.memory,
      toolApproval: this.config.tool_approval,
    };
  }

  private streaming(): StreamingCadence {
    const streaming = this.config.defaults.streaming;
    return {
      updateIntervalSeconds: streaming.update_interval,
      minUpdateIntervalSeconds: streaming.min_update_interval,
      intervalRampSeconds: streaming.interval_ramp_seconds,
      maxIdleSeconds: streaming.max_idle,
    };
  }

  /** The entity's own limit wins when it sets either; otherwise `defaults`; otherwise all. */
  private history(entity: AgentConfig | TeamConfig): HistoryPolicy {
    const own = entity.num_history_runs !== null || entity.num_history_messages !== null;
    const source = own ? entity : this.config.defaults;
    if (source.num_history_messages !== null)
      return { mode: 'messages', limit: source.num_history_messages };
    if (source.num_history_runs !== null) return { mode: 'runs', limit: source.num_history_runs };
    return { mode: 'all' };
  }

  private route(
    kind: 'agent' | 'team',
    name: string,
    entity: AgentConfig | TeamConfig | undefined,
  ) {
    const found = this.required(entity, `${kind} ${name}`);
    return {
      kind,
      name,
      localpart: `${this.prefix}${name}`,
      displayName: found.display_name,
      role: found.role,
      rooms: this.rooms(found.rooms),
    };
  }

  private rooms(rooms: readonly string[]): string[] {
    return sortedUnique(rooms.map((room) => normalizeRoomRef(room, this.serverName)));
  }

  /** Every room any entity is in, plus the `rooms` block: where the router must be. */
  private allRooms(): string[] {
    const config = this.config;
    return this.rooms([
      ...Object.keys(config.rooms),
      ...Object.values(config.agents).flatMap((agent) => agent.rooms),
      ...Object.values(config.teams).flatMap((team) => team.rooms),
    ]);
  }

  private managedRooms(): ManagedRoom[] {
    const suffix = `:${this.serverName}`;
    return this.allRooms()
      .filter((room) => room.startsWith('#') && room.endsWith(suffix))
      .map((alias) => {
        const key = alias.slice(1, -suffix.length);
        const meta = this.config.rooms[key];
        return {
          alias,
          key,
          name: meta?.display_name ?? key,
          topic: meta?.description ?? '',
          isEncrypted: meta?.encrypted ?? false,
        };
      });
  }

  private roomModels(rooms: readonly string[]): Record<string, ResolvedModel> {
    const out: Record<string, ResolvedModel> = {};
    for (const [room, model] of Object.entries(this.config.room_models)) {
      const normalized = normalizeRoomRef(room, this.serverName);
      if (rooms.includes(normalized)) out[normalized] = this.model(model);
    }
    return out;
  }

  private authorization(): ResolvedAuthorization {
    const auth = this.config.authorization;
    const byRoom: Record<string, string[]> = {};
    for (const [room, users] of Object.entries(auth.room_permissions)) {
      const normalized = normalizeRoomRef(room, this.serverName);
      byRoom[normalized] = sortedUnique([...(byRoom[normalized] ?? []), ...users]);
    }
    return {
      globalUsers: sortedUnique(auth.global_users.filter((user) => !/[*?[]/.test(user))),
      globalUserPatterns: sortedUnique(auth.global_users.filter((user) => /[*?[]/.test(user))),
      roomPermissions: byRoom,
      defaultRoomAccess: auth.default_room_access,
      allowFederation: this.config.quorum.allow_federation,
      aliases: Object.fromEntries(
        Object.entries(auth.aliases).map(([user, aliases]) => [user, sortedUnique(aliases)]),
      ),
      agentReplyPermissions: Object.fromEntries(
        Object.entries(auth.agent_reply_permissions).map(([entity, policy]) => [
          entity,
          { users: sortedUnique(policy.users), joinedRooms: this.rooms(policy.joined_rooms) },
        ]),
      ),
    };
  }

  /** The model and its failover chain, depth first, without repeats or the model itself. */
  private model(name: string): ResolvedModel {
    const chain: ModelEndpoint[] = [];
    const seen = new Set([name]);
    const walk = (current: string): void => {
      for (const next of this.config.models[current]?.failover ?? []) {
        if (seen.has(next)) continue;
        seen.add(next);
        chain.push(this.endpoint(next));
        walk(next);
      }
    };
    walk(name);
    return { ...this.endpoint(name), failover: chain };
  }

  private endpoint(name: string): ModelEndpoint {
    const model = this.required(this.config.models[name], `model ${name}`);
    const provider = PROVIDERS[model.provider];
    if (provider.wire === undefined) {
      throw new DaemonError<ConfigErrorCode>(
        'config_unresolvable',
        'internal',
        `model ${name} uses unsupported provider ${model.provider}`,
      );
    }
    const {
      base_url: extraBaseUrl,
      temperature,
      max_tokens: maxTokens,
      api_key: extraApiKey,
      ...rest
    } = model.extra_kwargs;
    const hostUrl =
      provider.usesHost && model.host !== null ? hostToBaseUrl(model.host) : undefined;
    return {
      name,
      provider: model.provider,
      wire: provider.wire,
      id: model.id,
      baseUrl: model.base_url ?? stringOr(extraBaseUrl) ?? hostUrl ?? provider.defaultBaseUrl,
      apiKeyEnv: provider.apiKeyEnv,
      apiKey: model.api_key ?? stringOr(extraApiKey),
      temperature: model.temperature ?? numberOr(temperature),
      maxTokens: model.max_tokens ?? numberOr(maxTokens),
      contextWindow: model.context_window ?? undefined,
      extraKwargs: rest,
    };
  }

  private required<T>(value: T | undefined, what: string): T {
    if (value === undefined) {
      throw new DaemonError<ConfigErrorCode>(
        'config_unresolvable',
        'internal',
        `config refers to a missing ${what}`,
      );
    }
    return value;
  }
}

function stringOr(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function numberOr(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

/** The agent's own entries first; a default tool of the same name does not replace it. */
function mergeTools(own: readonly ToolEntry[], defaults: readonly ToolEntry[]): ToolEntry[] {
  const names = new Set<string>();
  const out: ToolEntry[] = [];
  for (const tool of [...own, ...defaults]) {
    if (names.has(tool.name)) continue;
    names.add(tool.name);
    out.push({ name: tool.name, overrides: { ...tool.overrides } });
  }
  return out;
}
