import {
  ReplyStream,
  parseResponder,
  prepareTurn,
  type AgentProfile,
  type AgentTurnRunner,
  type FleetDirectory,
  type PreparedTurn,
  type PrepareTurnDeps,
  type ReplyOutcome,
  type ResponderHandle,
  type Responders,
  type TurnStore,
} from '../agents/index.js';
import { DEFAULT_TEAM_MAX_TOKENS, DEFAULT_TEAM_MAX_TURNS } from '../config/index.js';
import type { ChatModel } from '../llm/index.js';
import { txnPrefixFor } from '../outbox/index.js';
import {
  abortKindOf,
  asEventId,
  asRoomId,
  describeError,
  isAbortError,
  runTask,
  type Clock,
  type Logger,
  type QuorumMetrics,
} from '../shared/index.js';
import type { TeamStateSnapshot, TurnRecord } from '../storage/index.js';
import {
  runCollaborateTeam,
  synthesizeContributions,
  type TeamRunResult,
} from './collaborate-team.js';
import { runCoordinateTeam } from './coordinate-team.js';
import type { TeamBudget } from './team-budget.js';
import type { TeamMode } from './team-formation.js';
import type { TeamMember } from './team-member.js';
import { contributionAttribution, delegatedTaskPrompt } from './team-prompts.js';
import { EMPTY_TEAM_STATE, extractTeamState } from './team-state.js';

/** A configured team, as the team runner needs it. */
export interface TeamInfo {
  readonly displayName: string;
  readonly members: readonly string[];
  readonly mode: TeamMode;
  readonly maxTurns: number;
  readonly maxTokens: number;
}

/** What the team runner knows about the fleet (changes on reload). */
export interface TeamDirectory extends Pick<FleetDirectory, 'profile' | 'nameOf' | 'userIdOf'> {
  /** A configured team, or undefined. */
  team(name: string): TeamInfo | undefined;
  /** An agent or team that can take part in a team, or undefined (the router, unknown names). */
  member(name: string): TeamMember | undefined;
  /** True for any configured entity, the router included. */
  hasEntity(name: string): boolean;
}

/** The thread's team state (topic, decisions, open questions). */
export interface TeamStateRepository {
  get(roomId: string, threadRoot: string): TeamStateSnapshot | undefined;
  save(roomId: string, threadRoot: string, state: TeamStateSnapshot): void;
}

export interface TeamTurnRunnerDeps {
  readonly agents: AgentTurnRunner;
  readonly responders: Responders;
  readonly turns: TurnStore;
  readonly directory: TeamDirectory;
  readonly prepare: PrepareTurnDeps;
  readonly teamState: TeamStateRepository;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: QuorumMetrics;
  /** Ends background work (team state extraction) at shutdown. */
  readonly signal: AbortSignal;
}

/** Everything a team turn needs about the team, for a configured or an ad-hoc team. */
interface TeamPlan {
  readonly displayName: string;
  /** The entity whose account writes the synthesis (the team itself, or the router / first member). */
  readonly poster: string;
  readonly profile: AgentProfile;
  readonly members: readonly TeamMember[];
  readonly mode: TeamMode;
  readonly budget: TeamBudget;
}

/** A team turn under way: its plan, prepared prompt and the reply it streams. */
interface TeamRun {
  readonly turn: TurnRecord;
  readonly plan: TeamPlan;
  readonly prepared: PreparedTurn;
  readonly reply: ReplyStream;
  readonly heading: string;
  readonly signal: AbortSignal;
}

/**
 * Runs team turns: the members work on the request (in parallel when collaborating, as
 * delegated sub-tasks when coordinating), each posting under its own account with an
 * attribution, and the team's synthesis is streamed as one reply under the poster's account.
 * The turn record of the team makes the whole run happen at most once per source event; a
 * resumed run re-sends members' replies with the same transaction ids. After the reply, the
 * thread's team state is updated in the background.
 */
export class TeamTurnRunner {
  constructor(private readonly deps: TeamTurnRunnerDeps) {}

  /** Whether `responderKey` names a team (an ad-hoc team, or a configured one). */
  handles(responderKey: string): boolean {
    const responder = parseResponder(responderKey);
    return (
      responder.kind === 'adhoc-team' || this.deps.directory.team(responder.name) !== undefined
    );
  }

