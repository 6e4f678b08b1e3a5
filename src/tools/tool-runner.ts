import { AbortReason, abortKindOf, isAbortError, linkSignal, redactText } from '../shared/index.js';
import { validateArguments } from './argument-validation.js';
import { createBuiltinToolRegistry } from './builtin-tools.js';
import { ToolError } from './errors.js';
import type {
  Tool,
  ToolCallContext,
  ToolCallRequest,
  ToolCapabilities,
  ToolContext,
  ToolResult,
  ToolRunner,
} from './tool.js';
import type { ToolRegistry } from './tool-registry.js';

/** Longest a tool call may run before the runner stops it (30 s). */
export const DEFAULT_TOOL_TIMEOUT_MS = 30_000;
/** Longest result text handed back to the model, in characters (16 k); the rest is cut. */
export const DEFAULT_MAX_RESULT_CHARS = 16_000;

/** What {@link createToolRunner} needs: the agent's capabilities plus runner limits. */
export interface ToolRunnerDeps extends ToolCapabilities {
  /** Where tool names are looked up; defaults to the built-in tools. */
  readonly registry?: ToolRegistry;
  /** Per-call timeout in milliseconds, measured on `clock`; default {@link DEFAULT_TOOL_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
  /** Result length limit in characters; default {@link DEFAULT_MAX_RESULT_CHARS}. */
  readonly maxResultChars?: number;
}

/** A configured tool name the runner left out, and why. */
export interface SkippedTool {
  readonly name: string;
  /** `unknown`: no such tool; `unavailable`: it needs a capability this agent lacks. */
  readonly reason: 'unknown' | 'unavailable';
}

/**
 * One agent's tools, ready for the turn runner (a {@link ToolRunner}), with the names left out.
 * `run` resolves with an error result (`isError: true`, text starting `Error: `) for an
 * unknown tool, unparseable or invalid arguments, a tool that throws and a tool that
 * exceeds the timeout; it rejects only when the turn's signal aborts (with its reason).
 */
export interface AgentToolRunner extends ToolRunner {
  /** Configured names that were left out; each was also logged once as a warning. */
  readonly skipped: readonly SkippedTool[];
}

/**
 * Builds the runner for an agent whose config lists `toolNames` (duplicates collapse).
 * Names the registry does not know, and tools needing a capability `deps` lacks, are left
 * out, returned in `skipped` and logged as a warning through `deps.log`; build one runner
 * per agent per config, not per turn, so each is reported once.
 */
export function createToolRunner(
  toolNames: readonly string[],
  deps: ToolRunnerDeps,
): AgentToolRunner {
  const registry = deps.registry ?? createBuiltinToolRegistry();
  const tools = new Map<string, Tool>();
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
      tools.set(name, tool);
    }
  }
  const limits: Limits = {
    timeoutMs: deps.timeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS,
    maxResultChars: deps.maxResultChars ?? DEFAULT_MAX_RESULT_CHARS,
  };
  return {
    definitions: [...tools.values()].map((tool) => ({
      name: tool.name,
      description: tool.description,
      parameters: tool.parameters,
    })),
    skipped,
    run: async (call, context) => {
      const result = await runCall(tools, call, context, deps, limits);
      return { content: truncate(result.content, limits.maxResultChars), isError: result.isError };
    },
  };
}

interface Limits {
  readonly timeoutMs: number;
  readonly maxResultChars: number;
}

async function runCall(
  tools: ReadonlyMap<string, Tool>,
  call: ToolCallRequest,
  context: ToolCallContext,
  deps: ToolRunnerDeps,
  limits: Limits,
): Promise<ToolResult> {
  context.signal.throwIfAborted();
  const tool = tools.get(call.name);
  if (tool === undefined) {
    const available = [...tools.keys()].join(', ') || 'none';
    return failure(`there is no tool named '${call.name}'. Available tools: ${available}.`);
  }
  if (call.argumentsError !== undefined) {
    return failure(
      `the arguments for ${tool.name} could not be read (${call.argumentsError}). ` +
        'Send them as one JSON object matching the tool parameters.',
    );
  }
  const problems = validateArguments(tool.parameters, call.arguments);
  if (problems.length > 0) {
    return failure(`invalid arguments for ${tool.name}: ${problems.join('; ')}.`);
  }

  // The call's own signal: the turn's, plus a timeout measured on the injected clock (none
  // for a tool that waits for a person: its interaction expires on its own schedule).
  const linked = linkSignal(context.signal);
  const timer = new AbortController();
  if (tool.isInteractive !== true) {
    deps.clock.sleep(limits.timeoutMs, timer.signal).then(
      () => {
        linked.abort(new AbortReason('timeout', `tool ${tool.name} timed out`));
      },
      () => undefined, // cancelled: the call finished first
    );
  }
  const log = deps.log.child({ tool: tool.name, toolCallId: call.id });
  const startedMs = deps.clock.now();
  const toolContext: ToolContext = {
    agentName: context.agentName,
    roomId: context.roomId,
    threadRoot: context.threadRoot,
    requester: context.requester,
    sourceEventId: context.sourceEventId,
    signal: linked.signal,
    toolCallId: call.id,
    clock: deps.clock,
    timezone: deps.timezone,
    log,
    ...(deps.messaging === undefined ? {} : { messaging: deps.messaging }),
    ...(deps.interactions === undefined ? {} : { interactions: deps.interactions }),
  };
  try {
    const content = await untilAborted(tool.run(call.arguments, toolContext), linked.signal);
    log.debug('tool call finished', { durationMs: deps.clock.now() - startedMs });
    return { content, isError: false };
  } catch (error: unknown) {
    // The turn ended: that is not the tool's failure, so it propagates.
    context.signal.throwIfAborted();
    const durationMs = deps.clock.now() - startedMs;
    if (linked.signal.aborted && abortKindOf(linked.signal) === 'timeout') {
      log.warn('tool call timed out', { durationMs, timeoutMs: limits.timeoutMs });
      return failure(
        `${tool.name} did not finish within ${formatSeconds(limits.timeoutMs)} and was stopped.`,
      );
    }
    if (error instanceof ToolError) {
      log.debug('tool call refused', { durationMs, code: error.code, error: error.message });
    } else {
      log.warn('tool call failed', { durationMs, error });
    }
    return failure(messageOf(error));
  } finally {
    timer.abort();
    linked.cleanup();
  }
}

/**
 * `promise`, or a rejection with `signal`'s reason as soon as it aborts, so a tool that
 * ignores its signal cannot hold the turn. The abandoned promise's late rejection is
 * swallowed; the listener is removed either way.
 */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  promise.catch(() => undefined);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      reject(toRejection(signal.reason));
    };
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(toRejection(error));
      },
    );
  });
}

function toRejection(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

function failure(message: string): ToolResult {
  return { content: `Error: ${message}`, isError: true };
}

/**
 * What the model reads about a failure: a `ToolError`'s message as written (it was written
 * for the model); for anything else only the first line, with secret-looking text redacted,
 * since it may come from a library and quote a URL or a header. Never a stack.
 */
function messageOf(error: unknown): string {
  if (error instanceof ToolError) return error.message;
  if (isAbortError(error)) return 'the tool was cancelled.';
  const message = error instanceof Error ? error.message : String(error);
  const firstLine = redactText(message.split('\n')[0]?.trim() ?? '');
  return firstLine === '' ? 'the tool failed without a message.' : firstLine;
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

/** `text` cut to `maxChars` (never inside a surrogate pair) with a note saying how much was cut. */
function truncate(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  let end = maxChars;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}\n\n[truncated: showing the first ${end} of ${text.length} characters]`;
}
