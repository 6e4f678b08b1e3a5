import {
  SOURCE_EVENT_KEY,
  buildSystemPrompt,
  buildThreadHistory,
  latestText,
  readAttachment,
  runAgentTurn,
  type AttachmentResult,
  type AgentProfile,
  type PeerProfile,
  type ReplyOutcome,
  type ToolRunner,
  type TurnResult,
} from '../agents/index.js';
import type { ChatMessage, Usage } from '../llm/index.js';
import {
  asEventId,
  asRoomId,
  type Clock,
  type Logger,
  type QuorumMetrics,
  type UserId,
} from '../shared/index.js';
import type { MediaReader } from '../matrix/index.js';
import type { JournalEntry, QuorumStore, TurnRecord } from '../storage/index.js';
import type { EntityBot } from './entity-bot.js';
import type { ModelProvider } from './model-provider.js';
import {
  EMPTY_TEAM_STATE,
  TEAM_STATE_PROMPT_TITLE,
  formatTeamStateForPrompt,
} from '../teams/index.js';
import { HandoffLedger, withHandoffTool, type RequestedHandoff } from './handoff.js';
import { txnPrefixFor } from './txn-ids.js';
import type { TurnCoordinator } from './turn-coordinator.js';

/** What the launcher needs to know about entities, resolved by the orchestrator. */
export interface TurnEnvironment {
  bot(name: string): EntityBot | undefined;
  profile(name: string): AgentProfile | undefined;
  /** Other agents and teams in a room, for the prompt. */
  peersIn(roomId: string, except: string): PeerProfile[];
  /** A readable name for a user (display name for entities, localpart for people). */
  nameOf(userId: string): string;
  /** Users an agent's text mentions with `@name` (so agent-to-agent hand-offs notify). */
  mentionsIn(text: string, except: string): UserId[];
  /** Whether the entity replies in threads (`thread`) or the main timeline (`room`). */
  threadModeOf(name: string, roomId: string): 'thread' | 'room';
  /** The entity's tools, or undefined when it has none. */
  toolsFor(name: string): ToolRunner | undefined;
  /** True for turns a team answers (a configured team, or an ad-hoc team key). */
  isTeamResponder(responder: string): boolean;
  /** The Matrix user id of an entity. */
  userIdOf(name: string): string;
}

export interface TurnLauncherDeps {
  readonly store: QuorumStore;
  readonly coordinator: TurnCoordinator;
  readonly models: ModelProvider;
  readonly environment: TurnEnvironment;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: QuorumMetrics;
}

/**
 * Starts agent turns for claimed turn records: assembles the prompt (system prompt, thread
 * history, the message being answered), picks the model, and runs the turn under the
 * coordinator with the responder's outbox. The turn record is the source of truth: a turn
 * can be launched again after a crash and edits its existing reply.
 */
export class TurnLauncher {
  private readonly handoffs: HandoffLedger;
  private teamRunner: ((turn: TurnRecord, signal: AbortSignal) => Promise<void>) | undefined;

  constructor(private readonly deps: TurnLauncherDeps) {
    this.handoffs = new HandoffLedger(deps.store.threadSettings);
  }

  /** Installs the runner for team turns (configured teams and ad-hoc teams). */
  setTeamRunner(runner: (turn: TurnRecord, signal: AbortSignal) => Promise<void>): void {
    this.teamRunner = runner;
  }

  /** Launches `turn` unless it is already running. Returns false when it could not start. */
  launch(turn: TurnRecord): boolean {
    const { environment, coordinator, log } = this.deps;
    if (environment.isTeamResponder(turn.responder)) {
      const runner = this.teamRunner;
      if (runner === undefined) return false;
      return coordinator.start(turn.responder, turn.sourceEventId, (signal) =>
        runner(turn, signal),
      );
    }
    const bot = environment.bot(turn.responder);
    if (bot?.client === undefined || environment.profile(turn.responder) === undefined) {
      log.warn('responder is not running; the turn stays open', {
        responder: turn.responder,
        source: turn.sourceEventId,
      });
      return false;
    }
    return coordinator.start(turn.responder, turn.sourceEventId, async (signal) => {
      await this.runAgent({
        agent: turn.responder,
        turn,
        txnKey: turn.responder,
        isOwnTurn: true,
        signal,
      });
    });
  }

  /** Launches an agent's own turn with `prompt` as its request (a continuation after a restart). */
  launchWithPrompt(turn: TurnRecord, prompt: string): boolean {
    return this.deps.coordinator.start(turn.responder, turn.sourceEventId, async (signal) => {
      await this.runAgent({
        agent: turn.responder,
        turn,
        txnKey: turn.responder,
        isOwnTurn: true,
        prompt,
        signal,
      });
    });
  }