  async run(turn: TurnRecord, signal: AbortSignal): Promise<void> {
    const { deps } = this;
    const plan = this.plan(turn.responder);
    const poster = plan === undefined ? undefined : deps.responders.get(plan.poster);
    const prepared =
      plan === undefined || poster === undefined
        ? undefined
        : await prepareTurn(
            turn,
            { profile: plan.profile, entity: plan.poster },
            { signal },
            deps.prepare,
          );
    if (plan === undefined || poster === undefined || prepared === undefined) {
      deps.log.warn('cannot run the team turn', {
        responder: turn.responder,
        source: turn.sourceEventId,
      });
      deps.turns.finish(turn.responder, turn.sourceEventId, 'failed');
      return;
    }
    const run: TeamRun = {
      turn,
      plan,
      prepared,
      reply: this.openReply(turn, plan, poster),
      heading: `_${plan.displayName}:_\n\n`,
      signal,
    };
    const { outcome, text } = await this.runTeam(run);
    if (outcome === 'superseded') {
      await run.reply.abandon();
      return;
    }
    await run.reply.finish(text, outcome);
    deps.turns.finish(turn.responder, turn.sourceEventId, outcome);
    deps.metrics.repliesSent.inc({ responder: turn.responder, outcome });
    if (outcome === 'completed') this.updateTeamState(turn, prepared.request, text, prepared.model);
  }

  private openReply(turn: TurnRecord, plan: TeamPlan, poster: ResponderHandle): ReplyStream {
    return new ReplyStream({
      outbox: poster.outbox,
      clock: this.deps.clock,
      log: this.deps.log,
      roomId: asRoomId(turn.roomId),
      threadRoot: asEventId(turn.threadRoot),
      sourceEventId: asEventId(turn.sourceEventId),
      txnPrefix: txnPrefixFor(turn.responder, turn.sourceEventId),
      generation: turn.generation,
      existingReplyId: turn.replyEventId === undefined ? undefined : asEventId(turn.replyEventId),
      isStreaming: plan.profile.isStreaming,
      useMarkdown: plan.profile.useMarkdown,
      showStopButton: plan.profile.showStopButton,
      onReplySent: (replyId) => {
        this.deps.turns.recordReply(turn.responder, turn.sourceEventId, replyId);
      },
    });
  }

  /** Runs the members and the synthesis; how it ended, and the reply's final text. */
  private async runTeam(
    run: TeamRun,
  ): Promise<{ readonly outcome: ReplyOutcome | 'superseded'; readonly text: string }> {
    let latest = '';
    const onText = (soFar: string): void => {
      latest = soFar;
      run.reply.update(run.heading + soFar);
    };
    try {
      const result =
        run.plan.mode === 'collaborate'
          ? await this.collaborate(run, onText)
          : await this.coordinate(run, onText);
      if (result.budgetHit !== undefined)
        this.deps.log.info('team budget reached', {
          team: run.turn.responder,
          limit: result.budgetHit,
        });
      return { outcome: 'completed', text: run.heading + result.synthesis };
    } catch (error: unknown) {
      const kind = run.signal.aborted || isAbortError(error) ? abortKindOf(run.signal) : undefined;
      if (kind === 'superseded') return { outcome: 'superseded', text: '' };
      if (kind !== undefined)
        return {
          outcome: kind === 'stopped' ? 'stopped' : 'interrupted',
          text: run.heading + latest,
        };
      this.deps.log.warn('team turn failed', {
        team: run.turn.responder,
        error: describeError(error),
      });
      return {
        outcome: 'failed',
        text: `${run.heading}⚠️ The team could not finish its answer. Please try again.`,
      };
    }
  }

  private collaborate(run: TeamRun, onText: (soFar: string) => void): Promise<TeamRunResult> {
    const { plan, prepared } = run;
    return runCollaborateTeam({
      teamName: plan.displayName,
      members: plan.members,
      request: prepared.request,
      runMember: (member, prompt, signal) =>
        this.runMember(run, member, {
          prompt,
          signal,
          txnKey: `${member.name}#${run.turn.responder}`,
        }),
      synthesize: (contributions, signal) =>
        synthesizeContributions({
          model: prepared.model,
          system: prepared.system,
          request: prepared.request,
          contributions,
          signal,
          onText,
          onUsage: prepared.recordUsage,
        }),
      budget: plan.budget,
      signal: run.signal,
    });
  }

