import type { ToolApprovalConfig } from '../config/index.js';
import type {
  ApprovalSubject,
  ToolCallContext,
  ToolCallRequest,
  ToolResult,
  ToolRunner,
} from '../tools/index.js';
import type { InteractionStore } from './interaction-ports.js';
import type { InteractionService } from './interaction-service.js';
import { matchToolApproval } from './tool-approval.js';

/**
 * A runner the gate can ask what a call's approval depends on: `AgentToolRunner` implements
 * `approvalSubject` (the model-visible name, `mcp_<id>` for an MCP tool, and the tool's own
 * requirement such as `shell` or posting into a DM). Without it only the name is matched.
 */
export interface ApprovableRunner extends ToolRunner {
  approvalSubject?(call: ToolCallRequest, context: ToolCallContext): Promise<ApprovalSubject>;
}

/**
 * `base` with MindRoom's `tool_approval` rules applied, and the tools' own requirements: a call
 * whose subject matches a `require_approval` rule, or that needs approval by itself (`shell`,
 * `matrix_message` into another DM; a matching rule still decides first), pauses and asks the
 * requester (an approval card, saying why when the tool's own rule asked); ✅ runs it once, a
 * reply or ❌ denies it (the reason goes back to the model), expiry denies it. A call that was
 * approved and started before a restart is not run again: its outcome is reported as unknown.
 * When the tool's own rule cannot be evaluated (a homeserver error), the call asks (fails
 * closed). The definitions are `base`'s, read live (an MCP catalogue changes under them).
 */
export function withApprovals(
  base: ApprovableRunner | undefined,
  options: {
    readonly rules: ToolApprovalConfig;
    readonly service: InteractionService;
    readonly interactions: Pick<InteractionStore, 'markExecuting' | 'markExecuted'>;
  },
): ToolRunner | undefined {
  if (base === undefined) return undefined;
  return {
    get definitions() {
      return base.definitions;
    },
    run: async (call, context): Promise<ToolResult> => {
      const match = matchToolApproval(options.rules, await subjectOf(base, call, context));
      if (!match.requiresApproval) return base.run(call, context);
      const outcome = await options.service.approve(
        call.name,
        call.arguments,
        {
          roomId: context.roomId,
          threadRoot: context.threadRoot,
          requester: context.requester,
          responder: context.agentName,
          sourceEventId: context.sourceEventId,
        },
        match.timeoutMs,
        context.signal,
        match.implicitReason === undefined ? {} : { reason: match.implicitReason },
      );
      switch (outcome.kind) {
        case 'denied':
          return {
            content: `The person denied this call${outcome.reason === undefined ? '' : `: ${outcome.reason}`}.`,
            isError: true,
          };
        case 'expired':
          return {
            content: 'Nobody approved this call in time, so it was not run.',
            isError: true,
          };
        case 'done-before': {
          const earlier = outcome.result as Partial<ToolResult> | undefined;
          return typeof earlier?.content === 'string' && typeof earlier.isError === 'boolean'
            ? { content: earlier.content, isError: earlier.isError }
            : {
                content:
                  'This call was started before a restart and its outcome is unknown, so it was not run again.',
                isError: true,
              };
        }
        case 'approved': {
          if (options.interactions.markExecuting(outcome.id) !== 'claimed') {
            return {
              content:
                'This call already ran (or its outcome is unknown), so it was not run again.',
              isError: true,
            };
          }
          const result = await base.run(call, context);
          options.interactions.markExecuted(outcome.id, result);
          return result;
        }
      }
    },
  };
}

async function subjectOf(
  base: ApprovableRunner,
  call: ToolCallRequest,
  context: ToolCallContext,
): Promise<string | ApprovalSubject> {
  if (base.approvalSubject === undefined) return call.name;
  try {
    return await base.approvalSubject(call, context);
  } catch {
    context.signal.throwIfAborted();
    return {
      name: call.name,
      aliases: [],
      implicit: { reason: 'could not be checked against its own approval rule' },
    };
  }
}
