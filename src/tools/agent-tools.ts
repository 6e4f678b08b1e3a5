/**
 * One agent's whole tool catalogue from its config entries: the built-ins it lists (with
 * their per-agent options) as one source, then one source per `mcp_<id>` entry (the server's
 * catalogue filtered by the entry), combined by the per-agent runner.
 */
import {
  isQuorumToolName,
  isServiceToolName,
  mcpServerIdOf,
  parseMcpToolOverrides,
  type ToolEntry,
} from '../config/index.js';
import { createBuiltinTools, type BuiltinToolHost } from './builtin-tools.js';
import type { McpToolBackend } from './mcp/mcp-client-manager.js';
import { createMcpToolSource } from './mcp/mcp-tool-source.js';
import type { Tool, ToolCapabilities } from './tool.js';
import {
  createAgentToolRunner,
  type AgentToolRunner,
  type SkippedTool,
  type ToolRunnerLimits,
} from './tool-runner.js';
import { staticToolSource, type ToolSource } from './tool-source.js';

/** What {@link buildAgentTools} needs besides the entries. */
export interface AgentToolsDeps extends ToolCapabilities, ToolRunnerLimits {
  /** What built-in tools need from the host. */
  readonly host: BuiltinToolHost;
  /** The daemon's MCP clients; without it `mcp_<id>` entries are left out. */
  readonly mcp?: McpToolBackend | undefined;
  /** Sources added after the configured ones (memory and knowledge tools, later). */
  readonly extraSources?: readonly ToolSource[];
}

/**
 * The runner for an agent whose effective tool entries are `entries` (its own, then
 * `defaults.tools`; `AgentSpec.tools`). Build one per agent per config generation: MCP
 * catalogues are read live, so a server restart or `tools/list_changed` needs no rebuild.
 * Entries that cannot be served (a capability the agent lacks, no MCP manager, a name the
 * config should have refused) are left out, logged once and listed in `skipped`.
 */
export function buildAgentTools(
  entries: readonly ToolEntry[],
  deps: AgentToolsDeps,
): AgentToolRunner {
  const builtins: Tool[] = [];
  const mcpSources: ToolSource[] = [];
  const skipped: SkippedTool[] = [];
  for (const entry of entries) {
    // Service tools (memory, scheduler) come from their services, through `extraSources`.
    if (isServiceToolName(entry.name)) continue;
    const serverId = mcpServerIdOf(entry.name);
    if (isQuorumToolName(entry.name)) {
      for (const tool of createBuiltinTools(entry.name, entry.overrides, deps.host)) {
        const missing = tool.needs?.filter((need) => deps[need] === undefined) ?? [];
        if (missing.length === 0) builtins.push(tool);
        else {
          skipped.push({ name: tool.name, reason: 'unavailable' });
          deps.log.warn('tool left out: missing capability', { tool: tool.name, needs: missing });
        }
      }
    } else if (serverId !== undefined && deps.mcp !== undefined) {
      mcpSources.push(
        createMcpToolSource(deps.mcp, serverId, parseMcpToolOverrides(entry.overrides)),
      );
    } else {
      const reason = serverId === undefined ? 'unknown' : 'unavailable';
      skipped.push({ name: entry.name, reason });
      deps.log.warn('tool left out', { tool: entry.name, reason });
    }
  }
  return createAgentToolRunner(
    [staticToolSource('builtin', builtins), ...mcpSources, ...(deps.extraSources ?? [])],
    { ...deps, skipped },
  );
}