  /**
   * Runs one agent turn on `turn`'s source: its own turn (`isOwnTurn`, recorded in the turn
   * record), or a team member's contribution (`prompt` replaces the source text, and the
   * reply is not recorded as the member's own turn). Resolves with the turn's result.
   */
  async runAgent(run: AgentRun): Promise<TurnResult | undefined> {
    const { store, models, environment, clock, metrics } = this.deps;
    const { turn, agent } = run;
    const bot = environment.bot(agent);
    const profile = environment.profile(agent);
    const source = store.journal.get(turn.sourceEventId);
    const version = store.journal.get(turn.sourceVersion) ?? source;
    const client = bot?.client;
    if (
      bot === undefined ||
      profile === undefined ||
      source === undefined ||
      version === undefined ||
      client === undefined
    ) {
      this.deps.log.warn('cannot run the turn: responder or source missing', {
        agent,
        source: turn.sourceEventId,
      });
      if (run.isOwnTurn) store.turns.finish(turn.responder, turn.sourceEventId, 'failed');
      return undefined;
    }
    const history = buildThreadHistory(store.journal, {
      roomId: turn.roomId,
      threadRoot: turn.threadRoot,
      sourceEventId: turn.sourceEventId,
      selfUserId: profile.userId,
      maxMessages: profile.historyMessages,
      nameOf: (userId) => environment.nameOf(userId),
    });
    const attachments = await this.attachmentsFor(turn, source, client, run.signal);
    const userText =
      run.prompt ?? `${environment.nameOf(turn.requester)}: ${sourceText(source, version)}`;
    const messages: ChatMessage[] = [
      ...history,
      {
        role: 'user',
        content:
          attachments.parts.length === 0
            ? userText
            : [{ type: 'text', text: userText }, ...attachments.parts],
      },
    ];
    // Handoffs: an agent answering its own turn may hand the conversation to another agent.
    let handoff: RequestedHandoff | undefined;
    const ledger = this.handoffs;
    const chain = ledger.chain(turn.roomId, turn.threadRoot, turn.sourceEventId, agent);
    const tools = run.isOwnTurn
      ? withHandoffTool(environment.toolsFor(agent), {
          chain,
          available: environment
            .peersIn(turn.roomId, agent)
            .filter((peer) => !environment.isTeamResponder(peer.name))
            .map((peer) => ({ name: peer.name, role: peer.role })),
          onHandoff: (requested) => {
            handoff = requested;
          },
        })
      : environment.toolsFor(agent);
    const handedBy = chain.current === agent ? chain.agents.at(-2) : undefined;
    const handoffReason = ledger.reasonFor(turn.roomId, turn.threadRoot, turn.sourceEventId, agent);
    const handoffNote =
      handedBy === undefined
        ? undefined
        : `_${environment.nameOf(environment.userIdOf(handedBy))} handed this over${handoffReason === undefined ? '' : `: ${handoffReason}`}_`;
    const teamState =
      run.extraSections === undefined
        ? formatTeamStateForPrompt(
            store.teamState.get(turn.roomId, turn.threadRoot) ?? EMPTY_TEAM_STATE,
          )
        : undefined;
    const extraSections = [
      ...(run.extraSections ?? []),
      ...(teamState === undefined ? [] : [{ title: TEAM_STATE_PROMPT_TITLE, body: teamState }]),
      ...(handoffNote === undefined
        ? []
        : [
            {
              title: 'Handoff',
              body: `${handedBy ?? ''} handed this conversation to you. Reason: ${handoffReason ?? 'none given'}. Answer the person directly.`,
            },
          ]),
    ];
    const system = buildSystemPrompt({
      agent: profile,
      nowMs: clock.now(),
      roomId: turn.roomId,
      roomName: undefined,
      threadRoot: turn.threadRoot,
      peers: environment.peersIn(turn.roomId, agent),
      extraSections,
    });
    const modelName = models.modelNameFor({
      entity: agent,
      roomId: turn.roomId,
      threadRoot: turn.threadRoot,
    });
    const tracker = store.turns;
    const startedAt = clock.now();
    const preamble = [run.preamble, handoffNote, ...attachments.notes]
      .filter((line) => line !== undefined && line !== '')
      .join('\n');
    const result = await runAgentTurn(
      {
        agent: profile,
        model: models.model(modelName),
        system,
        messages,
        tools,
        roomId: asRoomId(turn.roomId),
        threadRoot:
          environment.threadModeOf(agent, turn.roomId) === 'room'
            ? undefined
            : asEventId(turn.threadRoot),
        sourceEventId: asEventId(turn.sourceEventId),
        requester: turn.requester,
        txnPrefix: txnPrefixFor(run.txnKey, turn.sourceEventId),
        generation: turn.generation,
        existingReplyId:
          run.isOwnTurn && turn.replyEventId !== undefined
            ? asEventId(turn.replyEventId)
            : undefined,
        recorder: run.isOwnTurn
          ? {
              recordReply: (replyId) => {
                tracker.recordReply(turn.responder, turn.sourceEventId, replyId);
              },
              recordModel: (modelId) => {
                tracker.recordModel(turn.responder, turn.sourceEventId, modelId);
              },
              finish: (outcome: ReplyOutcome) => {
                tracker.finish(turn.responder, turn.sourceEventId, outcome);
              },
            }
          : NO_RECORDER,
        mentionsFor: (replyText) => environment.mentionsIn(replyText, agent),
        preamble,
        signal: run.signal,
      },
      {
        outbox: bot.outbox,
        typing: client,
        clock,
        log: this.deps.log,
        recordUsage: usageRecorder(store, metrics, {
          responder: agent,
          roomId: turn.roomId,
          requester: turn.requester,
        }),
        onFirstVisible: () => {
          metrics.replyLatency.observe(Math.max(0, clock.now() - source.originTs) / 1000);
        },
      },
    );
    if (handoff !== undefined && result.outcome === 'completed') this.startHandoff(turn, handoff);
    metrics.modelCalls.inc({ model: modelName, outcome: result.outcome });
    metrics.repliesSent.inc({ responder: agent, outcome: result.outcome });
    this.deps.log.info('turn finished', {
      responder: agent,
      source: turn.sourceEventId,
      outcome: result.outcome,
      durationMs: clock.now() - startedAt,
    });
    return result;
  }

