import type { ChatModel, Usage } from '../llm/index.js';
import { describeError, isAbortError } from '../shared/index.js';
import { BudgetMeter, withBudgetNote, type BudgetLimit, type TeamBudget } from './team-budget.js';
import type {
  AnsweredContribution,
  MemberContribution,
  MemberResult,
  TeamMember,
} from './team-member.js';
import { callTeamModel } from './team-model-call.js';
import { collaborateMemberPrompt, synthesisPrompt } from './team-prompts.js';

/** Input of {@link runCollaborateTeam}. */
export interface CollaborateTeamInput {
  /** The team's display name, used in the members' prompts. */
  readonly teamName: string;
  /** Members in config order; with more members than `budget.maxTurns`, the first ones run. */
  readonly members: readonly TeamMember[];
  /** The person's message, as the members should see it (e.g. `Alice: …`). */
  readonly request: string;
  /**
   * Runs one member turn on `prompt` and posts its reply in the thread under the member's
   * own account. Rejects when the member fails; must honour `signal`.
   */
  readonly runMember: (
    member: TeamMember,
    prompt: string,
    signal: AbortSignal,
  ) => Promise<MemberResult>;
  /**
   * Writes the team's synthesis of the answered contributions (e.g. with
   * {@link synthesizeContributions}). Not called when nobody answered or the token budget is
   * spent. Rejects when the synthesis fails; must honour `signal`.
   */
  readonly synthesize: (
    contributions: readonly AnsweredContribution[],
    signal: AbortSignal,
  ) => Promise<MemberResult>;
  readonly budget: TeamBudget;
  readonly signal: AbortSignal;
}

/** The outcome of a team run. */
export interface TeamRunResult {
  /** The team's reply text (the synthesis, or a short explanation), with any budget note. */
  readonly synthesis: string;
  readonly contributions: readonly MemberContribution[];
  /** The limit that cut the run short, if one did. */
  readonly budgetHit?: BudgetLimit;
  /** Output tokens of members and the team's model together. */
  readonly outputTokens: number;
  /** Operator-facing reason the team's own model failed (the reply then says so briefly). */
  readonly synthesisError?: string;
}

/**
 * Collaborate mode: every member (up to `budget.maxTurns`) works on the same request in
 * parallel, each posting its own reply; then the team writes one synthesis. A failed member
 * is left out of the synthesis (its own reply already shows the failure); when all fail, or
 * the members spent the token budget, or the synthesis fails, the reply says so briefly
 * instead (never silence). Members already running are not cut off by the token budget: it
 * is checked once they are done, before the synthesis. A reached limit is noted in the
 * reply. Rejects only with the signal's reason when `signal` aborts.
 */
export async function runCollaborateTeam(input: CollaborateTeamInput): Promise<TeamRunResult> {
  const { signal } = input;
  signal.throwIfAborted();
  const meter = new BudgetMeter(input.budget);
  const running = input.members.slice(0, meter.remainingTurns);
  if (running.length < input.members.length) meter.markHit('turns');

  // Members run in parallel; each settles on its own so one failure does not sink the rest.
  const settled = await Promise.allSettled(
    running.map((member) => {
      meter.addTurn();
      const prompt = collaborateMemberPrompt({
        teamName: input.teamName,
        request: input.request,
        member,
        members: running,
      });
      return input.runMember(member, prompt, signal);
    }),
  );
  signal.throwIfAborted();
  const contributions = settled.map((result, index): MemberContribution => {
    const member = running[index] as TeamMember;
    if (result.status === 'fulfilled') {
      meter.addTokens(result.value.outputTokens);
      return {
        kind: 'answered',
        member,
        task: input.request,
        text: result.value.text,
        outputTokens: result.value.outputTokens,
      };
    }
    return { kind: 'failed', member, task: input.request, error: failureText(result.reason) };
  });
  const answered = contributions.filter(
    (contribution): contribution is AnsweredContribution => contribution.kind === 'answered',
  );

  const finish = (text: string): TeamRunResult => ({
    synthesis: withBudgetNote(text, meter),
    contributions,
    ...(meter.hit === undefined ? {} : { budgetHit: meter.hit }),
    outputTokens: meter.tokens,
  });
  if (answered.length === 0) {
    return finish("⚠️ None of the team's members could answer this time.");
  }
  if (meter.blockingLimit === 'tokens') {
    meter.markHit('tokens');
    return finish("The members' answers above are the team's answer.");
  }
  try {
    const synthesis = await input.synthesize(answered, signal);
    meter.addTokens(synthesis.outputTokens);
    return finish(synthesis.text);
  } catch (error: unknown) {
    signal.throwIfAborted();
    return {
      ...finish(
        "⚠️ The team could not combine the answers; the members' answers above stand on their own.",
      ),
      synthesisError: describeError(error),
    };
  }
}

/** Input of {@link synthesizeContributions}. */
export interface SynthesisInput {
  /** The team's model. */
  readonly model: ChatModel;
  /** The team's own system prompt (identity, context); synthesis instructions are appended. */
  readonly system?: string;
  readonly request: string;
  readonly contributions: readonly AnsweredContribution[];
  readonly signal: AbortSignal;
  /** Streams the synthesis text so far (to the team's reply). */
  readonly onText?: (textSoFar: string) => void;
  readonly onUsage?: (modelId: string, usage: Usage) => void;
}

/**
 * One call of the team's model that combines the members' answers into one reply; a ready
 * `synthesize` for {@link runCollaborateTeam}. Rejects as the model does.
 */
export async function synthesizeContributions(input: SynthesisInput): Promise<MemberResult> {
  const prompt = synthesisPrompt({
    ...(input.system === undefined ? {} : { system: input.system }),
    request: input.request,
    contributions: input.contributions,
  });
  const step = await callTeamModel(
    input.model,
    { system: prompt.system, messages: [{ role: 'user', content: prompt.user }] },
    {
      signal: input.signal,
      ...(input.onText === undefined ? {} : { onText: input.onText }),
      ...(input.onUsage === undefined ? {} : { onUsage: input.onUsage }),
    },
  );
  return { text: step.text, outputTokens: step.outputTokens };
}

function failureText(reason: unknown): string {
  return isAbortError(reason) ? 'stopped' : describeError(reason);
}
