import type { Tool } from './tool.js';

/**
 * A catalogue of tools one agent may call: the built-ins its config lists, one MCP server
 * (filtered for the agent), later memory and knowledge tools. The per-agent runner combines
 * sources in order (built-ins first) and reads them again for every model call, so a
 * catalogue change (an MCP `tools/list_changed`, a reload) reaches the agent's next request.
 */
export interface ToolSource {
  /** For logs and collision keys: `builtin`, `mcp_<server id>`. */
  readonly id: string;
  /**
   * The tools offered now. Cheap, and the same array (identity) for as long as nothing
   * changed, so the runner can cache what it derives from it. Names must be valid function
   * names and unique within the source; the runner resolves clashes between sources.
   */
  tools(): readonly Tool[];
}

/** A source whose tools never change. */
export function staticToolSource(id: string, tools: readonly Tool[]): ToolSource {
  const fixed = [...tools];
  return { id, tools: () => fixed };
}
