/**
 * Where nobody can approve a tool call (the OpenAI-compatible API and Quorum's MCP server have
 * no chat to show an approval card in), calls that would pause for approval are refused with a
 * clear message instead, and the model carries on without them.
 */
import type { ToolCallContext, ToolCallRequest, ToolResult, ToolSpec } from './tool.js';

/** Anything that runs tool calls: `AgentToolRunner`, or `agents/`' `ToolRunner`. */
export interface RunsToolCalls {
  readonly definitions: readonly ToolSpec[];
  run(call: ToolCallRequest, context: ToolCallContext): Promise<ToolResult>;
}

/**
 * `runner` with every call for which `requiresApproval` is true answered by an error result
 * naming the tool and saying why (no approval is possible on `channel`); other calls run as
 * before. `requiresApproval` gets the tool name, and the call and its context for rules that
 * look at arguments (an `AgentToolRunner`'s `approvalSubject`: `shell`, posting into a DM);
 * when it throws, the call is refused too (fail closed). The definitions are the runner's,
 * read live, so the model can still tell the person what it would need.
 */
export function refuseApprovalCalls(
  runner: RunsToolCalls,
  requiresApproval: (
    toolName: string,
    call: ToolCallRequest,
    context: ToolCallContext,
  ) => boolean | Promise<boolean>,
  channel = 'the OpenAI-compatible API',
): RunsToolCalls {
  return {
    get definitions() {
      return runner.definitions;
    },
    run: async (call, context) => {
      let isGated: boolean;
      try {
        isGated = await requiresApproval(call.name, call, context);
      } catch {
        context.signal.throwIfAborted();
        isGated = true;
      }
      if (!isGated) return runner.run(call, context);
      return {
        content:
          `Error: ${call.name} needs a person's approval before it runs, and approvals cannot be given over ${channel}. ` +
          'It was not run. Answer without it, or tell the user to ask for this in a Matrix room where they can approve it.',
        isError: true,
      };
    },
  };
}
