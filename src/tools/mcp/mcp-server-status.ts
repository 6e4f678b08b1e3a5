/**
 * The status one supervised MCP server reports (its `/api/ready` entry and state events).
 */

/**
 * Where a server is:
 * - `starting`: connecting, initializing and listing tools (first start or a restart);
 * - `ready`: connected, catalogue usable;
 * - `backoff`: failed, waiting before the next start (calls fail at once);
 * - `stopped`: stopped for good (removed from the config, or shutdown);
 * - `disabled`: `enabled: false` in the config; never started.
 */
export type McpServerState = 'starting' | 'ready' | 'backoff' | 'stopped' | 'disabled';

/** One server's entry in `/api/ready` (`mcp_servers.<id>`). */
export interface McpServerStatus {
  readonly state: McpServerState;
  /** Tools offered after the server's include/exclude filters. */
  readonly tools: number;
  /** Why it last failed (redacted, no secrets), or `null`. */
  readonly last_error: string | null;
  /** Restarts after failures since it was (re)configured. */
  readonly restarts: number;
}
