/**
 * Cross-checks of the tool-related blocks: every name in `tools:` is a tool Quorum has (or an
 * `mcp_<id>` whose server exists), every entry's options fit that tool, the MCP server Quorum
 * exposes is configured safely, and blocks Quorum does not implement yet are reported.
 */
import type { ConfigIssue, ConfigWarning, PathSegment } from './issues.js';
import type { QuorumConfig } from './schema.js';
import type { ToolEntry } from './schema-primitives.js';
import {
  isQuorumToolName,
  isServiceToolName,
  MINDROOM_TOOL_NAMES,
  SERVICE_TOOL_NAMES,
  mcpServerIdOf,
  QUORUM_TOOL_NAMES,
  toolOverridesSchemaFor,
} from './tool-settings.js';
import type { YamlSource } from './yaml-source.js';
import { issueAt } from './yaml-source.js';
import { fromZodIssues } from './zod-issues.js';

/** Errors and warnings about tools, MCP servers and the blocks Quorum does not implement. */
export function checkTools(
  config: QuorumConfig,
  source: YamlSource,
): { issues: ConfigIssue[]; warnings: ConfigWarning[] } {
  const issues: ConfigIssue[] = [];
  const warnings: ConfigWarning[] = [];
  const inheritors = Object.entries(config.agents)
    .filter(([, agent]) => agent.include_default_tools)
    .map(([name]) => name);
  checkEntries(config, source, config.defaults.tools, ['defaults', 'tools'], {
    owner: inheritors.length === 0 ? 'defaults' : `defaults (used by ${inheritors.join(', ')})`,
    issues,
    warnings,
  });
  for (const [name, agent] of Object.entries(config.agents)) {
    checkEntries(config, source, agent.tools, ['agents', name, 'tools'], {
      owner: `agent '${name}'`,
      issues,
      warnings,
    });
  }
  checkMcpServerBlock(config, source, issues);
  return { issues, warnings };
}

interface Sink {
  readonly owner: string;
  readonly issues: ConfigIssue[];
  readonly warnings: ConfigWarning[];
}

function checkEntries(
  config: QuorumConfig,
  source: YamlSource,
  tools: readonly ToolEntry[],
  path: PathSegment[],
  sink: Sink,
): void {
  tools.forEach((tool, index) => {
    const entryPath = [...path, index];
    const problem = unknownToolProblem(config, tool.name, sink.owner);
    if (problem !== undefined) {
      sink.issues.push(issueAt(source, entryPath, problem));
      return;
    }
    const serverId = mcpServerIdOf(tool.name);
    if (serverId !== undefined && config.mcp_servers[serverId]?.enabled === false) {
      sink.warnings.push(
        issueAt(
          source,
          entryPath,
          `MCP server '${serverId}' is disabled (enabled: false), so ${sink.owner} gets no tools from it`,
        ),
      );
    }
    const schema = toolOverridesSchemaFor(tool.name);
    const parsed = schema?.safeParse(tool.overrides, { reportInput: true });
    if (parsed === undefined || parsed.success) return;
    const base = overridesPath(source, entryPath, tool.name);
    const known = Object.keys(
      (schema as { shape?: Record<string, unknown> } | undefined)?.shape ?? {},
    );
    const relocated = parsed.error.issues.map((issue) => ({
      ...issue,
      path: [...base, ...issue.path],
    }));
    sink.issues.push(...fromZodIssues(relocated, source, () => known));
  });
}

/** Why `name` is not a tool the owner may list, or `undefined` when it is one. */
function unknownToolProblem(config: QuorumConfig, name: string, owner: string): string | undefined {
  if (isQuorumToolName(name) || isServiceToolName(name)) return undefined;
  const serverId = mcpServerIdOf(name);
  if (serverId !== undefined) {
    if (Object.hasOwn(config.mcp_servers, serverId)) return undefined;
    const known = Object.keys(config.mcp_servers);
    const list = known.length === 0 ? 'none is configured' : `configured: ${known.join(', ')}`;
    return `tool '${name}' of ${owner} needs an MCP server '${serverId}' in mcp_servers (${list})`;
  }
  if (MINDROOM_TOOL_NAMES.has(name)) {
    return (
      `tool '${name}' of ${owner} is a MindRoom tool that Quorum does not implement yet; ` +
      `run an MCP server that provides it (mcp_servers.<id>) and list it as mcp_<id>`
    );
  }
  return (
    `unknown tool '${name}' of ${owner}; Quorum's tools are ${[...QUORUM_TOOL_NAMES, ...SERVICE_TOOL_NAMES].join(', ')}, ` +
    `and each MCP server in mcp_servers is a tool mcp_<id>`
  );
}

/**
 * Where an entry's options sit in the file: `tools[i].overrides` for the named form
 * (`{name: x, overrides: {...}}`), `tools[i].<name>` for the compact form (`{x: {...}}`).
 */
function overridesPath(source: YamlSource, entryPath: PathSegment[], name: string): PathSegment[] {
  let raw: unknown = source.data;
  for (const segment of entryPath) {
    if (raw === null || typeof raw !== 'object') return entryPath;
    raw = (raw as Record<PathSegment, unknown>)[segment];
  }
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    return Object.hasOwn(raw, 'overrides') ? [...entryPath, 'overrides'] : [...entryPath, name];
  }
  return entryPath;
}

function checkMcpServerBlock(
  config: QuorumConfig,
  source: YamlSource,
  issues: ConfigIssue[],
): void {
  const server = config.quorum.mcp_server;
  if (server.enabled && (server.token === null || server.token.trim().length < 16)) {
    issues.push(
      issueAt(
        source,
        ['quorum', 'mcp_server', 'token'],
        'the MCP server needs a bearer token of at least 16 characters: write token: ${QUORUM_MCP_TOKEN} and set it in the environment',
      ),
    );
  }
  server.agents?.forEach((name, index) => {
    if (!Object.hasOwn(config.agents, name) && !Object.hasOwn(config.teams, name)) {
      issues.push(
        issueAt(
          source,
          ['quorum', 'mcp_server', 'agents', index],
          `unknown agent or team '${name}'`,
        ),
      );
    }
  });
}
