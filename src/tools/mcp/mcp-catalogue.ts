/**
 * A server's tool catalogue: the shape agents are offered, and the pure step from a
 * `tools/list` answer to it (include/exclude filters, name order, model-visible names).
 */
import type { McpServerConfig } from '../../config/index.js';
import { mcpFunctionName, uniqueFunctionNames } from '../tool-names.js';
import type { McpToolInfo } from './mcp-session.js';

/** A server tool with its model-visible function name. */
export interface McpCatalogueTool extends McpToolInfo {
  /** `<tool_prefix or id>_<name>`, valid for OpenAI and Anthropic, unique within the server. */
  readonly functionName: string;
}

/** A server's tools; `version` increases whenever the list (or a tool in it) changes. */
export interface McpCatalogue {
  readonly version: number;
  readonly tools: readonly McpCatalogueTool[];
  /** The server's `call_timeout_seconds`, in milliseconds. */
  readonly callTimeoutMs: number;
  /** The server's `startup_timeout_seconds`, in milliseconds (a reconnect may take this long). */
  readonly startupTimeoutMs: number;
}

/**
 * The tools of server `id` that agents are offered from `listed`: those passing the config's
 * `include_tools` (empty: all) and `exclude_tools`, sorted by name, each named
 * `<tool_prefix or id>_<name>` and made unique within the server.
 */
export function catalogueTools(
  id: string,
  config: McpServerConfig,
  listed: readonly McpToolInfo[],
): McpCatalogueTool[] {
  const include = config.include_tools;
  const exclude = new Set(config.exclude_tools);
  const kept = listed
    .filter(
      (tool) => (include.length === 0 || include.includes(tool.name)) && !exclude.has(tool.name),
    )
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const prefix = config.tool_prefix ?? id;
  const names = uniqueFunctionNames(
    kept.map((tool) => ({ name: mcpFunctionName(prefix, tool.name), key: tool.name })),
  );
  return kept.map((tool, index) => ({ ...tool, functionName: names[index] ?? tool.name }));
}

/** A catalogue at `version` holding `tools`, with the server's timeouts in milliseconds. */
export function catalogueOf(
  config: McpServerConfig,
  version: number,
  tools: readonly McpCatalogueTool[],
): McpCatalogue {
  return {
    version,
    tools,
    callTimeoutMs: config.call_timeout_seconds * 1000,
    startupTimeoutMs: config.startup_timeout_seconds * 1000,
  };
}
