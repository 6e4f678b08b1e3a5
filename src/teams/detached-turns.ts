import {
  DETACHED_ROOM,
  DetachedTurnError,
  buildSystemPrompt,
  conversationHistory,
  usageRecorder,
  type DetachedAgentRunner,
  type DetachedMessage,
  type DetachedRequest,
  type DetachedResult,
  type ModelProvider,
  type UsageSink,
} from '../agents/index.js';
import type { ChatModel, Usage } from '../llm/index.js';
import type { Clock, QuorumMetrics } from '../shared/index.js';
import {
  runCollaborateTeam,
  synthesizeContributions,
  type TeamRunResult,
} from './collaborate-team.js';
import { runCoordinateTeam } from './coordinate-team.js';
import type { TeamDirectory, TeamInfo } from './team-runner.js';
import type { TeamMember } from './team-member.js';
import { delegatedTaskPrompt } from './team-prompts.js';

/** An agent or team that can answer outside Matrix. */
export interface DetachedEntity {
  readonly name: string;
  readonly displayName: string;
  readonly role: string;
  readonly kind: 'agent' | 'team';
}

export interface DetachedTurnsDeps {
  readonly agents: DetachedAgentRunner;
  readonly directory: TeamDirectory;
  /** The fleet's agents and teams, in config order (changes on reload). */
  readonly entities: () => readonly DetachedEntity[];
  readonly models: ModelProvider;
  readonly usage: UsageSink;
  readonly metrics: QuorumMetrics;
  readonly clock: Clock;
}

/**
 * Turns outside Matrix (the OpenAI-compatible API, Quorum's MCP server): an agent answers
 * through the detached agent runner; a team runs its members the same way (their answers are
 * not posted anywhere) and streams its own synthesis. One session per caller's conversation.
 */
export class DetachedTurns {
  constructor(private readonly deps: DetachedTurnsDeps) {}

  /** The agents and teams that can be asked, in config order. */
  entities(): readonly DetachedEntity[] {
    return this.deps.entities();
  }

  /** Runs `request.entity`'s turn; rejects as `DetachedAgentRunner.run` does. */
  run(request: DetachedRequest): Promise<DetachedResult> {
    const team = this.deps.directory.team(request.entity);
    return team === undefined ? this.deps.agents.run(request) : this.runTeam(request, team);
  }

  private async runTeam(request: DetachedRequest, team: TeamInfo): Promise<DetachedResult> {
    const { deps } = this;
    const profile = deps.directory.profile(request.entity);
    const last = request.messages.at(-1);
    if (profile === undefined)
      throw new DetachedTurnError('unknown_entity', `There is no team called ${request.entity}.`);
    if (last?.role !== 'user')
      throw new DetachedTurnError(
        'invalid_request',
        'The conversation has no user message to answer.',
      );
    const modelName = deps.models.modelNameFor({
      entity: request.entity,
      roomId: DETACHED_ROOM,
      threadRoot: request.sessionId,
    });
    let inputTokens = 0;
    const record = usageRecorder(deps.usage, deps.metrics, {
      responder: request.entity,
      roomId: DETACHED_ROOM,
      requester: request.caller,
    });
    const run: DetachedTeamRun = {
      request,
      team,
      text: last.content,
      earlier: request.messages.slice(0, -1),
      members: team.members
        .map((name) => deps.directory.member(name))
        .filter((member): member is TeamMember => member !== undefined),
      model: deps.models.model(modelName),
      system: buildSystemPrompt({
        agent: profile,
        nowMs: deps.clock.now(),
        roomId: DETACHED_ROOM,
        roomName: undefined,
        threadRoot: request.sessionId,
        peers: [],
        channel: request.channel,
      }),
      onUsage: (modelId, usage) => {
        inputTokens += usage.inputTokens;
        record(modelId, usage);
      },
      addInputTokens: (tokens) => {
        inputTokens += tokens;
      },
    };
    const result = await this.runMode(run);
    request.onText?.(result.synthesis);
    return {
      text: result.synthesis,
      outcome: 'completed',
      inputTokens,
      outputTokens: result.outputTokens,
    };
  }

  /** The team's members answer (not posted anywhere) and its model writes the reply. */
  private runMode(run: DetachedTeamRun): Promise<TeamRunResult> {
    const { request, team, text } = run;
    const runMember = async (member: TeamMember, prompt: string, signal: AbortSignal) => {
      const result = await this.deps.agents.run({
        entity: member.name,
        messages: [...run.earlier, { role: 'user', content: prompt }],
        caller: request.caller,
        sessionId: request.sessionId,
        channel: request.channel,
        signal,
      });
      run.addInputTokens(result.inputTokens);
      return { text: result.text, outputTokens: result.outputTokens };
    };
    const budget = { maxTurns: team.maxTurns, maxTokens: team.maxTokens };
    const onText = request.onText === undefined ? {} : { onText: request.onText };
    if (team.mode === 'collaborate') {
      return runCollaborateTeam({
        teamName: team.displayName,
        members: run.members,
        request: text,
        runMember,
        synthesize: (contributions, signal) =>
          synthesizeContributions({
            model: run.model,
            system: run.system,
            request: text,
            contributions,
            signal,
            ...onText,
            onUsage: run.onUsage,
          }),
        budget,
        signal: request.signal,
      });
    }
    return runCoordinateTeam({
      model: run.model,
      system: run.system,
      members: run.members,
      request: text,
      history: conversationHistory(run.earlier),
      delegate: (member, task, signal) =>
        runMember(
          member,
          delegatedTaskPrompt({ teamName: team.displayName, request: text, task }),
          signal,
        ),
      budget,
      signal: request.signal,
      ...onText,
      onUsage: run.onUsage,
    });
  }
}

/** A team's detached turn under way. */
interface DetachedTeamRun {
  readonly request: DetachedRequest;
  readonly team: TeamInfo;
  /** The last user message: what the team answers. */
  readonly text: string;
  /** The conversation before it. */
  readonly earlier: readonly DetachedMessage[];
  readonly members: readonly TeamMember[];
  readonly model: ChatModel;
  readonly system: string;
  readonly onUsage: (modelId: string, usage: Usage) => void;
  readonly addInputTokens: (tokens: number) => void;
}
