/**
 * teams/: multi-agent work built on agent turns: the team turn runner (collaborate and
 * coordinate runs with budgets, for configured and ad-hoc teams), the turn launcher that
 * starts a claimed turn on the agent or team runner, ad-hoc team formation, and team state
 * (extraction, and its prompt section).
 */
export { runCollaborateTeam, synthesizeContributions } from './collaborate-team.js';
export type { CollaborateTeamInput, SynthesisInput, TeamRunResult } from './collaborate-team.js';
export {
  DELEGATE_TOOL_NAME,
  delegateToolDefinition,
  runCoordinateTeam,
} from './coordinate-team.js';
export type { CoordinateTeamInput, CoordinateTeamResult } from './coordinate-team.js';
export { BudgetMeter, budgetNote, withBudgetNote } from './team-budget.js';
export type { BudgetLimit, TeamBudget } from './team-budget.js';
export { formTeam } from './team-formation.js';
export type { TeamFormation, TeamFormationInput, TeamMode } from './team-formation.js';
export { findMember } from './team-member.js';
export type {
  AnsweredContribution,
  MemberContribution,
  MemberResult,
  TeamMember,
} from './team-member.js';
export { callTeamModel } from './team-model-call.js';
export type { TeamModelCallOptions, TeamModelStep } from './team-model-call.js';
export {
  collaborateMemberPrompt,
  contributionAttribution,
  coordinatorInstructions,
  delegatedTaskPrompt,
  synthesisPrompt,
} from './team-prompts.js';
export {
  EMPTY_TEAM_STATE,
  TEAM_STATE_MAX_ITEMS,
  TEAM_STATE_PROMPT_TITLE,
  TEAM_STATE_SCHEMA,
  TEAM_STATE_TIMEOUT_MS,
  extractTeamState,
  formatTeamStateForPrompt,
} from './team-state.js';
export type { ExchangeMessage, ExtractTeamStateInput, TeamStateExtraction } from './team-state.js';
export { TeamTurnRunner } from './team-runner.js';
export type {
  TeamDirectory,
  TeamInfo,
  TeamStateRepository,
  TeamTurnRunnerDeps,
} from './team-runner.js';
export { teamStateContext } from './team-state-context.js';
export { TurnLauncher } from './turn-launcher.js';
export type { LaunchOptions, TurnLauncherDeps } from './turn-launcher.js';
export { DetachedTurns } from './detached-turns.js';
export type { DetachedEntity, DetachedTurnsDeps } from './detached-turns.js';
