import type {
  ChatMessage,
  ChatModel,
  ToolCall,
  ToolDefinition,
  ToolResultMessage,
  Usage,
} from '../llm/index.js';
import { describeError, isAbortError } from '../shared/index.js';
import type { TeamRunResult } from './collaborate-team.js';
import { BudgetMeter, withBudgetNote, type TeamBudget } from './team-budget.js';
import {
  findMember,
  type MemberContribution,
  type MemberResult,
  type TeamMember,
} from './team-member.js';
import { callTeamModel } from './team-model-call.js';
import { coordinatorInstructions } from './team-prompts.js';

/** The coordinator's tool for giving a member a sub-task. */
export const DELEGATE_TOOL_NAME = 'delegate_to_member';

/**
 * Coordinator calls allowed beyond `maxTurns`: room for a final answer after the budget
 * refuses work, without letting a model that keeps calling the tool loop forever.
 */
const EXTRA_COORDINATOR_CALLS = 2;

/** The `delegate_to_member` tool: a member (enum of member names) and a self-contained task. */
export function delegateToolDefinition(members: readonly TeamMember[]): ToolDefinition {
  return {
    name: DELEGATE_TOOL_NAME,
    description:
      'Give one team member a sub-task. The member answers in the thread under its own name ' +
      'and you receive its answer. Call this several times in one turn to run sub-tasks in parallel.',
    parameters: {
      type: 'object',
      properties: {
        member: {
          type: 'string',
          enum: members.map((member) => member.name),
          description: 'The member who should do the sub-task.',
        },
        task: {
          type: 'string',
          description: 'What the member should do, with the context it needs.',
        },
      },
      required: ['member', 'task'],
      additionalProperties: false,
    },
  };
}

/** Input of {@link runCoordinateTeam}. */
export interface CoordinateTeamInput {
  /** The team's model (it plans, delegates and writes the synthesis). */
  readonly model: ChatModel;
  /** The team's own system prompt (identity, context); coordination instructions are appended. */
  readonly system?: string;
  readonly members: readonly TeamMember[];
  /** The person's message, as the model should see it (e.g. `Alice: …`). */
  readonly request: string;
  /** Earlier conversation, oldest first, starting with a user message. */
  readonly history: readonly ChatMessage[];
  /**
   * Runs one member turn on `task` and posts the member's reply in the thread under its own
   * account (attributed to the team). Rejects when the member fails; must honour `signal`.
   */
  readonly delegate: (
    member: TeamMember,
    task: string,
    signal: AbortSignal,
  ) => Promise<MemberResult>;
  readonly budget: TeamBudget;
  readonly signal: AbortSignal;
  /** Streams the team's own text so far (for its reply). Without it the model is not streamed. */
  readonly onText?: (textSoFar: string) => void;
  readonly onUsage?: (modelId: string, usage: Usage) => void;
}

/** The outcome of a coordinate run. */
export interface CoordinateTeamResult extends TeamRunResult {
  /** Delegations that ran, in the order the model asked for them. */
  readonly delegations: readonly MemberContribution[];
  /** Calls of the team's model. */
  readonly modelCalls: number;
}

/**
 * Coordinate mode: the team's model plans, delegates sub-tasks to members through
 * `delegate_to_member` (calls of one step run in parallel), reads their results and writes
 * one synthesis. Budget: each delegation is a turn; tokens are the members' output tokens
 * plus the team model's. Once a limit is reached further delegations are refused (the model
 * is told to answer with what it has) and the reply carries a note. When the team's model
 * fails after members answered, or never writes a final answer, the reply says so briefly
 * (the members' answers are in the thread); a failure before any member answered rejects
 * with the model's error. Rejects with the signal's reason when `signal` aborts.
 */
