/**
 * One MCP server's tools as one agent sees them: the server's catalogue (already filtered by
 * the server's `include_tools`/`exclude_tools` and named `<prefix>_<tool>`), filtered again by
 * the agent's own entry (`- mcp_github: {include_tools: [...]}`), as `Tool`s whose `run`
 * calls the server through the client manager.
 */
import { MCP_TOOL_PREFIX, type McpToolOverrides } from '../../config/index.js';
import type { JsonSchema, Tool, ToolResult } from '../tool.js';
import type { ToolSource } from '../tool-source.js';
import type { McpToolBackend } from './mcp-client-manager.js';
import type { McpCatalogueTool } from './mcp-catalogue.js';

/** Longest tool description passed on to the model (server text is untrusted). */
const MAX_DESCRIPTION_CHARS = 2_000;
/** Largest argument schema passed on to the model, as JSON characters. */
const MAX_SCHEMA_CHARS = 32_000;
const EMPTY: readonly Tool[] = [];

/** Slack on top of two attempts and a reconnect before the runner's own timeout fires. */
const BACKSTOP_SLACK_MS = 5_000;

/** A `ToolSource` for server `serverId`, filtered by the agent's `overrides`. */
export function createMcpToolSource(
  backend: McpToolBackend,
  serverId: string,
  overrides: McpToolOverrides,
): ToolSource {
  let lastInput: readonly McpCatalogueTool[] | undefined;
  let lastOutput: readonly Tool[] = EMPTY;
  const include = overrides.include_tools;
  const exclude = new Set(overrides.exclude_tools ?? []);
  const timeoutMs =
    overrides.call_timeout_seconds === undefined
      ? undefined
      : overrides.call_timeout_seconds * 1000;
  return {
    id: `${MCP_TOOL_PREFIX}${serverId}`,
    tools: () => {
      const catalogue = backend.catalogue(serverId);
      const input = catalogue?.tools ?? EMPTY_CATALOGUE;
      if (input.length === 0) {
        lastInput = input;
        lastOutput = EMPTY;
        return EMPTY;
      }
      if (input === lastInput) return lastOutput;
      lastInput = input;
      const kept = input.filter(
        (tool) => (include === undefined || include.includes(tool.name)) && !exclude.has(tool.name),
      );
      lastOutput =
        kept.length === 0
          ? EMPTY
          : kept.map((tool) => {
              // The manager enforces the real per-attempt timeout and may retry once after a
              // reconnect; the runner's own timeout is only a backstop beyond all of that.
              const attemptMs = timeoutMs ?? catalogue?.callTimeoutMs ?? 0;
              const backstopMs =
                attemptMs * 2 + (catalogue?.startupTimeoutMs ?? 0) + BACKSTOP_SLACK_MS;
              return mcpTool(backend, serverId, tool, timeoutMs, backstopMs);
            });
      return lastOutput;
    },
  };
}

const EMPTY_CATALOGUE: readonly McpCatalogueTool[] = [];

function mcpTool(
  backend: McpToolBackend,
  serverId: string,
  info: McpCatalogueTool,
  timeoutMs: number | undefined,
  backstopMs: number,
): Tool {
  return {
    name: info.functionName,
    description: describe(info, serverId),
    parameters: safeSchema(info.inputSchema),
    timeoutMs: backstopMs,
    origin: { kind: 'mcp', serverId, remoteName: info.name },
    run: async (args, context): Promise<ToolResult> => {
      const outcome = await backend.call(serverId, info.name, args, {
        signal: context.signal,
        timeoutMs,
      });
      return {
        content: outcome.content,
        isError: outcome.isError,
        ...(outcome.isTruncated ? { collapsible: true } : {}),
      };
    },
  };
}

function describe(info: McpCatalogueTool, serverId: string): string {
  const text = info.description.trim().slice(0, MAX_DESCRIPTION_CHARS);
  const origin = `(tool ${info.name} of MCP server ${serverId})`;
  return text === '' ? origin : `${text} ${origin}`;
}

/** The server's schema when it is a plain object schema of sane size, else an open object. */
function safeSchema(schema: JsonSchema): JsonSchema {
  const isObject = schema['type'] === 'object' || schema['type'] === undefined;
  const size = JSON.stringify(schema).length;
  if (!isObject || size > MAX_SCHEMA_CHARS) return { type: 'object', properties: {} };
  return schema['type'] === undefined ? { ...schema, type: 'object' } : schema;
}
