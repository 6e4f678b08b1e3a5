/**
 * The tool names an agent may list in `tools:` and the per-agent options (`overrides`) each
 * takes. `tools/` builds the tools; this file is what the config is checked against, so a
 * config naming a tool Quorum does not have is refused at load (as MindRoom refuses it).
 *
 * Three kinds of name are valid: a Quorum tool ({@link QUORUM_TOOL_NAMES}), `mcp_<id>` for a
 * server in `mcp_servers`, and nothing else. A MindRoom tool Quorum does not implement gets
 * its own message ({@link MINDROOM_TOOL_NAMES}) suggesting an MCP server.
 */
import { z } from 'zod';
import { isRoomRef, nonEmptyString, ROOM_REF_MESSAGE } from './schema-primitives.js';

/** The prefix of the tool entry for an MCP server: `mcp_<server id>`. */
export const MCP_TOOL_PREFIX = 'mcp_';

const positiveSeconds = z.number().positive().max(86_400);
const toolList = z.array(nonEmptyString);

/**
 * Per-agent options of an `mcp_<id>` entry (MindRoom's): filters on the server's catalogue
 * (remote tool names, applied after the server's own `include_tools`/`exclude_tools`) and
 * the call timeout for this agent's calls.
 */
export const mcpToolOverridesSchema = z
  .strictObject({
    include_tools: toolList.optional(),
    exclude_tools: toolList.optional(),
    call_timeout_seconds: positiveSeconds.optional(),
  })
  .superRefine((value, ctx) => {
    const overlap = (value.include_tools ?? []).filter((tool) =>
      (value.exclude_tools ?? []).includes(tool),
    );
    if (overlap.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['exclude_tools'],
        message: `include_tools and exclude_tools overlap: ${overlap.join(', ')}`,
      });
    }
  });

/** Options of `file` (MindRoom's names where Quorum has the feature). */
export const fileToolOverridesSchema = z.strictObject({
  enable_read_file: z.boolean().default(true),
  enable_save_file: z.boolean().default(true),
  enable_list_files: z.boolean().default(true),
  /** Off by default, as in MindRoom: deleting is opt-in. */
  enable_delete_file: z.boolean().default(false),
  /** Longest file `read_file` returns, in characters. */
  max_file_length: z.number().int().min(1).max(10_000_000).default(1_000_000),
  /** Quorum addition: the largest file `save_file` writes, in bytes. */
  max_write_bytes: z.number().int().min(1).max(100_000_000).default(1_000_000),
  /** Always true in Quorum: the tool never reaches outside the agent's workspace. */
  restrict_to_base_dir: z
    .boolean()
    .refine((value) => value, {
      error: 'Quorum always keeps the file tool inside the agent workspace; remove this option',
    })
    .optional(),
});

/** Options of `shell` (Quorum's; MindRoom's env passthrough is not supported). */
export const shellToolOverridesSchema = z.strictObject({
  enable_run_shell_command: z.boolean().default(true),
  /** Longest a command may run before its process group is killed. */
  timeout_seconds: positiveSeconds.default(60),
  /** Most characters of output returned (the tail is kept). */
  max_output_chars: z.number().int().min(100).max(1_000_000).default(16_000),
});

/** Options of `fetch_url` (a Quorum tool). */
export const fetchUrlToolOverridesSchema = z.strictObject({
  /** Allows private, loopback, link-local and CGNAT addresses (metadata endpoints stay blocked). */
  allow_private_networks: z.boolean().default(false),
  /** Host names (exact, case-insensitive) exempt from the address check, e.g. an intranet wiki. */
  allowed_hosts: z.array(nonEmptyString).default([]),
  /** Largest response body read, in bytes. */
  max_bytes: z.number().int().min(1_000).max(50_000_000).default(2_000_000),
  /** Longest the whole fetch (redirects included) may take. */
  timeout_seconds: positiveSeconds.default(20),
});

/** Options of `matrix_message`: the rooms besides the current one it may post to. */
export const matrixMessageToolOverridesSchema = z.strictObject({
  /** Room names, aliases or ids; `'*'` allows every room the agent is in. */
  allowed_rooms: z
    .array(
      z.string().refine((room) => room === '*' || isRoomRef(room), {
        error: `${ROOM_REF_MESSAGE}, or '*'`,
      }),
    )
    .default([]),
});

const noOverrides = z.strictObject({});

/**
 * Every tool Quorum implements, by the name an agent lists, with the schema of its options.
 * `tools/` has a test that its built-in registry holds exactly these names.
 */
export const QUORUM_TOOL_OVERRIDES = {
  calculator: noOverrides,
  current_time: noOverrides,
  matrix_message: matrixMessageToolOverridesSchema,
  ask_user: noOverrides,
  propose_config_change: noOverrides,
  fetch_url: fetchUrlToolOverridesSchema,
  file: fileToolOverridesSchema,
  shell: shellToolOverridesSchema,
  /** MindRoom's scheduler toolkit; served by the daemon's ScheduleService (see `tools/`). */
  scheduler: noOverrides,
} as const;

/** The name of a tool Quorum implements. */
export type QuorumToolName = keyof typeof QUORUM_TOOL_OVERRIDES;

/** Tool names Quorum implements, in a stable order. */
export const QUORUM_TOOL_NAMES = Object.keys(QUORUM_TOOL_OVERRIDES) as readonly QuorumToolName[];

