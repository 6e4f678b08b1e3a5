import type { ToolApprovalConfig } from '../config/index.js';
import type { ToolResult, ToolRunner } from '../tools/index.js';
import type { InteractionStore } from './interaction-ports.js';
import type { InteractionService } from './interaction-service.js';
import { matchToolApproval } from './tool-approval.js';

/**
 * `base` with MindRoom's `tool_approval` rules applied: a call whose tool matches a
 * `require_approval` rule pauses and asks the requester (an approval card); ✅ runs it once,
 * a reply or ❌ denies it (the reason goes back to the model), expiry denies it. A call that
 * was approved and started before a restart is not run again: its outcome is reported as
 * unknown. Tools without a matching rule run as before.
 */
export function withApprovals(
  base: ToolRunner | undefined,
  options: {
    readonly rules: ToolApprovalConfig;
    readonly service: InteractionService;
    readonly interactions: Pick<InteractionStore, 'markExecuting' | 'markExecuted'>;
  },
): ToolRunner | undefined {
  if (base === undefined) return undefined;
  if (options.rules.rules.length === 0 && options.rules.default !== 'require_approval') return base;
  return {
    definitions: base.definitions,
    run: async (call, context): Promise<ToolResult> => {
      const match = matchToolApproval(options.rules, call.name);
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
