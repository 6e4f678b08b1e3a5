/**
 * zod schemas for the non-entity blocks of `config.yaml`: `authorization`, `rooms`,
 * `mcp_servers`, `memory`, `knowledge_bases`, `tool_approval` (MindRoom's fields and
 * defaults, plus Quorum's marked additions), and Quorum's own `quorum:` block.
 */
import { z } from 'zod';
import { nonEmptyString, userIdSchema, userPatternSchema } from './schema-primitives.js';

const stringList = z.array(z.string()).default([]);

/** One entry of `authorization.agent_reply_permissions`: MindRoom's list shorthand or the full form. */
const replyPermissionSchema = z.union(
  [
    z.array(userPatternSchema).transform((users) => ({ users, joined_rooms: [] as string[] })),
    z.strictObject({
      users: z.array(userPatternSchema).default([]),
      joined_rooms: z.array(nonEmptyString).default([]),
    }),
  ],
  { error: 'expected a list of users, or {users: [...], joined_rooms: [...]}' },
);

/** `authorization`: who may talk to Quorum's entities. */
export const authorizationSchema = z
  .strictObject({
    /** Users allowed in every room. */
    global_users: z.array(userPatternSchema).default([]),
    /** Keys: room names, aliases or ids; values: the only users allowed there. */
    room_permissions: z.record(z.string(), z.array(userPatternSchema)).default({}),
    /** Whether users not listed anywhere may talk in rooms without a permission list. */
    default_room_access: z.boolean().default(false),
    /** MindRoom's switch for `!config` (and the `propose_config_change` tool); off by default. */
    config_command_enabled: z.boolean().default(false),
    /** Canonical user → bridge accounts treated as that user. */
    aliases: z.record(z.string(), z.array(userIdSchema)).default({}),
    /** Per entity name (or `*`): who may get replies from it. */
    agent_reply_permissions: z.record(z.string(), replyPermissionSchema).default({}),
  })
  .prefault({});

/** `rooms.<key>`: metadata for a room Quorum creates (MindRoom's RoomConfig). */
export const roomSchema = z
  .strictObject({
    display_name: z
      .string()
      .nullish()
      .transform((value) => value?.trim() || null),
    description: z.string().default(''),
    /**
     * Create the room end-to-end encrypted, or turn encryption on in the existing room
     * (irreversible: Matrix never turns it off). Default false.
     */
    encrypted: z.boolean().default(false),
  })
  .nullish()
  .transform((value) => value ?? { display_name: null, description: '', encrypted: false });

/** `mcp_servers.<id>` (MindRoom's MCPServerConfig; OAuth `auth` is not supported yet). */
export const mcpServerSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    required: z.boolean().default(false),
    transport: z.enum(['stdio', 'sse', 'streamable-http']),
    command: z
      .string()
      .nullish()
      .transform((value) => value ?? null),
    args: stringList,
    cwd: z
      .string()
      .nullish()
      .transform((value) => value ?? null),
    env: z.record(z.string(), z.string()).default({}),
    url: z
      .string()
      .nullish()
      .transform((value) => value ?? null),
    headers: z.record(z.string(), z.string()).default({}),
    tool_prefix: z
      .string()
      .regex(/^[A-Za-z0-9_]+$/, { error: 'must contain only letters, numbers and underscores' })
      .nullish()
      .transform((value) => value ?? null),
    include_tools: stringList,
    exclude_tools: stringList,
    startup_timeout_seconds: z.number().positive().default(20),
    call_timeout_seconds: z.number().positive().default(120),
    max_concurrent_calls: z.number().int().min(1).default(1),
    auto_reconnect: z.boolean().default(true),
  })
  .superRefine((server, ctx) => {
    const forbid = (key: string, present: boolean): void => {
      if (present)
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `${server.transport} MCP servers do not allow ${key}`,
        });
    };
    if (server.transport === 'stdio') {
      if (server.command === null || server.command.trim() === '') {
        ctx.addIssue({
          code: 'custom',
          path: ['command'],
          message: 'stdio MCP servers require a command',
        });
      }
      forbid('url', server.url !== null);
      forbid('headers', Object.keys(server.headers).length > 0);
    } else {
      if (server.url === null || server.url.trim() === '') {
        ctx.addIssue({
          code: 'custom',
          path: ['url'],
          message: `${server.transport} MCP servers require a url`,
        });
      }
      forbid('command', server.command !== null);
      forbid('args', server.args.length > 0);
      forbid('cwd', server.cwd !== null);
      forbid('env', Object.keys(server.env).length > 0);
    }
    const overlap = server.include_tools.filter((tool) => server.exclude_tools.includes(tool));
    if (overlap.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['exclude_tools'],
        message: `include_tools and exclude_tools overlap: ${overlap.join(', ')}`,
      });
    }
  });

