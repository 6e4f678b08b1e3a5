/**
 * The per-agent tool runner the turn runner calls: the agent's tool sources combined into one
 * catalogue (names made unique), calls run safely (see tool-call.ts), and what the approval
 * gate needs to match `tool_approval` rules.
 */
import { MCP_TOOL_PREFIX } from '../config/index.js';
import { createBuiltinToolRegistry } from './builtin-tools.js';
import { argumentProblem, capResult, runCall, toolContextFor, type Limits } from './tool-call.js';
import { uniqueFunctionNames } from './tool-names.js';
import type {
  ApprovalSubject,
  Tool,
  ToolCallContext,
  ToolCallRequest,
  ToolCapabilities,
  ToolResult,
  ToolRunner,
  ToolSpec,
} from './tool.js';
import type { ToolRegistry } from './tool-registry.js';
import { staticToolSource, type ToolSource } from './tool-source.js';

/** Longest a tool call may run before the runner stops it (30 s), unless the tool says otherwise. */
export const DEFAULT_TOOL_TIMEOUT_MS = 30_000;
/** Longest result text handed back to the model, in characters (16 k); the rest is cut. */
export const DEFAULT_MAX_RESULT_CHARS = 16_000;
/**
 * Most tools offered to the model in one request: OpenAI refuses a request with more than
 * 128, so an MCP server listing hundreds of tools must not take the agent down. Built-ins come
 * first; the rest is left out with a warning (narrow the server with `include_tools`).
 */
export const MAX_TOOLS_PER_AGENT = 128;

/** Limits of a runner, on top of the agent's capabilities. */
export interface ToolRunnerLimits {
  /** Per-call timeout in milliseconds, measured on `clock`; default {@link DEFAULT_TOOL_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
  /** Result length limit in characters; default {@link DEFAULT_MAX_RESULT_CHARS}. */
  readonly maxResultChars?: number;
}

/** What {@link createToolRunner} needs: the agent's capabilities plus runner limits. */
export interface ToolRunnerDeps extends ToolCapabilities, ToolRunnerLimits {
  /** Where tool names are looked up; defaults to the built-in tools. */
  readonly registry?: ToolRegistry;
  /** Sources offered after the named tools (e.g. the scheduler toolkit of the daemon). */
  readonly extraSources?: readonly ToolSource[];
}

/** A configured tool name the runner left out, and why. */
export interface SkippedTool {
  readonly name: string;
  /** `unknown`: no such tool; `unavailable`: it needs a capability this agent lacks. */
  readonly reason: 'unknown' | 'unavailable';
}

/**
 * One agent's tools, ready for the turn runner (a {@link ToolRunner}), with the names left out.
 * `definitions` is read again for every model call: it follows the sources (an MCP server's
 * catalogue changing) and is the same array while nothing changed. `run` resolves with an
 * error result (`isError: true`, text starting `Error: `) for an unknown tool, unparseable or
 * invalid arguments, a tool that throws and a tool that exceeds its timeout; it rejects only
 * when the turn's signal aborts (with its reason).
 */
export interface AgentToolRunner extends ToolRunner {
  /** What the model is told: sources in order (built-ins first), tools in source order. */
  readonly definitions: readonly ToolSpec[];
  /** Configured names that were left out; each was also logged once as a warning. */
  readonly skipped: readonly SkippedTool[];
  run(call: ToolCallRequest, context: ToolCallContext): Promise<ToolResult>;
  /**
   * What `tool_approval` rules are matched against for `call` (see `ApprovalSubject`): the
   * model-visible name, `mcp_<id>` for an MCP tool, and the tool's own requirement (`shell`
   * always; `matrix_message` into a direct-message room). Never runs the tool; unknown tools
   * and invalid arguments have no requirement (the call then fails without running).
   */
  approvalSubject(call: ToolCallRequest, context: ToolCallContext): Promise<ApprovalSubject>;
}

interface Snapshot {
  readonly inputs: readonly (readonly Tool[])[];
  readonly definitions: readonly ToolSpec[];
  readonly byName: ReadonlyMap<string, Tool>;
}

/**
 * Combines `sources` into one agent's runner. Names are made unique deterministically: a
 * built-in keeps its name, an MCP tool whose name is taken gets a hash suffix (and a warning,
 * once per name and catalogue).
 */
