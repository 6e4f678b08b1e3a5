/**
 * `McpSession` on the MCP SDK's `Client`: stdio (a child process with a minimal environment),
 * SSE and streamable HTTP. The only file that talks to the SDK's client side; every SDK error
 * is mapped here, once, to an `McpError`.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { McpServerConfig } from '../../config/index.js';
import { redactText, type Logger } from '../../shared/index.js';
import { McpError, type McpErrorCode } from './errors.js';
import { renderCallResult } from './mcp-result.js';
import { loadSdkClient, type SdkClientModules } from './sdk-modules.js';
import type {
  McpCallOutcome,
  McpRequestOptions,
  McpSession,
  McpSessionFactory,
  McpToolInfo,
} from './mcp-session.js';

/** What {@link createSdkSessionFactory} needs. */
export interface SdkSessionDeps {
  /**
   * The environment every stdio server starts from, before its own `env`: a few basics
   * (`PATH`, `HOME`, `LANG`, …) that the CLI picks from the daemon's environment, never the
   * whole of it. (The SDK itself also copies `HOME`, `LOGNAME`, `PATH`, `SHELL`, `TERM` and
   * `USER` from the daemon's environment; nothing else reaches the child.)
   */
  readonly baseEnv: Readonly<Record<string, string>>;
  readonly log: Logger;
  /** Longest result text kept per call, in characters. */
  readonly maxOutputChars: number;
  /** Quorum's version, sent as `clientInfo`. */
  readonly version: string;
}

const MAX_TOOL_PAGES = 50;
const MAX_TOOLS = 2_000;
const STDERR_LINES_KEPT = 5;
const MAX_STDERR_LINE = 300;
const TERMINATE_TIMEOUT_MS = 1_000;

/** An `McpSessionFactory` that opens real connections with the MCP SDK. */
export function createSdkSessionFactory(deps: SdkSessionDeps): McpSessionFactory {
  return async (id, config, options) => {
    const sdk = await loadSdkClient();
    const secrets = secretValuesOf(config);
    const scrub = (text: string): string => scrubSecrets(text, secrets);
    const log = deps.log.child({ mcpServer: id });
    const stderrTail: string[] = [];
    const transport = createTransport(sdk, config, deps.baseEnv);
    if (transport instanceof sdk.StdioClientTransport) {
      watchStderr(transport, (line) => {
        const clean = scrub(redactText(line)).slice(0, MAX_STDERR_LINE);
        stderrTail.push(clean);
        if (stderrTail.length > STDERR_LINES_KEPT) stderrTail.shift();
        log.debug('MCP server stderr', { line: clean });
      });
    }
    const client = new sdk.Client({ name: 'quorum', version: deps.version }, { capabilities: {} });
    let resolveClosed: (reason: string) => void = () => undefined;
    const closed = new Promise<string>((resolve) => {
      resolveClosed = resolve;
    });
    let lastTransportError: string | undefined;
    client.onerror = (error) => {
      lastTransportError = scrub(firstLine(error));
      log.debug('MCP transport error', { error: lastTransportError });
    };
    client.onclose = () => {
      const tail = stderrTail.at(-1);
      resolveClosed(
        lastTransportError ??
          (tail === undefined ? 'the server closed the connection' : `the server exited: ${tail}`),
      );
    };
    try {
      await client.connect(transport, { signal: options.signal, timeout: options.timeoutMs });
    } catch (error: unknown) {
      await transport.close().catch(() => undefined);
      throw toMcpError(sdk, error, id, 'connecting', scrub, options.signal, stderrTail.at(-1));
    }
    const pid =
      transport instanceof sdk.StdioClientTransport ? (transport.pid ?? undefined) : undefined;
    return new SdkSession(sdk, id, client, transport, closed, pid, scrub, deps.maxOutputChars);
  };
}

class SdkSession implements McpSession {
  private isClosing = false;

  constructor(
    private readonly sdk: SdkClientModules,
    private readonly id: string,
    private readonly client: Client,
    private readonly transport: Transport,
    readonly closed: Promise<string>,
    readonly pid: number | undefined,
    private readonly scrub: (text: string) => string,
    private readonly maxOutputChars: number,
  ) {}

  async listTools(options: McpRequestOptions): Promise<McpToolInfo[]> {
    const tools: McpToolInfo[] = [];
    let cursor: string | undefined;
    try {
      for (let page = 0; page < MAX_TOOL_PAGES; page++) {
        const result = await this.client.listTools(cursor === undefined ? {} : { cursor }, {
          signal: options.signal,
          timeout: options.timeoutMs,
        });
        for (const tool of result.tools) {
          tools.push({
            name: tool.name,
            description: tool.description ?? tool.title ?? '',
            inputSchema: tool.inputSchema,
          });
        }
        if (tools.length > MAX_TOOLS) {
          throw new McpError(
            'invalid_catalogue',
            `MCP server '${this.id}' lists more than ${MAX_TOOLS} tools`,
          );
        }
        cursor = result.nextCursor;
        if (cursor === undefined) return tools;
      }
    } catch (error: unknown) {
      throw toMcpError(this.sdk, error, this.id, 'listing tools', this.scrub, options.signal);
    }
    throw new McpError(
      'invalid_catalogue',
      `MCP server '${this.id}' lists more than ${MAX_TOOL_PAGES} pages of tools`,
    );
  }

