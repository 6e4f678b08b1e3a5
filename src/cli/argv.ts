/**
 * Command-line parsing for `quorum`. Pure: returns a command value or a usage error.
 */
export type CliCommand =
  | {
      readonly kind: 'run';
      readonly config: string | undefined;
      readonly dataDir: string | undefined;
      readonly apiPort: number | undefined;
      readonly apiHost: string | undefined;
      /** `--mcp`: serve Quorum's agents as MCP tools (`quorum.mcp_server`), token from QUORUM_MCP_TOKEN. */
      readonly mcp: boolean;
    }
  | { readonly kind: 'validate'; readonly path: string | undefined }
  | {
      readonly kind: 'diff';
      readonly oldPath: string;
      readonly newPath: string;
      readonly serverName: string;
    }
  | { readonly kind: 'help' }
  | { readonly kind: 'version' };

export type ParseResult =
  | { readonly ok: true; readonly command: CliCommand }
  | { readonly ok: false; readonly error: string };

export const USAGE = `Usage:
  quorum run [--config FILE] [--data-dir DIR] [--api-port N] [--api-host HOST] [--mcp]
  quorum config validate [FILE]
  quorum config diff OLD NEW [--server-name NAME]
  quorum --help | --version

Environment: MATRIX_HOMESERVER, MATRIX_REGISTRATION_SHARED_SECRET, MATRIX_REGISTRATION_TOKEN,
OPENAI_API_KEY, OPENAI_BASE_URL, ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL, LOG_LEVEL, LOG_FORMAT,
QUORUM_CONFIG_PATH, QUORUM_DATA_DIR, QUORUM_API_HOST, QUORUM_API_PORT, QUORUM_API_TOKEN,
OPENAI_COMPAT_API_KEYS, OPENAI_COMPAT_ALLOW_UNAUTHENTICATED, QUORUM_MCP_TOKEN, EMBEDDER_API_KEY
(memory and knowledge embeddings; else OPENAI_API_KEY), OLLAMA_HOST (each secret also as
NAME_FILE). An API bound beyond loopback needs QUORUM_API_TOKEN and OPENAI_COMPAT_API_KEYS.
--mcp serves each agent and team as an MCP tool ask_<name> (streamable HTTP, bearer token
QUORUM_MCP_TOKEN) at quorum.mcp_server's host, port and path (127.0.0.1:8766/mcp by default).`;

function takeOptions(
  args: readonly string[],
  allowed: readonly string[],
  switches: readonly string[] = [],
): { options: Map<string, string>; rest: string[]; error?: string } {
  const options = new Map<string, string>();
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (!arg.startsWith('--')) {
      rest.push(arg);
      continue;
    }
    const [flag = '', inline] = arg.split('=', 2);
    const name = flag.slice(2);
    if (switches.includes(name)) {
      if (inline !== undefined) return { options, rest, error: `${flag} takes no value` };
      options.set(name, 'true');
      continue;
    }
    if (!allowed.includes(name)) return { options, rest, error: `unknown option ${flag}` };
    const value = inline ?? args[++i];
    if (value === undefined || value.startsWith('--'))
      return { options, rest, error: `${flag} needs a value` };
    options.set(name, value);
  }
  return { options, rest };
}

/** Parses `argv` (without node and the script path). `run` is the default command. */
export function parseArgv(argv: readonly string[]): ParseResult {
  const [first, ...others] = argv;
  if (first === '--help' || first === '-h' || first === 'help')
    return { ok: true, command: { kind: 'help' } };
  if (first === '--version' || first === '-v') return { ok: true, command: { kind: 'version' } };
  if (first === 'config') {
    const [sub, ...args] = others;
    if (sub === 'validate') {
      const { rest, error } = takeOptions(args, []);
      if (error !== undefined) return { ok: false, error };
      if (rest.length > 1) return { ok: false, error: 'config validate takes at most one file' };
      return { ok: true, command: { kind: 'validate', path: rest[0] } };
    }
    if (sub === 'diff') {
      const { options, rest, error } = takeOptions(args, ['server-name']);
      if (error !== undefined) return { ok: false, error };
      const [oldPath, newPath] = rest;
      if (oldPath === undefined || newPath === undefined || rest.length > 2) {
        return { ok: false, error: 'config diff needs OLD and NEW files' };
      }
      return {
        ok: true,
        command: {
          kind: 'diff',
          oldPath,
          newPath,
          serverName: options.get('server-name') ?? 'localhost',
        },
      };
    }
    return { ok: false, error: 'expected `config validate` or `config diff`' };
  }
  const args = first === 'run' ? others : argv;
  const { options, rest, error } = takeOptions(
    args,
    ['config', 'data-dir', 'api-port', 'api-host'],
    ['mcp'],
  );
  if (error !== undefined) return { ok: false, error };
  if (rest.length > 0) return { ok: false, error: `unexpected argument ${rest[0] ?? ''}` };
  const portText = options.get('api-port');
  const apiPort = portText === undefined ? undefined : Number(portText);
  if (apiPort !== undefined && (!Number.isInteger(apiPort) || apiPort < 0 || apiPort > 65_535)) {
    return { ok: false, error: `--api-port must be a port number, got ${portText ?? ''}` };
  }
  return {
    ok: true,
    command: {
      kind: 'run',
      config: options.get('config'),
      dataDir: options.get('data-dir'),
      apiPort,
      apiHost: options.get('api-host'),
      mcp: options.has('mcp'),
    },
  };
}
