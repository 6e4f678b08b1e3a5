import {
  ReplyStream,
  buildSystemPrompt,
  buildThreadHistory,
  type AgentProfile,
  type ReplyOutcome,
} from '../agents/index.js';
import { DEFAULT_TEAM_MAX_TOKENS, DEFAULT_TEAM_MAX_TURNS } from '../config/index.js';
import {
  EMPTY_TEAM_STATE,
  TEAM_STATE_PROMPT_TITLE,
  contributionAttribution,
  delegatedTaskPrompt,
  extractTeamState,
  formatTeamStateForPrompt,
  runCollaborateTeam,
  runCoordinateTeam,
  synthesizeContributions,
  type TeamBudget,
  type TeamMember,
  type TeamMode,
  type TeamRunResult,
} from '../teams/index.js';
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
import type { QuorumStore, TurnRecord } from '../storage/index.js';
import type { Fleet } from './fleet.js';
import type { ModelProvider } from './model-provider.js';
import { parseAdHocTeamKey } from './team-keys.js';
import {
  sourceText,
  usageRecorder,
  type TurnEnvironment,
  type TurnLauncher,
} from './turn-launcher.js';
import { txnPrefixFor } from './txn-ids.js';

export interface TeamRunnerDeps {
  readonly store: QuorumStore;
  readonly launcher: TurnLauncher;
  readonly environment: TurnEnvironment;
  readonly models: ModelProvider;
  readonly fleet: () => Fleet;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: QuorumMetrics;
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

/**
 * Runs team turns: the members work on the request (in parallel when collaborating, as
 * delegated sub-tasks when coordinating), each posting under its own account with an
 * attribution, and the team's synthesis is streamed as one reply under the poster's account.
 * The turn record of the team makes the whole run happen at most once per source event; a
 * resumed run re-sends members' replies with the same transaction ids. After the reply, the
 * thread's team state (topic, decisions, open questions) is updated in the background.
 */
export function createTeamRunner(
  deps: TeamRunnerDeps,
): (turn: TurnRecord, signal: AbortSignal) => Promise<void> {
  return async (turn, signal) => {
    const plan = planTeam(turn.responder, deps.fleet(), deps.environment);
    const poster = plan === undefined ? undefined : deps.environment.bot(plan.poster);
    const source = deps.store.journal.get(turn.sourceEventId);
    const version = deps.store.journal.get(turn.sourceVersion) ?? source;
    if (
      plan === undefined ||
      poster === undefined ||
      source === undefined ||
      version === undefined
    ) {
      deps.log.warn('cannot run the team turn', {
        responder: turn.responder,
        source: turn.sourceEventId,
      });
      deps.store.turns.finish(turn.responder, turn.sourceEventId, 'failed');
      return;
    }
    const { environment, models, store } = deps;
    const request = `${environment.nameOf(turn.requester)}: ${sourceText(source, version)}`;
    const history = buildThreadHistory(store.journal, {
      roomId: turn.roomId,
      threadRoot: turn.threadRoot,
      sourceEventId: turn.sourceEventId,
      selfUserId: plan.profile.userId,
      maxMessages: plan.profile.historyMessages,
      nameOf: (userId) => environment.nameOf(userId),
    });
    const teamState = formatTeamStateForPrompt(
      store.teamState.get(turn.roomId, turn.threadRoot) ?? EMPTY_TEAM_STATE,
    );
    const extraSections =
      teamState === undefined ? [] : [{ title: TEAM_STATE_PROMPT_TITLE, body: teamState }];
    const system = buildSystemPrompt({
      agent: plan.profile,
      nowMs: deps.clock.now(),
      roomId: turn.roomId,
      roomName: undefined,
      threadRoot: turn.threadRoot,
      peers: environment.peersIn(turn.roomId, plan.poster),
      extraSections,
    });
    const modelName = models.modelNameFor({
      entity: plan.poster,
      roomId: turn.roomId,
      threadRoot: turn.threadRoot,
    });
    const model = models.model(modelName);
    const onUsage = usageRecorder(store, deps.metrics, {
      responder: plan.poster,
      roomId: turn.roomId,
      requester: turn.requester,
    });
    const reply = new ReplyStream({
      outbox: poster.outbox,
      clock: deps.clock,
      log: deps.log,
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
        store.turns.recordReply(turn.responder, turn.sourceEventId, replyId);
      },
    });
    const heading = `_${plan.displayName}:_\n\n`;
    let delegations = 0;
    const runMember = async (
      member: TeamMember,
      prompt: string,
      memberSignal: AbortSignal,
      task?: string,
    ) => {
      delegations += 1;
      const result = await deps.launcher.runAgent({
        agent: member.name,
        turn,
        txnKey:
          plan.mode === 'coordinate'
            ? `${member.name}#${turn.responder}#${delegations}`
            : `${member.name}#${turn.responder}`,
        isOwnTurn: false,
        prompt,
        preamble: contributionAttribution(plan.displayName, task),
        extraSections,
        signal: memberSignal,
      });
      if (result?.outcome !== 'completed')
        throw new Error(`${member.name} did not answer (${result?.outcome ?? 'not running'})`);
      return { text: result.answer, outputTokens: result.outputTokens };
    };

    let outcome: ReplyOutcome | 'superseded';
    let text: string;
    let latest = '';
    try {
      const result: TeamRunResult =
        plan.mode === 'collaborate'
          ? await runCollaborateTeam({
              teamName: plan.displayName,
              members: plan.members,
              request,
              runMember: (member, prompt, memberSignal) => runMember(member, prompt, memberSignal),
              synthesize: (contributions, synthSignal) =>
                synthesizeContributions({
                  model,
                  system,
                  request,
                  contributions,
                  signal: synthSignal,
                  onText: (soFar) => {
                    latest = soFar;
                    reply.update(heading + soFar);
                  },
                  onUsage,
                }),
              budget: plan.budget,
              signal,
            })
          : await runCoordinateTeam({
              model,
              system,
              members: plan.members,
              request,
              history,
              delegate: (member, task, memberSignal) =>
                runMember(
                  member,
                  delegatedTaskPrompt({ teamName: plan.displayName, request, task }),
                  memberSignal,
                  task,
                ),
              budget: plan.budget,
              signal,
              onText: (soFar) => {
                latest = soFar;
                reply.update(heading + soFar);
              },
              onUsage,
            });
      outcome = 'completed';
      text = heading + result.synthesis;
      if (result.budgetHit !== undefined)
        deps.log.info('team budget reached', { team: turn.responder, limit: result.budgetHit });
    } catch (error: unknown) {
      const kind = signal.aborted || isAbortError(error) ? abortKindOf(signal) : undefined;
      if (kind === 'superseded') outcome = 'superseded';
      else if (kind === 'stopped') outcome = 'stopped';
      else if (kind !== undefined) outcome = 'interrupted';
      else {
        deps.log.warn('team turn failed', { team: turn.responder, error: describeError(error) });
        outcome = 'failed';
      }
      text =
        outcome === 'failed'
          ? `${heading}⚠️ The team could not finish its answer. Please try again.`
          : heading + latest;
    }
    if (outcome === 'superseded') {
      await reply.abandon();
      return;
    }
    await reply.finish(text, outcome);
    store.turns.finish(turn.responder, turn.sourceEventId, outcome);
    deps.metrics.repliesSent.inc({ responder: turn.responder, outcome });
    if (outcome === 'completed') updateTeamState(deps, turn, request, text, model);
  };
}