/** The parsed options of each Quorum tool, defaults filled in. */
export type QuorumToolOptions = {
  readonly [Name in QuorumToolName]: Readonly<z.output<(typeof QUORUM_TOOL_OVERRIDES)[Name]>>;
};

/** The parsed per-agent options of an `mcp_<id>` entry. */
export type McpToolOverrides = Readonly<z.output<typeof mcpToolOverridesSchema>>;

/**
 * MindRoom's tool names (its `src/mindroom/tools` registry) that Quorum does not implement.
 * Listing one is an error whose message says so and suggests an MCP server instead.
 */
export const MINDROOM_TOOL_NAMES: ReadonlySet<string> = new Set([
  'agent_vault_access', 'agentql', 'airflow', 'apify', 'approved_egress', 'arxiv', 'attachments',
  'aws_lambda', 'aws_ses', 'baidusearch', 'bitbucket', 'brandfetch', 'brightdata', 'browser',
  'browserbase', 'cal_com', 'callback_manager', 'cartesia', 'claude_agent', 'clickup', 'coding',
  'compact_context', 'composio', 'config_manager', 'confluence', 'crawl4ai', 'csv', 'custom_api',
  'dalle', 'daytona', 'delegate', 'desi_vocal', 'desktop', 'discord', 'docker', 'duckdb',
  'duckduckgo', 'dynamic_tools', 'dynamic_workflow', 'e2b', 'eleven_labs', 'email', 'exa',
  'external_trigger_manager', 'fal', 'file_generation', 'financial_datasets_api', 'firecrawl',
  'gemini', 'giphy', 'github', 'gmail', 'google_bigquery', 'google_calendar', 'google_docs',
  'google_drive', 'google_maps', 'google_scholar', 'google_sheets', 'googlesearch', 'groq',
  'hackernews', 'homeassistant', 'invite_router', 'jina', 'jira', 'linear', 'linkup', 'lumalabs',
  'matrix_api', 'matrix_room', 'matrix_voice_message', 'mem0', 'modelslabs',
  'moviepy_video_tools', 'neo4j', 'newspaper', 'notion', 'oauth_connections', 'openai', 'openbb',
  'openclaw_compat', 'openweather', 'oxylabs', 'pandas', 'postgres', 'pubmed', 'python',
  'reasoning', 'reddit', 'redshift', 'replicate', 'report_publishing', 'resend',
  'scrapegraph', 'script', 'searxng', 'self_config', 'serpapi', 'serper', 'shopify', 'slack',
  'sleep', 'spider', 'spotify', 'sql', 'subagents', 'tavily', 'telegram', 'thread_model',
  'thread_resolution', 'thread_summary', 'thread_tags', 'todo', 'todoist', 'trafilatura', 'trello',
  'twilio', 'unsplash', 'update_awareness', 'visualization', 'web_browser_tools', 'webex',
  'website', 'whatsapp', 'wikipedia', 'x', 'yfinance', 'youtube', 'zendesk', 'zep', 'zoom',
]); // prettier-ignore

/**
 * Tools a daemon service provides per agent rather than the built-in registry: `memory`
 * (the memory tools, issue 14) and `scheduler` (the schedule tools, issue 15), as MindRoom
 * names them. Valid in `tools:`; they take no options.
 */
export const SERVICE_TOOL_NAMES: ReadonlySet<string> = new Set(['memory', 'scheduler']);

/** True for a tool a daemon service provides (see {@link SERVICE_TOOL_NAMES}). */
export function isServiceToolName(name: string): boolean {
  return SERVICE_TOOL_NAMES.has(name);
}

/** True for a name Quorum implements. */
export function isQuorumToolName(name: string): name is QuorumToolName {
  return Object.hasOwn(QUORUM_TOOL_OVERRIDES, name);
}

/** The server id of an `mcp_<id>` tool entry, or `undefined` for any other name. */
export function mcpServerIdOf(toolName: string): string | undefined {
  return toolName.startsWith(MCP_TOOL_PREFIX) && toolName.length > MCP_TOOL_PREFIX.length
    ? toolName.slice(MCP_TOOL_PREFIX.length)
    : undefined;
}

/**
 * The options of Quorum tool `name` from an entry's raw `overrides`, defaults filled in.
 * The config was validated at load, so this only throws for a config that bypassed
 * `parseConfig` (a bug).
 */
export function parseToolOptions<Name extends QuorumToolName>(
  name: Name,
  overrides: Readonly<Record<string, unknown>>,
): QuorumToolOptions[Name] {
  return QUORUM_TOOL_OVERRIDES[name].parse(overrides) as QuorumToolOptions[Name];
}

/** The per-agent options of an `mcp_<id>` entry; throws like {@link parseToolOptions}. */
export function parseMcpToolOverrides(
  overrides: Readonly<Record<string, unknown>>,
): McpToolOverrides {
  return mcpToolOverridesSchema.parse(overrides);
}

/** The options schema for tool entry `name`, or `undefined` for a name that is not a tool. */
export function toolOverridesSchemaFor(name: string): z.ZodType | undefined {
  if (isQuorumToolName(name)) return QUORUM_TOOL_OVERRIDES[name];
  if (isServiceToolName(name)) return noOverrides;
  return mcpServerIdOf(name) === undefined ? undefined : mcpToolOverridesSchema;
}
