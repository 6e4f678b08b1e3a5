/**
 * Helpers for the daemon's MCP e2e suites: the stdio test server's path, the tool results a
 * scripted model was sent, and whether a process still runs.
 */
import { resolve } from 'node:path';
import type { RecordedLlmRequest, ScriptedLlmServer } from './scripted-llm-server.js';

/** The stdio MCP test server (test/support/mcp/test-tools-server.mjs), run with `node`. */
export const TEST_TOOLS_SERVER = resolve(import.meta.dirname, 'mcp/test-tools-server.mjs');

/** The `content` of every `tool` message in a recorded (OpenAI) request, in order. */
export function toolResultsIn(request: RecordedLlmRequest): string[] {
  return request.messages.flatMap((message) => {
    const { role, content } = message as { role?: unknown; content?: unknown };
    return role === 'tool' && typeof content === 'string' ? [content] : [];
  });
}

/** Every tool result any request carried, in arrival order. */
export function allToolResults(llm: ScriptedLlmServer): string[] {
  return llm.requests.flatMap(toolResultsIn);
}

/** True when a request already carries a tool result (the model's second call of a turn). */
export function hasToolResult(request: RecordedLlmRequest): boolean {
  return toolResultsIn(request).length > 0;
}

/** The names of the tools a request offered the model. */
export function offeredTools(request: RecordedLlmRequest): string[] {
  return request.tools.flatMap((tool) => {
    const name = (tool as { function?: { name?: unknown } }).function?.name;
    return typeof name === 'string' ? [name] : [];
  });
}

/** True while a process with `pid` exists (signal 0 probes without sending anything). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls `check` every 100 ms until it holds; fails with `what` after `timeoutMs`. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
}