/** Updates the thread's team state from the latest exchange, in the background. */
function updateTeamState(
  deps: TeamRunnerDeps,
  turn: TurnRecord,
  request: string,
  answer: string,
  model: ReturnType<ModelProvider['model']>,
): void {
  const previous = deps.store.teamState.get(turn.roomId, turn.threadRoot) ?? EMPTY_TEAM_STATE;
  runTask(
    (async () => {
      const extraction = await extractTeamState({
        model,
        previous,
        latestExchange: [
          { senderName: deps.environment.nameOf(turn.requester), body: request },
          { senderName: 'Team', body: answer },
        ],
        signal: new AbortController().signal,
        clock: deps.clock,
      });
      if (extraction.kind === 'updated')
        deps.store.teamState.save(turn.roomId, turn.threadRoot, extraction.state);
    })(),
    { log: deps.log, what: 'team state extraction' },
  );
}

/** The team a responder key stands for: a configured team, or an ad-hoc one. */
function planTeam(
  responder: string,
  fleet: Fleet,
  environment: TurnEnvironment,
): TeamPlan | undefined {
  const memberOf = (name: string): TeamMember | undefined => {
    const spec = fleet.spec(name);
    return spec === undefined || spec.kind === 'router'
      ? undefined
      : { name, displayName: spec.displayName, role: spec.role };
  };
  const spec = fleet.spec(responder);
  if (spec?.kind === 'team') {
    const profile = environment.profile(responder);
    if (profile === undefined) return undefined;
    return {
      displayName: spec.displayName,
      poster: responder,
      profile,
      members: spec.members
        .map(memberOf)
        .filter((member): member is TeamMember => member !== undefined),
      mode: spec.mode,
      budget: { maxTurns: spec.maxTurns, maxTokens: spec.maxTokens },
    };
  }
  const adHoc = parseAdHocTeamKey(responder);
  if (adHoc === undefined) return undefined;
  const members = adHoc.members
    .map(memberOf)
    .filter((member): member is TeamMember => member !== undefined);
  const firstProfile = members[0] === undefined ? undefined : environment.profile(members[0].name);
  const posterSpec = fleet.spec(adHoc.poster);
  if (firstProfile === undefined || posterSpec === undefined) return undefined;
  const displayName = `Team ${members.map((member) => member.displayName).join(' + ')}`;
  return {
    displayName,
    poster: adHoc.poster,
    profile: {
      ...firstProfile,
      name: adHoc.poster,
      displayName,
      userId: fleet.userIdOf(posterSpec),
      role: `Speaks for ${members.map((member) => member.displayName).join(' and ')}, who answer together.`,
      instructions: [],
      tools: [],
      skills: [],
    },
    members,
    mode: adHoc.mode,
    budget: { maxTurns: DEFAULT_TEAM_MAX_TURNS, maxTokens: DEFAULT_TEAM_MAX_TOKENS },
  };
}