const nullableString = z
  .string()
  .nullish()
  .transform((value) => value ?? null);
const httpUrlSchema = z.string().refine((value) => /^https?:\/\/\S+$/.test(value), {
  error: 'expected an http(s) URL',
});

/** Embedder providers MindRoom accepts; Quorum serves `openai` (any OpenAI-compatible server) and `ollama`. */
export const EMBEDDER_PROVIDERS = [
  'openai',
  'ollama',
  'huggingface',
  'sentence_transformers',
] as const;

/** `memory.embedder` (MindRoom's embedder config; used by memory and semantic knowledge bases). */
export const embedderSchema = z
  .strictObject({
    provider: z.enum(EMBEDDER_PROVIDERS).default('openai'),
    config: z
      .strictObject({
        /** Default: `text-embedding-3-small` (openai), `nomic-embed-text` (ollama). */
        model: nonEmptyString.nullish().transform((value) => value ?? null),
        /** Only as `${NAME}`; literal keys are rejected. */
        api_key: nullableString,
        /** MindRoom's credential store binding; Quorum has none (warned). */
        credentials_service: nullableString,
        /** Server root of a self-hosted embedder (Ollama; for openai: an OpenAI-compatible server). */
        host: nullableString,
        /** Quorum addition: the OpenAI-compatible `/v1` URL, for vLLM and other servers. */
        base_url: httpUrlSchema.nullish().transform((value) => value ?? null),
        dimensions: z
          .number()
          .int()
          .min(1)
          .max(16_384)
          .nullish()
          .transform((value) => value ?? null),
      })
      .prefault({}),
  })
  .prefault({});

/** `memory.llm`: the model that extracts memories from quiet conversations. */
export const memoryLlmSchema = z.strictObject({
  provider: z.enum(['ollama', 'openai', 'anthropic']).default('ollama'),
  config: z
    .strictObject({
      /** The provider's model id; default `llama3.2` (ollama). */
      model: nonEmptyString.nullish().transform((value) => value ?? null),
      host: nullableString,
      /** Only as `${NAME}`. */
      api_key: nullableString,
      /** Quorum addition: an OpenAI-compatible `/v1` URL. */
      base_url: httpUrlSchema.nullish().transform((value) => value ?? null),
      temperature: z.number().min(0).max(2).optional(),
    })
    .prefault({}),
});

/** Quorum addition `memory.recall`: memories put into the prompt before each turn. */
const recallSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** At most this many memories per turn. */
    max_items: z.number().int().min(1).max(50).default(5),
    /** At most this many characters of memories per turn. */
    max_chars: z.number().int().min(200).max(50_000).default(2_000),
  })
  .prefault({});

/** Quorum addition `memory.extraction`: when a quiet conversation is mined for memories. */
const extractionSchema = z
  .strictObject({
    /** Default: on when `memory.llm` is set. */
    enabled: z
      .boolean()
      .nullish()
      .transform((value) => value ?? null),
    /** A conversation is extracted once nobody wrote in it for this long. */
    idle_seconds: z.number().int().min(10).default(120),
    /** The latest messages given to the extraction model. */
    max_messages: z.number().int().min(1).max(500).default(20),
    max_chars: z.number().int().min(500).max(200_000).default(12_000),
  })
  .prefault({});

/**
 * `memory` (MindRoom's MemoryConfig; `memory: none` is shorthand for `{backend: none}`).
 * Quorum keeps memories in its own database with hybrid search for both `mem0` and `file`
 * (the file backend's Markdown files are not supported; warned in cross-check).
 */
export const memorySchema = z.preprocess(
  (value) => (value === 'none' ? { backend: 'none' } : value === null ? undefined : value),
  z
    .strictObject({
      backend: z.enum(['mem0', 'file', 'none']).default('mem0'),
      team_reads_member_memory: z.boolean().default(false),
      embedder: embedderSchema,
      llm: memoryLlmSchema.nullish().transform((value) => value ?? null),
      /** Quorum addition. */
      recall: recallSchema,
      /** Quorum addition. */
      extraction: extractionSchema,
      /** Quorum addition: agents may also keep memories for a whole room (shared with everyone in it). */
      room_memories: z.boolean().default(false),
    })
    .prefault({}),
);