  private coordinate(run: TeamRun, onText: (soFar: string) => void): Promise<TeamRunResult> {
    const { plan, prepared } = run;
    let delegations = 0;
    return runCoordinateTeam({
      model: prepared.model,
      system: prepared.system,
      members: plan.members,
      request: prepared.request,
      history: prepared.history,
      delegate: (member, task, signal) => {
        delegations += 1;
        return this.runMember(run, member, {
          prompt: delegatedTaskPrompt({
            teamName: plan.displayName,
            request: prepared.request,
            task,
          }),
          signal,
          task,
          txnKey: `${member.name}#${run.turn.responder}#${delegations}`,
        });
      },
      budget: plan.budget,
      signal: run.signal,
      onText,
      onUsage: prepared.recordUsage,
    });
  }

  /** One member's contribution, posted under its own account; rejects unless it completed. */
  private async runMember(
    run: TeamRun,
    member: TeamMember,
    options: { prompt: string; signal: AbortSignal; txnKey: string; task?: string },
  ): Promise<{ text: string; outputTokens: number }> {
    const result = await this.deps.agents.runContribution(run.turn, member.name, {
      prompt: options.prompt,
      preamble: contributionAttribution(run.plan.displayName, options.task),
      txnKey: options.txnKey,
      signal: options.signal,
    });
    if (result?.outcome !== 'completed')
      throw new Error(`${member.name} did not answer (${result?.outcome ?? 'not running'})`);
    return { text: result.answer, outputTokens: result.outputTokens };
  }

  /** Updates the thread's team state from the latest exchange, in the background. */
  private updateTeamState(
    turn: TurnRecord,
    request: string,
    answer: string,
    model: ChatModel,
  ): void {
    const { deps } = this;
    const previous = deps.teamState.get(turn.roomId, turn.threadRoot) ?? EMPTY_TEAM_STATE;
    runTask(
      (async () => {
        const extraction = await extractTeamState({
          model,
          previous,
          latestExchange: [
            { senderName: deps.directory.nameOf(turn.requester), body: request },
            { senderName: 'Team', body: answer },
          ],
          signal: deps.signal,
          clock: deps.clock,
        });
        if (extraction.kind === 'updated')
          deps.teamState.save(turn.roomId, turn.threadRoot, extraction.state);
      })(),
      { log: deps.log, what: 'team state extraction' },
    );
  }

  /** The team a responder key stands for: a configured team, or an ad-hoc one. */
  private plan(responderKey: string): TeamPlan | undefined {
    const { directory } = this.deps;
    const responder = parseResponder(responderKey);
    const membersOf = (names: readonly string[]): TeamMember[] =>
      names.map((name) => directory.member(name)).filter((member) => member !== undefined);
    if (responder.kind === 'entity') {
      const team = directory.team(responder.name);
      const profile = directory.profile(responder.name);
      if (team === undefined || profile === undefined) return undefined;
      return {
        displayName: team.displayName,
        poster: responder.name,
        profile,
        members: membersOf(team.members),
        mode: team.mode,
        budget: { maxTurns: team.maxTurns, maxTokens: team.maxTokens },
      };
    }
    const members = membersOf(responder.members);
    const first = members[0] === undefined ? undefined : directory.profile(members[0].name);
    if (first === undefined || !directory.hasEntity(responder.poster)) return undefined;
    const names = members.map((member) => member.displayName);
    const displayName = `Team ${names.join(' + ')}`;
    return {
      displayName,
      poster: responder.poster,
      profile: {
        ...first,
        name: responder.poster,
        displayName,
        userId: directory.userIdOf(responder.poster),
        role: `Speaks for ${names.join(' and ')}, who answer together.`,
        instructions: [],
        tools: [],
        skills: [],
      },
      members,
      mode: responder.mode,
      budget: { maxTurns: DEFAULT_TEAM_MAX_TURNS, maxTokens: DEFAULT_TEAM_MAX_TOKENS },
    };
  }
}
