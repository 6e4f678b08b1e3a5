/**
 * One live connection to an MCP server, as the supervisor sees it. The SDK implementation is
 * `createSdkSessionFactory` (sdk-session.ts); unit tests use an in-memory fake. Every failure
 * rejects with an `McpError` (see errors.ts), except an abort, which rejects with the
 * signal's reason.
 */
import type { McpServerConfig } from '../../config/index.js';
import type { JsonSchema } from '../tool.js';

/** One tool as a server lists it (`tools/list`). */
export interface McpToolInfo {
  /** The server's name for it. */
  readonly name: string;
  /** Empty when the server gave none. */
  readonly description: string;
  /** A JSON Schema object for its arguments. */
  readonly inputSchema: JsonSchema;
}

/** A tool call's result as text for the model. */
export interface McpCallOutcome {
  /** Untrusted text: the server's content items rendered (see `renderCallResult`), capped. */
  readonly content: string;
  /** The server marked the result as an error (`isError`). */
  readonly isError: boolean;
  /** True when the content was cut at the output cap. */
  readonly isTruncated: boolean;
}

/** Options of one request on a session. */
export interface McpRequestOptions {
  readonly signal: AbortSignal;
  /** Longest the request may take, in milliseconds. */
  readonly timeoutMs: number;
}

/** A connected, initialized MCP session. */
export interface McpSession {
  /** The child's process id for a stdio server, else `undefined`. */
  readonly pid: number | undefined;
  /** Resolves (never rejects) when the connection has ended, with why, for operators. */
  readonly closed: Promise<string>;
  /** Every tool the server lists (all pages). */
  listTools(options: McpRequestOptions): Promise<McpToolInfo[]>;
  /** Calls `name` with `args`. */
  callTool(
    name: string,
    args: Readonly<Record<string, unknown>>,
    options: McpRequestOptions,
  ): Promise<McpCallOutcome>;
  /** An MCP `ping`: resolves when the server answered. */
  ping(options: McpRequestOptions): Promise<void>;
  /** `listener` runs on each `notifications/tools/list_changed` (replacing an earlier one). */
  onToolsChanged(listener: () => void): void;
  /**
   * Ends the session. A stdio child gets stdin closed, then SIGTERM, then SIGKILL (2 s apart,
   * timers unref'd); resolves when it is gone. Idempotent.
   */
  close(): Promise<void>;
}

/**
 * Opens a session to server `id`: starts the transport (spawns a stdio child) and runs the
 * MCP `initialize` handshake within `timeoutMs`. On failure nothing is left running.
 */
export type McpSessionFactory = (
  id: string,
  config: McpServerConfig,
  options: McpRequestOptions,
) => Promise<McpSession>;