/** `knowledge_bases.<id>` (MindRoom's KnowledgeBaseConfig; `git` is not supported and warned). */
export const knowledgeBaseSchema = z
  .strictObject({
    mode: z.enum(['semantic', 'files']).default('semantic'),
    description: z.string().default(''),
    path: z.string().default('./knowledge_docs'),
    watch: z.boolean().default(true),
    require_content_before_publish: z.boolean().default(false),
    chunk_size: z.number().int().min(128).default(5000),
    chunk_overlap: z.number().int().min(0).default(0),
    include_extensions: z
      .array(z.string())
      .nullish()
      .transform((value) => value ?? null),
    extra_extensions: stringList,
    exclude_extensions: stringList,
    include_patterns: stringList,
    exclude_patterns: stringList,
    skip_hidden: z.boolean().default(true),
    /** Quorum addition: the best-matching chunks put into the prompt before each turn (0: none). */
    context_chunks: z.number().int().min(0).max(20).default(0),
    /** Quorum addition: a base whose text totals at most this many characters goes into the prompt whole (0: never). */
    inline_max_chars: z.number().int().min(0).max(200_000).default(0),
    /** Quorum addition: larger files are skipped with a warning. */
    max_file_bytes: z
      .number()
      .int()
      .min(1)
      .default(10 * 1024 * 1024),
  })
  .superRefine((base, ctx) => {
    if (base.chunk_overlap >= base.chunk_size) {
      ctx.addIssue({
        code: 'custom',
        path: ['chunk_overlap'],
        message: 'chunk_overlap must be smaller than chunk_size',
      });
    }
  });

const approvalAction = z.enum(['auto_approve', 'require_approval']);
const timeoutDays = z.number().positive().max(36_500);

/**
 * `tool_approval` (MindRoom's format): rules are tried in order, the first whose `match` glob
 * matches the tool name decides. A rule without an action (MindRoom's `script` rules, which
 * Quorum cannot run) requires approval.
 */
export const toolApprovalSchema = z
  .strictObject({
    default: approvalAction.default('auto_approve'),
    timeout_days: timeoutDays.default(7),
    rules: z
      .array(
        z
          .strictObject({
            match: nonEmptyString,
            action: approvalAction.optional(),
            timeout_days: timeoutDays.optional(),
          })
          .transform((rule) => ({
            match: rule.match,
            action: rule.action ?? 'require_approval',
            timeout_days: rule.timeout_days ?? null,
          })),
      )
      .default([]),
  })
  .prefault({});

/** Quorum's load limits (`quorum.limits`). */
export const limitsSchema = z
  .strictObject({
    /** Turns one person may have running at once; more wait in the room's queue. */
    turns_per_user: z.number().int().min(1).max(100).default(5),
    /** Turns one room may have running at once; more wait in the room's queue. */
    turns_per_room: z.number().int().min(1).max(1_000).default(10),
    /** Turns a room may have waiting; beyond it a request is refused with a note. */
    queued_turns_per_room: z.number().int().min(0).max(10_000).default(20),
    /** Requests one person may start per minute (a token bucket of this size, refilled per minute). */
    messages_per_minute_per_user: z.number().int().min(1).max(10_000).default(20),
    /** Most bytes of prompt (system prompt, history and request) a turn sends; the oldest history goes first. */
    max_prompt_bytes: z.number().int().min(4_096).max(10_000_000).default(200_000),
    /** Most tool calls run from one model answer; the rest are answered with an error. */
    max_tool_calls_per_step: z.number().int().min(1).max(100).default(8),
  })
  .prefault({});

/**
 * Quorum as an MCP server (`quorum.mcp_server`, a Quorum addition): each agent and team is an
 * MCP tool `ask_<name>` over streamable HTTP at `http://<host>:<port><path>`, behind a bearer token.
 * Off by default; `quorum run --mcp` turns it on with these settings.
 */
