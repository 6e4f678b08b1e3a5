import { DaemonError } from '../../shared/index.js';

/**
 * Error codes of `tools/mcp/`. Raised by MCP sessions and the client manager; the MCP tools
 * turn every one of them into an error result the model reads, so none escapes a tool call.
 *
 * - `connection`: the transport failed or closed (the child exited, the HTTP server is
 *   unreachable or answered with an HTTP error). Retried once after a reconnect when the
 *   server's `auto_reconnect` is on.
 * - `timeout`: the server did not answer within the call (or startup) timeout. Retried like
 *   `connection`.
 * - `rpc`: the server answered the request with a JSON-RPC error (unknown tool, invalid
 *   params). Never retried: the server said no.
 * - `unavailable`: the server is not running (stopped, disabled, or restarting after a
 *   failure); `message` names the last error.
 * - `busy`: too many calls are already waiting for this server.
 * - `invalid_catalogue`: the server's tool list could not be read (not a list, too large).
 */
export type McpErrorCode =
  'connection' | 'timeout' | 'rpc' | 'unavailable' | 'busy' | 'invalid_catalogue';

/**
 * A failure talking to one MCP server. `message` is for operators and the model alike: it
 * never contains the server's headers or environment (secrets), only the server id, what
 * failed and the (redacted) first line of the underlying error. Kind `upstream`.
 */
export class McpError extends DaemonError<McpErrorCode> {
  constructor(code: McpErrorCode, message: string, options: { readonly cause?: unknown } = {}) {
    super(code, 'upstream', message, options);
    this.name = 'McpError';
  }

  /** True for the failures a reconnect may cure (`connection`, `timeout`). */
  get isRetryable(): boolean {
    return this.code === 'connection' || this.code === 'timeout';
  }
}