  /** Records a handoff and starts the target agent's turn on the same source, in the same thread. */
  private startHandoff(turn: TurnRecord, handoff: RequestedHandoff): void {
    const target = handoff.chain.current;
    this.handoffs.record(
      turn.roomId,
      turn.threadRoot,
      turn.sourceEventId,
      handoff.chain,
      handoff.reason,
    );
    const claim = this.deps.store.turns.claim({
      responder: target,
      sourceEventId: turn.sourceEventId,
      roomId: turn.roomId,
      threadRoot: turn.threadRoot,
      requester: turn.requester,
      sourceVersion: turn.sourceVersion,
    });
    this.deps.log.info('handoff', {
      from: turn.responder,
      to: target,
      chain: handoff.chain.agents.join(' > '),
      claim,
    });
    const record = this.deps.store.turns.get(target, turn.sourceEventId);
    if (claim === 'claimed' && record !== undefined) this.launch(record);
  }

  private attachmentsFor(
    turn: TurnRecord,
    source: JournalEntry,
    client: MediaReader,
    signal: AbortSignal,
  ): Promise<AttachmentResult> {
    const root =
      turn.threadRoot === source.eventId ? undefined : this.deps.store.journal.get(turn.threadRoot);
    return collectAttachments(turn, source, root, client, this.deps.log, signal);
  }
}

/** One agent turn to run (see {@link TurnLauncher.runAgent}). */
export interface AgentRun {
  /** The agent that answers. */
  readonly agent: string;
  /** The turn record of the source (the agent's own, or its team's). */
  readonly turn: TurnRecord;
  /** Base of the reply's transaction ids (with the source event). */
  readonly txnKey: string;
  /** True for the agent's own turn (recorded); false for a team member's contribution. */
  readonly isOwnTurn: boolean;
  /** Replaces the source text as the agent's request (a team member's prompt). */
  readonly prompt?: string;
  /** Markdown at the top of the reply (a team attribution). */
  readonly preamble?: string;
  readonly extraSections?: readonly { readonly title: string; readonly body: string }[];
  readonly signal: AbortSignal;
}

const NO_RECORDER = {
  recordReply: () => undefined,
  recordModel: () => undefined,
  finish: () => undefined,
};

/** The text of the source, or of its edit that the turn answers. */
export function sourceText(source: JournalEntry, version: JournalEntry): string {
  return version.eventId === source.eventId
    ? latestText(source, [])
    : latestText(source, [version]);
}

/** Records a model call's tokens in the usage table and the metrics. */
export function usageRecorder(
  store: QuorumStore,
  metrics: QuorumMetrics,
  who: { readonly responder: string; readonly roomId: string; readonly requester: string },
): (modelId: string, usage: Usage) => void {
  return (modelId, usage) => {
    store.usage.record({
      responder: who.responder,
      roomId: who.roomId,
      userId: who.requester,
      model: modelId,
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
    });
    metrics.tokens.inc(
      { direction: 'input', responder: who.responder, model: modelId },
      usage.inputTokens,
    );
    metrics.tokens.inc(
      { direction: 'output', responder: who.responder, model: modelId },
      usage.outputTokens,
    );
  };
}

/** Reads the source message's attachment, and the thread root's when the source replies to it. */
async function collectAttachments(
  turn: TurnRecord,
  source: JournalEntry,
  root: JournalEntry | undefined,
  client: MediaReader,
  log: Logger,
  signal: AbortSignal,
): Promise<AttachmentResult> {
  const results = [await readAttachment(source.event.content, client, { log, signal })];
  if (root !== undefined && root.eventId !== source.eventId && root.sender === turn.requester) {
    results.unshift(await readAttachment(root.event.content, client, { log, signal }));
  }
  return {
    parts: results.flatMap((result) => result.parts),
    notes: results.flatMap((result) => result.notes),
  };
}

/** The reply a turn posted before a crash, found in the thread by its source marker. */
export function findReplyInThread(
  events: readonly {
    readonly event_id: string;
    readonly sender: string;
    readonly content: Readonly<Record<string, unknown>>;
  }[],
  botUserId: string,
  sourceEventId: string,
): string | undefined {
  return events.find(
    (event) => event.sender === botUserId && event.content[SOURCE_EVENT_KEY] === sourceEventId,
  )?.event_id;
}