export const mcpServerExposureSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    /** Interface to listen on; loopback by default. */
    host: nonEmptyString.default('127.0.0.1'),
    port: z.number().int().min(0).max(65_535).default(8766),
    path: z
      .string()
      .regex(/^\/[A-Za-z0-9/_-]*$/, { error: 'expected a URL path such as /mcp' })
      .default('/mcp'),
    /** The bearer token clients send (`Authorization: Bearer …`); a secret: write `${NAME}`. */
    token: z
      .string()
      .nullish()
      .transform((value) => value ?? null),
    /** Agents and teams exposed (by name); `null` or omitted: every agent and team. */
    agents: z
      .array(nonEmptyString)
      .nullish()
      .transform((value) => value ?? null),
    /** Questions answered at once; more wait their turn. */
    max_concurrent_calls: z.number().int().min(1).max(64).default(4),
    /** Longest one question may take before it is cancelled. */
    call_timeout_seconds: z.number().positive().max(86_400).default(600),
  })
  .prefault({});

/** Quorum's own settings (`quorum:`); a MindRoom file has none, so all have defaults. */
export const quorumSchema = z
  .strictObject({
    /** Messages younger than this at startup are still answered (after a crash or restart). */
    catch_up_minutes: z.number().int().min(0).default(15),
    /** Hard deadline for an orderly shutdown, after which the process exits anyway. */
    shutdown_deadline_seconds: z.number().positive().default(10),
    /** Matrix localpart prefix of every account Quorum runs: `quorum_calc`, `quorum_router`. */
    localpart_prefix: z
      .string()
      .regex(/^[a-z0-9._=-]*$/, {
        error: 'must be Matrix localpart material: lowercase a-z, 0-9 and ._=-',
      })
      .default('quorum_'),
    /** Whether users of other homeservers may be answered when not listed explicitly in authorization. */
    allow_federation: z.boolean().default(false),
    /** How long a question an agent asks (`ask_user`) waits for its answer before it expires. */
    ask_user_timeout_minutes: z.number().positive().max(525_600).default(1_440),
    /** How long a proposed config change (`!config set`, an agent's proposal) waits for ✅. */
    config_confirmation_minutes: z.number().positive().max(525_600).default(1_440),
    /** Load limits that keep one person or room from taking the fleet over. */
    limits: limitsSchema,
    /**
     * A schedule's due time missed while Quorum was down still fires on start when it is at
     * most this old (MindRoom: 24 hours); an older one is reported as missed in its thread.
     */
    schedule_catch_up_minutes: z.number().int().min(0).max(525_600).default(1_440),
    /** Most active schedules one person may have. */
    max_schedules_per_user: z.number().int().min(0).max(100_000).default(50),
    /** Most active schedules one room may have. */
    max_schedules_per_room: z.number().int().min(0).max(100_000).default(100),
    /** Shortest time between two runs of a recurring schedule. */
    schedule_min_interval_seconds: z.number().int().min(1).max(86_400).default(60),
    /** Furthest ahead a schedule's first run may be. */
    schedule_max_days_ahead: z.number().int().min(1).max(36_500).default(731),
    /** Quorum as an MCP server; see {@link mcpServerExposureSchema}. */
    mcp_server: mcpServerExposureSchema,
    /**
     * Who may use `!config` (when `authorization.config_command_enabled`), `!usage` and the
     * `propose_config_change` tool. Unset: the concrete user ids in `authorization.global_users`
     * (MindRoom's rule); globs there never make anyone a config admin.
     */
    config_admins: z
      .array(userIdSchema)
      .nullish()
      .transform((value) => value ?? null),
    /** More environment variables that hold secrets (besides KEY/TOKEN/SECRET/PASSWORD names). */
    secret_env: z
      .array(
        z
          .string()
          .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'expected an environment variable name' }),
      )
      .default([]),
    /**
     * Most consecutive agent-to-agent hops (an agent's message mentioning another agent) after a
     * person's message; the next one gets a short note instead of a turn. 0: agents never start
     * each other.
     */
    max_agent_hops: z.number().int().min(0).max(50).default(3),
    /** Most model tokens (input + output) one thread may spend; unset: no limit. */
    thread_token_budget: z
      .number()
      .int()
      .min(1)
      .nullish()
      .transform((value) => value ?? null),
    /**
     * Whether messages from people who may not talk to an agent stay in its thread history,
     * labelled as untrusted (default: left out).
     */
    include_untrusted_history: z.boolean().default(false),
  })
  .prefault({});