  async callTool(
    name: string,
    args: Readonly<Record<string, unknown>>,
    options: McpRequestOptions,
  ): Promise<McpCallOutcome> {
    try {
      const result = await this.client.callTool({ name, arguments: { ...args } }, undefined, {
        signal: options.signal,
        timeout: options.timeoutMs,
      });
      const rendered = renderCallResult(result, this.maxOutputChars);
      return {
        content: rendered.content,
        isError: rendered.isError,
        isTruncated: rendered.isTruncated,
      };
    } catch (error: unknown) {
      throw toMcpError(this.sdk, error, this.id, `calling ${name}`, this.scrub, options.signal);
    }
  }

  async ping(options: McpRequestOptions): Promise<void> {
    try {
      await this.client.ping({ signal: options.signal, timeout: options.timeoutMs });
    } catch (error: unknown) {
      throw toMcpError(this.sdk, error, this.id, 'ping', this.scrub, options.signal);
    }
  }

  onToolsChanged(listener: () => void): void {
    this.client.setNotificationHandler(this.sdk.ToolListChangedNotificationSchema, () => {
      listener();
    });
  }

  async close(): Promise<void> {
    if (this.isClosing) {
      await this.closed;
      return;
    }
    this.isClosing = true;
    if (this.transport instanceof this.sdk.StreamableHTTPClientTransport) {
      // Best effort: tell the server the session is over (DELETE), without waiting long.
      const transport = this.transport;
      await Promise.race([
        transport.terminateSession().catch(() => undefined),
        new Promise((resolve) => setTimeout(resolve, TERMINATE_TIMEOUT_MS).unref()),
      ]);
    }
    // For stdio this ends stdin, then SIGTERM, then SIGKILL, with unref'd timers (SDK).
    await this.client.close().catch(() => undefined);
    // After a SIGKILL the SDK returns at once; wait for the exit so the child is reaped.
    await Promise.race([
      this.closed,
      new Promise((resolve) => setTimeout(resolve, TERMINATE_TIMEOUT_MS).unref()),
    ]);
  }
}

/** The SDK transport for `config`; nothing is started until `Client.connect`. */
function createTransport(
  sdk: SdkClientModules,
  config: McpServerConfig,
  baseEnv: Readonly<Record<string, string>>,
): Transport {
  switch (config.transport) {
    case 'stdio':
      return new sdk.StdioClientTransport({
        command: config.command ?? '',
        args: [...config.args],
        env: { ...baseEnv, ...config.env },
        ...(config.cwd === null ? {} : { cwd: config.cwd }),
        stderr: 'pipe',
      });
    case 'sse':
      return new sdk.SSEClientTransport(new URL(config.url ?? ''), {
        requestInit: { headers: { ...config.headers } },
      });
    case 'streamable-http':
      return new sdk.StreamableHTTPClientTransport(new URL(config.url ?? ''), {
        requestInit: { headers: { ...config.headers } },
      });
  }
}

function watchStderr(transport: StdioClientTransport, onLine: (line: string) => void): void {
  const stream = transport.stderr;
  if (stream === null) return;
  let pending = '';
  stream.on('data', (chunk: Buffer | string) => {
    pending += chunk.toString();
    // Keep memory bounded even if a server writes one endless line.
    if (pending.length > 64_000) pending = pending.slice(-MAX_STDERR_LINE);
    let newline = pending.indexOf('\n');
    while (newline !== -1) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (line !== '') onLine(line);
      newline = pending.indexOf('\n');
    }
  });
}

/** The values of a server's `env` and `headers`: its secrets, scrubbed from what it says. */
function secretValuesOf(config: McpServerConfig): string[] {
  const values = [...Object.values(config.env), ...Object.values(config.headers)];
  const parts = values.flatMap((value) => [value, ...value.split(/\s+/)]);
  return [...new Set(parts.filter((value) => value.length >= 6))].sort(
    (a, b) => b.length - a.length,
  );
}

function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join('[redacted]');
  return out;
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return (message.split('\n')[0] ?? '').trim().slice(0, 500);
}

/**
 * The `McpError` for an SDK failure while doing `what`, or the signal's reason when the
 * caller aborted. JSON-RPC errors from the server are `rpc`; a closed connection or any
 * transport failure is `connection`; the SDK's request timeout is `timeout`.
 */
function toMcpError(
  sdk: SdkClientModules,
  error: unknown,
  id: string,
  what: string,
  scrub: (text: string) => string,
  signal: AbortSignal,
  stderrTail?: string,
): Error {
  if (signal.aborted) {
    return signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason));
  }
  if (error instanceof McpError) return error;
  let code: McpErrorCode = 'connection';
  if (error instanceof sdk.McpError) {
    if (error.code === (sdk.ErrorCode.RequestTimeout as number)) code = 'timeout';
    else if (error.code !== (sdk.ErrorCode.ConnectionClosed as number)) code = 'rpc';
  }
  let detail = scrub(redactText(firstLine(error)));
  if (code === 'connection' && stderrTail !== undefined) detail += ` (stderr: ${stderrTail})`;
  return new McpError(code, `MCP server '${id}': ${what} failed: ${detail}`, { cause: error });
}