export async function runCoordinateTeam(input: CoordinateTeamInput): Promise<CoordinateTeamResult> {
  const { signal } = input;
  signal.throwIfAborted();
  const meter = new BudgetMeter(input.budget);
  const tool = delegateToolDefinition(input.members);
  const instructions = coordinatorInstructions(input.members, input.budget.maxTurns);
  const system =
    input.system === undefined || input.system.trim().length === 0
      ? instructions
      : `${input.system.trimEnd()}\n\n${instructions}`;
  const messages: ChatMessage[] = [...input.history, { role: 'user', content: input.request }];
  const delegations: MemberContribution[] = [];
  const maxCalls = input.budget.maxTurns + EXTRA_COORDINATOR_CALLS;
  let modelCalls = 0;
  let answer = '';
  let isFinal = false;
  let modelError: string | undefined;

  const result = (text: string): CoordinateTeamResult => ({
    synthesis: withBudgetNote(text, meter),
    contributions: delegations,
    delegations,
    ...(meter.hit === undefined ? {} : { budgetHit: meter.hit }),
    outputTokens: meter.tokens,
    modelCalls,
    ...(modelError === undefined ? {} : { synthesisError: modelError }),
  });

  while (modelCalls < maxCalls) {
    signal.throwIfAborted();
    const before = answer;
    let step;
    try {
      modelCalls += 1;
      step = await callTeamModel(
        input.model,
        { system, messages, tools: [tool] },
        {
          signal,
          ...(input.onText === undefined
            ? {}
            : { onText: (text: string) => input.onText?.(before + text) }),
          ...(input.onUsage === undefined ? {} : { onUsage: input.onUsage }),
        },
      );
    } catch (error: unknown) {
      signal.throwIfAborted();
      if (!delegations.some((d) => d.kind === 'answered')) throw error;
      modelError = describeError(error);
      break;
    }
    meter.addTokens(step.outputTokens);
    answer = before + step.text;
    if (step.toolCalls.length === 0) {
      isFinal = true;
      break;
    }
    // Delegations nobody would read afterwards are not worth a member turn.
    if (modelCalls >= maxCalls) break;
    messages.push({ role: 'assistant', content: step.text, toolCalls: step.toolCalls });
    messages.push(...(await runDelegations(step.toolCalls, input, meter, delegations)));
    if (answer.length > 0 && !answer.endsWith('\n')) answer += '\n\n';
    input.onText?.(answer);
  }

  if (isFinal && answer.trim().length > 0) return result(answer);
  const reason =
    modelError !== undefined
      ? "⚠️ The team's coordinator failed before writing a summary"
      : "⚠️ The team's coordinator stopped before writing a summary";
  const tail = delegations.some((d) => d.kind === 'answered')
    ? "; the members' answers above are the team's result."
    : '.';
  const prefix = answer.trim().length > 0 ? `${answer.trimEnd()}\n\n` : '';
  return result(`${prefix}${reason}${tail}`);
}

/** One tool call of a step: refused with an error for the model, or running as a delegation. */
type PlannedCall =
  | { readonly call: ToolCall; readonly error: string }
  | {
      readonly call: ToolCall;
      readonly member: TeamMember;
      readonly task: string;
      readonly run: Promise<MemberResult>;
    };

/** Plans one step's tool calls against the budget, runs the accepted ones in parallel, and answers every call. */
async function runDelegations(
  calls: readonly ToolCall[],
  input: CoordinateTeamInput,
  meter: BudgetMeter,
  delegations: MemberContribution[],
): Promise<ToolResultMessage[]> {
  const { signal } = input;
  const planned = calls.map((call): PlannedCall => {
    const parsed = parseDelegation(call, input.members);
    if ('error' in parsed) return { call, error: parsed.error };
    const limit = meter.blockingLimit;
    if (limit !== undefined) {
      meter.markHit(limit);
      const spent =
        limit === 'turns'
          ? `${input.budget.maxTurns} member turns`
          : `${input.budget.maxTokens} tokens`;
      return {
        call,
        error: `Not run: the team's budget of ${spent} is used up. Write your final answer now from what you have.`,
      };
    }
    meter.addTurn();
    const run = input.delegate(parsed.member, parsed.task, signal);
    return { call, member: parsed.member, task: parsed.task, run };
  });

  const settled = await Promise.allSettled(
    planned.map((plan) => ('run' in plan ? plan.run : Promise.resolve(undefined))),
  );
  signal.throwIfAborted();
  return planned.map((plan, index): ToolResultMessage => {
    const toolCallId = plan.call.id;
    if (!('run' in plan)) return { role: 'tool', toolCallId, content: plan.error, isError: true };
    const outcome = settled[index];
    if (outcome?.status === 'fulfilled' && outcome.value !== undefined) {
      meter.addTokens(outcome.value.outputTokens);
      delegations.push({
        kind: 'answered',
        member: plan.member,
        task: plan.task,
        text: outcome.value.text,
        outputTokens: outcome.value.outputTokens,
      });
      return { role: 'tool', toolCallId, content: outcome.value.text };
    }
    const reason: unknown = outcome?.status === 'rejected' ? outcome.reason : undefined;
    const error = isAbortError(reason) ? 'stopped' : describeError(reason);
    delegations.push({ kind: 'failed', member: plan.member, task: plan.task, error });
    return {
      role: 'tool',
      toolCallId,
      content: `${plan.member.displayName} could not do this: ${error}`,
      isError: true,
    };
  });
}

/** A delegate call's member and task, or why it cannot run (sent back to the model). */
function parseDelegation(
  call: ToolCall,
  members: readonly TeamMember[],
): { readonly member: TeamMember; readonly task: string } | { readonly error: string } {
  if (call.name !== DELEGATE_TOOL_NAME) {
    return { error: `Unknown tool "${call.name}". Use ${DELEGATE_TOOL_NAME}.` };
  }
  if (call.argumentsError !== undefined)
    return { error: `Invalid arguments: ${call.argumentsError}` };
  const named = call.arguments['member'];
  const task = call.arguments['task'];
  const names = members.map((member) => member.name).join(', ');
  const member = typeof named === 'string' ? findMember(members, named) : undefined;
  if (member === undefined) {
    return { error: `Unknown member ${JSON.stringify(named ?? null)}. Members: ${names}.` };
  }
  if (typeof task !== 'string' || task.trim().length === 0) {
    return { error: 'The task is empty. Say what the member should do.' };
  }
  return { member, task: task.trim() };
}
