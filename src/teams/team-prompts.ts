/**
 * The texts team runs send: what a member sees when it works for a team, what the
 * coordinator and the synthesis are told, and how a member's reply is attributed.
 */
import type { AnsweredContribution, TeamMember } from './team-member.js';

/** Longest member contribution quoted into a synthesis prompt. */
const CONTRIBUTION_CHARS = 8_000;

/**
 * The message a member answers in collaborate mode: the request, plus who else works on it
 * and that the team will combine the answers (so the member stays in its own lane).
 */
export function collaborateMemberPrompt(input: {
  readonly teamName: string;
  readonly request: string;
  readonly member: TeamMember;
  readonly members: readonly TeamMember[];
}): string {
  const others = input.members
    .filter((member) => member.name !== input.member.name)
    .map((member) => member.displayName);
  const company = others.length > 0 ? ` together with ${others.join(', ')}` : '';
  return (
    `${input.request}\n\n` +
    `(You are answering as part of ${input.teamName}${company}. Answer from your own role; ` +
    'the team will combine the answers.)'
  );
}

/** The message a member answers when the coordinator delegates `task` to it. */
export function delegatedTaskPrompt(input: {
  readonly teamName: string;
  readonly request: string;
  readonly task: string;
}): string {
  return (
    `${input.teamName} asks you to do this sub-task:\n${input.task}\n\n` +
    `It is part of this request:\n${input.request}\n\n` +
    'Answer the sub-task only; the team will combine the results.'
  );
}

/**
 * A line to put above a member's reply so readers see which team it works for, e.g.
 * `_For Dev Team: check the tests_`.
 */
export function contributionAttribution(teamName: string, task?: string): string {
  const oneLine = task?.replace(/\s+/g, ' ').trim() ?? '';
  const short = oneLine.length > 120 ? `${oneLine.slice(0, 120)}…` : oneLine;
  return short.length > 0 ? `_For ${teamName}: ${short}_` : `_For ${teamName}_`;
}

/** Instructions appended to the coordinator's system prompt. */
export function coordinatorInstructions(members: readonly TeamMember[], maxTurns: number): string {
  const list = members
    .map(
      (member) =>
        `- ${member.name} (${member.displayName})${member.role.length > 0 ? `: ${member.role}` : ''}`,
    )
    .join('\n');
  return (
    `## Your team\nYou coordinate these members:\n${list}\n\n` +
    '## How to work\n' +
    '- Split the request into sub-tasks and give each to the best-suited member with the ' +
    '`delegate_to_member` tool. Each task must be self-contained: include the context the member needs.\n' +
    '- Delegate independent sub-tasks in the same turn; they run in parallel.\n' +
    `- At most ${maxTurns} delegations in total for this request.\n` +
    '- The members answer in the thread themselves. When you have what you need, write one final ' +
    'answer for the person that combines their results. Do not write text while delegating.'
  );
}

/** The system and user text of a collaborate-mode synthesis. */
export function synthesisPrompt(input: {
  readonly system?: string;
  readonly request: string;
  readonly contributions: readonly AnsweredContribution[];
}): { readonly system: string; readonly user: string } {
  const instructions =
    '## Your task\nYour team members answered the request below independently; their answers ' +
    'are already visible in the thread. Write one answer for the person that combines them: ' +
    'keep what they agree on, resolve or point out disagreements, and credit members by name ' +
    'where it helps. Do not repeat each answer in full.';
  const system =
    input.system === undefined || input.system.trim().length === 0
      ? instructions
      : `${input.system.trimEnd()}\n\n${instructions}`;
  const parts = input.contributions.map((contribution) => {
    const text =
      contribution.text.length > CONTRIBUTION_CHARS
        ? `${contribution.text.slice(0, CONTRIBUTION_CHARS)}…`
        : contribution.text;
    return `### ${contribution.member.displayName} (${contribution.member.name})\n${text}`;
  });
  return { system, user: `Request:\n${input.request}\n\nAnswers:\n\n${parts.join('\n\n')}` };
}
