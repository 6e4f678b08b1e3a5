/**
 * Where nobody can approve a tool call (the OpenAI-compatible API has no chat to show an
 * approval card in), calls that `tool_approval` would pause for are refused with a clear
 * message instead, and the model carries on without them.
 */
import type { ToolCallContext, ToolCallRequest, ToolResult, ToolSpec } from './tool.js';

/** Anything that runs tool calls: `AgentToolRunner`, or `agents/`' `ToolRunner`. */
export interface RunsToolCalls {
  readonly definitions: readonly ToolSpec[];
  run(call: ToolCallRequest, context: ToolCallContext): Promise<ToolResult>;
}

/**
 * `runner` with every call for which `requiresApproval(toolName)` is true answered by an error
 * result naming the tool and saying why (no approval is possible on `channel`); other calls run
 * as before. The definitions are unchanged, so the model can still tell the person what it
 * would need.
 */
export function refuseApprovalCalls(
  runner: RunsToolCalls,
  requiresApproval: (toolName: string) => boolean,
  channel = 'the OpenAI-compatible API',
): RunsToolCalls {
  return {
    definitions: runner.definitions,
    run: (call, context) => {
      if (!requiresApproval(call.name)) return runner.run(call, context);
      return Promise.resolve({
        content:
          `Error: ${call.name} needs a person's approval before it runs, and approvals cannot be given over ${channel}. ` +
          'It was not run. Answer without it, or tell the user to ask for this in a Matrix room where they can approve it.',
        isError: true,
      });
    },
  };
}
