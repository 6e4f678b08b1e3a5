/**
 * Effective entity specs: for the router, each agent and each team, everything in the config
 * that affects that entity, resolved (defaults merged, model chain and provider settings
 * filled in, rooms normalised). A spec is pure data; its `fingerprint` changes exactly when
 * something that entity depends on changes, which is what a reload plan is computed from.
 */
import type { ModelWire, ProviderName } from './providers.js';
import type { KnowledgeBaseConfig, MemoryConfig, ToolApprovalConfig } from './schema.js';
import type { ToolEntry } from './schema-primitives.js';

/** The three kinds of Matrix account Quorum runs. */
export type EntityKind = 'router' | 'agent' | 'team';

/** One model as an `llm/` adapter needs it. */
export interface ModelEndpoint {
  /** The key in `models:`. */
  readonly name: string;
  readonly provider: ProviderName;
  readonly wire: ModelWire;
  /** The provider's model id. */
  readonly id: string;
  /** `undefined`: the SDK's default endpoint (which may honour e.g. `OPENAI_BASE_URL`). */
  readonly baseUrl: string | undefined;
  /** Environment variable holding the API key (also `<NAME>_FILE`); `undefined` for keyless servers. */
  readonly apiKeyEnv: string | undefined;
  /** An API key set in the config through `${NAME}`; wins over `apiKeyEnv`. Secret: never log it. */
  readonly apiKey: string | undefined;
  readonly temperature: number | undefined;
  readonly maxTokens: number | undefined;
  readonly contextWindow: number | undefined;
  /** The remaining `extra_kwargs`, passed through to the provider. */
  readonly extraKwargs: Readonly<Record<string, unknown>>;
}

/** A model with its failover chain, flattened in the order to try (no repeats, no cycles). */
export interface ResolvedModel extends ModelEndpoint {
  readonly failover: readonly ModelEndpoint[];
}

/** How much conversation history goes into a prompt. */
export type HistoryPolicy =
  | { readonly mode: 'all' }
  | { readonly mode: 'runs'; readonly limit: number }
  | { readonly mode: 'messages'; readonly limit: number };

/** Streaming edit cadence in seconds (MindRoom's `defaults.streaming`). */
export interface StreamingCadence {
  readonly updateIntervalSeconds: number;
  readonly minUpdateIntervalSeconds: number;
  readonly intervalRampSeconds: number;
  readonly maxIdleSeconds: number;
}

interface EntitySpecBase {
  readonly kind: EntityKind;
  /** Config key (`calc`), or `router`. */
  readonly name: string;
  /** Matrix localpart of the entity's account: `<localpart_prefix><name>`. */
  readonly localpart: string;
  readonly displayName: string;
  readonly role: string;
  /** Rooms to be in: `#alias:server` or `!id`, sorted, no duplicates. */
  readonly rooms: readonly string[];
  readonly acceptInvites: boolean;
  readonly model: ResolvedModel;
  /** `room_models` entries for this entity's rooms: room (as in `rooms`) → model. */
  readonly roomModels: Readonly<Record<string, ResolvedModel>>;
  /** Hash of the canonical JSON of everything above and below (except itself). */
  readonly fingerprint: string;
}

/** What agents and teams share: behaviour settings and the blocks their turns read. */
interface ResponderSpecBase extends EntitySpecBase {
  readonly threadMode: 'thread' | 'room';
  readonly markdown: boolean;
  readonly enableStreaming: boolean;
  readonly showStopButton: boolean;
  readonly showToolCalls: boolean;
  readonly streaming: StreamingCadence;
  readonly history: HistoryPolicy;
  readonly timezone: string;
  readonly memory: MemoryConfig;
  readonly toolApproval: ToolApprovalConfig;
}

/** The effective spec of one agent (`agents.<name>`). */
export interface AgentSpec extends ResponderSpecBase {
  readonly kind: 'agent';
  readonly instructions: readonly string[];
  /** The agent's tools then `defaults.tools` (unless opted out), first entry per name wins. */
  readonly tools: readonly ToolEntry[];
  readonly skills: readonly string[];
  /** The knowledge bases the agent uses, by id. */
  readonly knowledgeBases: Readonly<Record<string, KnowledgeBaseConfig>>;
  /**
   * Ids of the MCP servers its `mcp_<id>` tools name, sorted. The servers' own settings are
   * not part of the spec: a server edit restarts that server (the MCP client manager's
   * `apply`), not the agents using it, which see the new catalogue on their next turn.
   */
  readonly mcpServerIds: readonly string[];
  /** Per-room thread mode overrides, keyed like `rooms`. */
  readonly roomThreadModes: Readonly<Record<string, 'thread' | 'room'>>;
}

/** The effective spec of one team (`teams.<name>`); members are referenced by name only. */
export interface TeamSpec extends ResponderSpecBase {
  readonly kind: 'team';
  /** Member agent names, in config order. */
  readonly members: readonly string[];
  readonly mode: 'coordinate' | 'collaborate';
  readonly maxTurns: number;
  readonly maxTokens: number;
}

/** An entity the router can hand a message to. */
export interface RouteTarget {
  readonly kind: 'agent' | 'team';
  readonly name: string;
  readonly localpart: string;
  readonly displayName: string;
  readonly role: string;
  readonly rooms: readonly string[];
}

/** A room Quorum creates when missing (a room name, or an alias on Quorum's own server). */
export interface ManagedRoom {
  /** `#lobby:server`. */
  readonly alias: string;
  /** The alias localpart (`lobby`). */
  readonly key: string;
  /** Room name; `rooms.<key>.display_name`, else the key. */
  readonly name: string;
  /** Room topic; `rooms.<key>.description`. */
  readonly topic: string;
  /** `rooms.<key>.encrypted`: created encrypted, or encryption turned on when it exists. */
  readonly isEncrypted: boolean;
}

/** `authorization` with rooms normalised like entity rooms, plus `quorum.allow_federation`. */
export interface ResolvedAuthorization {
  /**
   * The concrete user ids of `global_users`: allowed everywhere, invited to managed rooms, and
   * (without `quorum.config_admins`) the config admins.
   */
  readonly globalUsers: readonly string[];
  /** The globs of `global_users` (`@*:example.org`, `*`): allowed everywhere, never invited. */
  readonly globalUserPatterns: readonly string[];
  readonly roomPermissions: Readonly<Record<string, readonly string[]>>;
  readonly defaultRoomAccess: boolean;
  readonly allowFederation: boolean;
  readonly aliases: Readonly<Record<string, readonly string[]>>;
  readonly agentReplyPermissions: Readonly<
    Record<string, { readonly users: readonly string[]; readonly joinedRooms: readonly string[] }>
  >;
}

/** The effective spec of the router: everything it routes between, creates and authorizes. */
export interface RouterSpec extends EntitySpecBase {
  readonly kind: 'router';
  /** Every agent and team, by name. */
  readonly routes: readonly RouteTarget[];
  /** Rooms to create when missing. */
  readonly managedRooms: readonly ManagedRoom[];
  readonly authorization: ResolvedAuthorization;
  readonly botAccounts: readonly string[];
}

/** The effective spec of one entity. */
export type EntitySpec = RouterSpec | AgentSpec | TeamSpec;
