/**
 * The whole `config.yaml` schema (zod 4) and the config types derived from it.
 *
 * Field names stay as in the YAML (snake_case), so a config value can always be traced to its
 * line. Every value has its default filled in; a parsed config is a deeply frozen snapshot.
 */
import { z } from 'zod';
import {
  authorizationSchema,
  knowledgeBaseSchema,
  mcpServerSchema,
  memorySchema,
  quorumSchema,
  roomSchema,
  toolApprovalSchema,
} from './schema-blocks.js';
import {
  agentSchema,
  defaultsSchema,
  modelSchema,
  routerSchema,
  teamSchema,
} from './schema-entities.js';
import { nonEmptyString, timeZoneSchema, userIdSchema } from './schema-primitives.js';

/** The root of `config.yaml`. */
export const configSchema = z.strictObject({
  agents: z.record(z.string(), agentSchema).default({}),
  teams: z.record(z.string(), teamSchema).default({}),
  models: z.record(z.string(), modelSchema).default({}),
  router: routerSchema,
  defaults: defaultsSchema,
  /** Room (name, alias or id) → model name, for every entity answering in that room. */
  room_models: z.record(z.string(), nonEmptyString).default({}),
  /** Metadata for rooms Quorum creates; a room listed here is created even with no entity in it. */
  rooms: z.record(z.string(), roomSchema).default({}),
  authorization: authorizationSchema,
  /** Non-Quorum bots (bridges) that must not count as people in the multi-human rule. */
  bot_accounts: z.array(userIdSchema).default([]),
  timezone: timeZoneSchema.default('UTC'),
  mcp_servers: z.record(z.string(), mcpServerSchema).default({}),
  memory: memorySchema,
  knowledge_bases: z.record(z.string(), knowledgeBaseSchema).default({}),
  tool_approval: toolApprovalSchema,
  quorum: quorumSchema,
});

/** Makes every property, array and record of `T` readonly, all the way down. */
export type DeepReadonly<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends readonly (infer Item)[]
    ? readonly DeepReadonly<Item>[]
    : T extends object
      ? { readonly [Key in keyof T]: DeepReadonly<T[Key]> }
      : T;

/** A validated, defaults-filled, deeply frozen `config.yaml`. */
export type QuorumConfig = DeepReadonly<z.output<typeof configSchema>>;
/** One `agents.<name>` entry. */
export type AgentConfig = QuorumConfig['agents'][string];
/** One `teams.<name>` entry. */
export type TeamConfig = QuorumConfig['teams'][string];
/** One `models.<name>` entry. */
export type ModelConfig = QuorumConfig['models'][string];
/** The `router` block. */
export type RouterConfig = QuorumConfig['router'];
/** The `defaults` block. */
export type DefaultsConfig = QuorumConfig['defaults'];
/** The `authorization` block. */
export type AuthorizationConfig = QuorumConfig['authorization'];
/** One `rooms.<key>` entry. */
export type RoomConfig = QuorumConfig['rooms'][string];
/** One `mcp_servers.<id>` entry. */
export type McpServerConfig = QuorumConfig['mcp_servers'][string];
/** `quorum.mcp_server`: Quorum's own MCP server. */
export type McpServerExposureConfig = QuorumConfig['quorum']['mcp_server'];
/** The `memory` block. */
export type MemoryConfig = QuorumConfig['memory'];
/** One `knowledge_bases.<id>` entry. */
export type KnowledgeBaseConfig = QuorumConfig['knowledge_bases'][string];
/** The `tool_approval` block. */
export type ToolApprovalConfig = QuorumConfig['tool_approval'];
/** The `quorum` block (Quorum's own settings). */
export type QuorumSettings = QuorumConfig['quorum'];
