/**
 * What the CLI hands to MCP and tool code from the process environment: never the whole
 * environment, only the basics a child process needs, and Quorum's own MCP server settings.
 */
import type { McpServerExposureConfig } from '../config/index.js';

type Env = Readonly<Record<string, string | undefined>>;

/** Variables a stdio MCP server starts with (before its own `env`). */
const MCP_BASE_VARIABLES = [
  'PATH',
  'HOME',
  'LANG',
  'LC_ALL',
  'LC_CTYPE',
  'TZ',
  'TMPDIR',
  'USER',
  'LOGNAME',
];
/** Variables a `shell` tool command starts with (HOME and PWD are its workspace). */
const SHELL_BASE_VARIABLES = ['PATH', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ'];

function pick(env: Env, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = env[name];
    // Exported shell functions (`() { … }`) are never passed on.
    if (value !== undefined && value !== '' && !value.startsWith('()')) out[name] = value;
  }
  return out;
}

/** The base environment of every stdio MCP server: `PATH`, `HOME`, locale, `TZ`, `TMPDIR`, user. */
export function mcpBaseEnv(env: Env): Record<string, string> {
  return { LANG: 'C.UTF-8', ...pick(env, MCP_BASE_VARIABLES) };
}

/** The base environment of `shell` tool commands: `PATH`, locale and `TZ`. */
export function shellBaseEnv(env: Env): Record<string, string> {
  return {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    LANG: 'C.UTF-8',
    ...pick(env, SHELL_BASE_VARIABLES),
  };
}

/**
 * `quorum.mcp_server` with `--mcp` applied: the flag turns the server on, and a token missing
 * from the config comes from `QUORUM_MCP_TOKEN` (or `QUORUM_MCP_TOKEN_FILE`, read by the
 * caller into `token`). Returns an error message when it is on without a usable token.
 */
export function mcpServerSettings(
  config: McpServerExposureConfig,
  flag: boolean,
  envToken: string | undefined,
):
  | { readonly ok: true; readonly settings: McpServerExposureConfig }
  | { readonly ok: false; readonly error: string } {
  const enabled = config.enabled || flag;
  const token = config.token ?? envToken ?? null;
  if (enabled && (token === null || token.length < 16)) {
    return {
      ok: false,
      error:
        'the MCP server (--mcp) needs a bearer token of at least 16 characters: set QUORUM_MCP_TOKEN',
    };
  }
  return { ok: true, settings: { ...config, enabled, token } };
}