export function createAgentToolRunner(
  sources: readonly ToolSource[],
  deps: ToolCapabilities & ToolRunnerLimits & { readonly skipped?: readonly SkippedTool[] },
): AgentToolRunner {
  const limits: Limits = {
    timeoutMs: deps.timeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS,
    maxResultChars: deps.maxResultChars ?? DEFAULT_MAX_RESULT_CHARS,
  };
  let snapshot: Snapshot | undefined;
  const current = (): Snapshot => {
    const inputs = sources.map((source) => source.tools());
    if (snapshot?.inputs.every((tools, index) => tools === inputs[index]) === true) return snapshot;
    snapshot = combine(sources, inputs, deps);
    return snapshot;
  };
  return {
    get definitions() {
      return current().definitions;
    },
    skipped: deps.skipped ?? [],
    run: async (call, context) => {
      const { byName } = current();
      const tool = byName.get(call.name);
      const result = await runCall(tool, [...byName.keys()], call, context, deps, limits);
      return capResult(result, limits.maxResultChars);
    },
    approvalSubject: async (call, context) => {
      const tool = current().byName.get(call.name);
      const aliases =
        tool?.origin?.kind === 'mcp' ? [`${MCP_TOOL_PREFIX}${tool.origin.serverId}`] : [];
      if (tool?.approvalNeed === undefined || argumentProblem(tool, call) !== undefined) {
        return { name: call.name, aliases, implicit: undefined };
      }
      const toolContext = toolContextFor(call, context, deps, context.signal, call.name);
      const implicit = await tool.approvalNeed(call.arguments, toolContext);
      return { name: call.name, aliases, implicit };
    },
  };
}

function combine(
  sources: readonly ToolSource[],
  inputs: readonly (readonly Tool[])[],
  deps: ToolCapabilities,
): Snapshot {
  const wanted = sources.flatMap((source, index) =>
    (inputs[index] ?? []).map((tool) => ({ tool, key: `${source.id}/${tool.name}` })),
  );
  if (wanted.length > MAX_TOOLS_PER_AGENT) {
    deps.log.warn('too many tools: the last ones are left out', {
      offered: MAX_TOOLS_PER_AGENT,
      leftOut: wanted
        .slice(MAX_TOOLS_PER_AGENT)
        .map(({ key }) => key)
        .slice(0, 20),
      leftOutCount: wanted.length - MAX_TOOLS_PER_AGENT,
    });
    wanted.length = MAX_TOOLS_PER_AGENT;
  }
  const names = uniqueFunctionNames(wanted.map(({ tool, key }) => ({ name: tool.name, key })));
  const byName = new Map<string, Tool>();
  wanted.forEach(({ tool, key }, index) => {
    const name = names[index] ?? tool.name;
    if (name !== tool.name) {
      deps.log.warn('tool name clash: renamed', { tool: tool.name, renamedTo: name, source: key });
    }
    // A renamed tool keeps everything else (its methods run with the original as prototype).
    byName.set(
      name,
      name === tool.name ? tool : (Object.create(tool, { name: { value: name } }) as Tool),
    );
  });
  return {
    inputs,
    byName,
    definitions: [...byName.entries()].map(([name, tool]) => ({
      name,
      description: tool.description,
      parameters: tool.parameters,
    })),
  };
}

/**
 * Builds the runner for an agent whose config lists `toolNames` (duplicates collapse), from
 * `deps.registry` (the built-ins by default), without options or MCP servers; see
 * `buildAgentTools` for the full config-driven catalogue. Names the registry does not know,
 * and tools needing a capability `deps` lacks, are left out, returned in `skipped` and
 * logged as a warning; build one runner per agent per config, not per turn.
 */
export function createToolRunner(
  toolNames: readonly string[],
  deps: ToolRunnerDeps,
): AgentToolRunner {
  const registry = deps.registry ?? createBuiltinToolRegistry();
  const tools: Tool[] = [];
  const skipped: SkippedTool[] = [];
  for (const name of new Set(toolNames)) {
    const tool = registry.get(name);
    if (tool === undefined) {
      skipped.push({ name, reason: 'unknown' });
      deps.log.warn('unknown tool left out', { tool: name, known: registry.names() });
    } else if (tool.needs?.some((need) => deps[need] === undefined) === true) {
      skipped.push({ name, reason: 'unavailable' });
      deps.log.warn('tool left out: missing capability', { tool: name, needs: tool.needs });
    } else {
      tools.push(tool);
    }
  }
  return createAgentToolRunner([staticToolSource('builtin', tools), ...(deps.extraSources ?? [])], {
    ...deps,
    skipped,
  });
}
