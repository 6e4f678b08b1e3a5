/**
 * Bounds on one conversation, applied to the dispatcher's decisions: agents that keep naming
 * each other stop after `quorum.max_agent_hops` hops since the last message from a person,
 * and a thread stops after spending `quorum.thread_token_budget` tokens. Either way the event
 * is ignored (no turn, no model call) with a short note to post in the thread, once: when the
 * same limit's note is already there, the ignore carries none.
 */
import type { Decision, DispatchContext, LimitKind } from './dispatch-types.js';

/** Where the event that would start the work belongs. */
export interface LimitOrigin {
  readonly sourceEventId: string;
  readonly requester: string;
  readonly threadRoot: string;
  /** True when one of Quorum's own accounts sent the event (an agent-to-agent hop). */
  readonly isFromEntity: boolean;
}

/** Whether `decision` starts model work (a turn, a team run, a router call, a regeneration). */
export function startsModelWork(decision: Decision): boolean {
  return (
    decision.kind === 'respond' ||
    decision.kind === 'team' ||
    decision.kind === 'route' ||
    decision.kind === 'regenerate'
  );
}

/**
 * `decision`, or the limit that stops it: an `ignore` (`agent-hop-limit` or
 * `thread-budget-spent`) with the note to post, without one when that note is already in the
 * thread. Decisions that start no model work pass unchanged.
 */
export function applyConversationLimits(
  decision: Decision,
  origin: LimitOrigin,
  context: DispatchContext,
): Decision {
  const limits = context.limits;
  if (limits === undefined || !startsModelWork(decision)) return decision;
  let hit: LimitKind | undefined;
  if (origin.isFromEntity && (context.agentHops ?? 0) >= limits.maxAgentHops) {
    hit = 'agent-hops';
  } else if (
    limits.threadTokenBudget !== undefined &&
    (context.threadTokensUsed ?? 0) >= limits.threadTokenBudget
  ) {
    hit = 'thread-budget';
  }
  if (hit === undefined) return decision;
  const reason = hit === 'agent-hops' ? 'agent-hop-limit' : 'thread-budget-spent';
  if (context.notedLimits?.has(hit) === true) return { kind: 'ignore', reason };
  return {
    kind: 'ignore',
    reason,
    note: {
      limit: hit,
      text: limitNote(hit, limits.maxAgentHops, limits.threadTokenBudget),
      sourceEventId: origin.sourceEventId,
      requester: origin.requester,
      threadRoot: origin.threadRoot,
    },
  };
}

/** The short note posted when `limit` stops a turn. */
export function limitNote(
  limit: LimitKind,
  maxAgentHops: number,
  threadTokenBudget: number | undefined,
): string {
  if (limit === 'agent-hops') {
    return maxAgentHops === 0
      ? 'Agents do not start each other here (`quorum.max_agent_hops: 0`). Mention an agent to continue.'
      : `Agents have handed this thread to each other ${maxAgentHops} time${maxAgentHops === 1 ? '' : 's'} since the last message from a person, so they stop here (\`quorum.max_agent_hops\`). Write in the thread to continue.`;
  }
  return `This thread has used its budget of ${threadTokenBudget ?? 0} tokens (\`quorum.thread_token_budget\`), so no agent answers here any more. Start a new thread to continue.`;
}
