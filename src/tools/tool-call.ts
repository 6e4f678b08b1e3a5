/**
 * One tool call, run safely: arguments checked against the schema, a per-call timeout on the
 * injected clock, failures turned into error results the model reads, the turn's abort
 * propagated, long results cut.
 */
import { AbortReason, abortKindOf, isAbortError, linkSignal, redactText } from '../shared/index.js';
import { validateArguments } from './argument-validation.js';
import { ToolError } from './errors.js';
import type {
  Tool,
  ToolCallContext,
  ToolCallRequest,
  ToolCapabilities,
  ToolContext,
  ToolResult,
} from './tool.js';

/** Results longer than this (in characters) are marked `collapsible`. */
export const LONG_RESULT_CHARS = 1_000;

/** Per-runner limits. */
export interface Limits {
  readonly timeoutMs: number;
  readonly maxResultChars: number;
}

/**
 * What a tool sees for `call`: the call's context, the agent's capabilities, and `signal`
 * (the call's own, which also ends on the per-call timeout).
 */
export function toolContextFor(
  call: ToolCallRequest,
  context: ToolCallContext,
  capabilities: ToolCapabilities,
  signal: AbortSignal,
  toolName: string,
): ToolContext {
  return {
    agentName: context.agentName,
    roomId: context.roomId,
    threadRoot: context.threadRoot,
    requester: context.requester,
    sourceEventId: context.sourceEventId,
    signal,
    toolCallId: call.id,
    clock: capabilities.clock,
    timezone: capabilities.timezone,
    log: capabilities.log.child({ tool: toolName, toolCallId: call.id }),
    ...(capabilities.workspaceDir === undefined ? {} : { workspaceDir: capabilities.workspaceDir }),
    ...(capabilities.messaging === undefined ? {} : { messaging: capabilities.messaging }),
    ...(capabilities.interactions === undefined ? {} : { interactions: capabilities.interactions }),
  };
}

/**
 * Why the arguments of `call` cannot be passed to `tool`, as an error result for the model,
 * or `undefined` when they fit its schema.
 */
export function argumentProblem(tool: Tool, call: ToolCallRequest): ToolResult | undefined {
  if (call.argumentsError !== undefined) {
    return failure(
      `the arguments for ${call.name} could not be read (${call.argumentsError}). ` +
        'Send them as one JSON object matching the tool parameters.',
    );
  }
  const problems = validateArguments(tool.parameters, call.arguments);
  if (problems.length > 0) {
    return failure(`invalid arguments for ${call.name}: ${problems.join('; ')}.`);
  }
  return undefined;
}

/**
 * Runs `call` on `tool` (`undefined`: no such tool; `available` names the ones there are).
 * Never rejects for a tool's failure, only with the turn's abort reason.
 */
export async function runCall(
  tool: Tool | undefined,
  available: readonly string[],
  call: ToolCallRequest,
  context: ToolCallContext,
  capabilities: ToolCapabilities,
  limits: Limits,
): Promise<ToolResult> {
  context.signal.throwIfAborted();
  if (tool === undefined) {
    const names = available.join(', ') || 'none';
    return failure(`there is no tool named '${call.name}'. Available tools: ${names}.`);
  }
  const invalid = argumentProblem(tool, call);
  if (invalid !== undefined) return invalid;

  // The call's own signal: the turn's, plus a timeout measured on the injected clock (none
  // for a tool that waits for a person: its interaction expires on its own schedule).
  const timeoutMs = tool.timeoutMs ?? limits.timeoutMs;
  const linked = linkSignal(context.signal);
  const timer = new AbortController();
  if (tool.isInteractive !== true) {
    capabilities.clock.sleep(timeoutMs, timer.signal).then(
      () => {
        linked.abort(new AbortReason('timeout', `tool ${call.name} timed out`));
      },
      () => undefined, // cancelled: the call finished first
    );
  }
  const toolContext = toolContextFor(call, context, capabilities, linked.signal, call.name);
  const log = toolContext.log;
  const startedMs = capabilities.clock.now();
  try {
    const output = await untilAborted(tool.run(call.arguments, toolContext), linked.signal);
    log.debug('tool call finished', { durationMs: capabilities.clock.now() - startedMs });
    return typeof output === 'string' ? { content: output, isError: false } : output;
  } catch (error: unknown) {
    // The turn ended: that is not the tool's failure, so it propagates.
    context.signal.throwIfAborted();
    const durationMs = capabilities.clock.now() - startedMs;
    if (linked.signal.aborted && abortKindOf(linked.signal) === 'timeout') {
      log.warn('tool call timed out', { durationMs, timeoutMs });
      return failure(
        `${call.name} did not finish within ${formatSeconds(timeoutMs)} and was stopped.`,
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

/** An error result for the model: `Error: <message>`. */
export function failure(message: string): ToolResult {
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

/**
 * `result` with its content cut to `maxChars` (never inside a surrogate pair, with a note
 * saying how much was cut), marked `collapsible` when long.
 */
export function capResult(result: ToolResult, maxChars: number): ToolResult {
  const content = truncate(result.content, maxChars);
  const isLong = result.collapsible === true || content.length > LONG_RESULT_CHARS;
  return isLong
    ? { content, isError: result.isError, collapsible: true }
    : { content, isError: result.isError };
}

/** `text` cut to `maxChars` (never inside a surrogate pair) with a note saying how much was cut. */
function truncate(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  let end = maxChars;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}\n\n[truncated: showing the first ${end} of ${text.length} characters]`;
}
