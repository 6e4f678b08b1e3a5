/**
 * The config fields meant to hold secrets: where a `${NAME}` reference to a credential may
 * be filled in, and whose values are never shown (logs, `!config show`, cards, `/api/ready`).
 * Issue 12's rule — a secret-holding variable may fill only these — checks against this list.
 */
import type { PathSegment } from './issues.js';

/** `*` matches any key or index. */
export const SECRET_FIELD_PATTERNS: readonly (readonly string[])[] = [
  ['models', '*', 'api_key'],
  ['models', '*', 'extra_kwargs', 'api_key'],
  // An MCP server's environment and HTTP headers reach only that server.
  ['mcp_servers', '*', 'env', '*'],
  ['mcp_servers', '*', 'headers', '*'],
  // The bearer token of Quorum's own MCP server.
  ['quorum', 'mcp_server', 'token'],
];

/** True when `path` (a YAML path) is a field meant for a secret. */
export function isSecretField(path: readonly PathSegment[]): boolean {
  return SECRET_FIELD_PATTERNS.some(
    (pattern) =>
      pattern.length === path.length &&
      pattern.every((segment, index) => segment === '*' || segment === String(path[index])),
  );
}
