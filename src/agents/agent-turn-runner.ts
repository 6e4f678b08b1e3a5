import { continuationPrompt } from '../interactions/index.js';
import type { ChatMessage } from '../llm/index.js';
import type { MediaReader } from '../matrix/index.js';
import { txnPrefixFor } from '../outbox/index.js';
import {
  asEventId,
  asRoomId,
  type Clock,
  type Logger,
  type QuorumMetrics,
  type UserId,
} from '../shared/index.js';
import type { InteractionRecord, JournalEntry, TurnRecord } from '../storage/index.js';
import type { ToolRunner } from '../tools/index.js';
import { runAgentTurn, type TurnRecorder, type TurnResult } from './agent-turn.js';
import { withHandoffTool, type HandoffLedger, type RequestedHandoff } from './handoff.js';
import { readAttachment, type AttachmentResult } from './message-attachments.js';
import {
  handoffPreamble,
  prepareTurn,
  type PreparedTurn,
  type PrepareTurnDeps,
} from './prepare-turn.js';
import type { ReplyOutcome } from './reply-stream.js';
import type {
  AgentTools,
  FleetDirectory,
  ResponderHandle,
  Responders,
  TurnStore,
} from './turn-ports.js';

/** What a turn is asked to do beyond answering its source message. */
export type TurnRequest =
  /** Continue a conversation whose turn was cut while it waited for the person. */
  { readonly kind: 'continuation'; readonly record: InteractionRecord };

/** Work a finished turn hands back to dispatch (which alone claims turns). */
export type FollowUp = {
  readonly kind: 'handoff';
  /** The turn that handed over. */
  readonly turn: TurnRecord;
  /** The agent that takes over, on the same source event. */
  readonly target: string;
};

export interface AgentTurnRunnerDeps {
  readonly turns: TurnStore;
  readonly responders: Responders;
  readonly directory: FleetDirectory;
  readonly tools: AgentTools;
  readonly handoffs: HandoffLedger;
  /** Turn preparation (history, context, model choice, usage). */
  readonly prepare: PrepareTurnDeps;
  /** The interaction records a continuation claims and completes. */
  readonly interactions: Parameters<typeof continuationPrompt>[1]['store'];
  /** Most tool calls run from one model answer (`quorum.limits.max_tool_calls_per_step`). */
  readonly maxToolCallsPerStep: () => number;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: QuorumMetrics;
}

/** One agent run: its own turn, or a contribution to a team's turn. */
interface AgentRun {
  readonly agent: string;
  readonly turn: TurnRecord;
  /** Base of the reply's transaction ids (with the source event). */
  readonly txnKey: string;
  /** True for the agent's own turn (recorded in the turn record, may hand over). */
  readonly isOwnTurn: boolean;
  /** Replaces the source text as the agent's request (a team member's prompt, a continuation). */
  readonly prompt?: string | undefined;
  /** Markdown at the top of the reply (a team attribution). */
  readonly preamble?: string | undefined;
  readonly signal: AbortSignal;
}

/**
 * Runs one agent's turns: prepares the turn (`prepareTurn`), reads the attachments, offers
 * the agent's tools (plus `handoff_to_agent` on its own turns), runs the model and tool loop
 * with a streamed reply from the agent's account, and counts the outcome. A handoff the model
 * asked for is recorded in the ledger and handed back as a follow-up; the runner never claims
 * a turn itself.
 */
export class AgentTurnRunner {
  constructor(private readonly deps: AgentTurnRunnerDeps) {}

  /** Whether `agent` can answer now (its account is connected and it is configured). */
  canRun(agent: string): boolean {
    return (
      this.deps.responders.get(agent) !== undefined &&
      this.deps.directory.profile(agent) !== undefined
    );
  }

  /**
   * The agent's own turn on `turn`'s source, recorded in the turn record. A requested handoff
   * is reported through `onFollowUp` once the turn completed.
   */
  async runOwnTurn(
    turn: TurnRecord,
    options: {
      readonly request?: TurnRequest | undefined;
      readonly signal: AbortSignal;
      readonly onFollowUp: (followUp: FollowUp) => void;
    },
  ): Promise<TurnResult | undefined> {
    const prompt =
      options.request === undefined
        ? undefined
        : await continuationPrompt(options.request.record, {
            store: this.deps.interactions,
            requesterName: this.deps.directory.nameOf(turn.requester),
            tools: this.deps.tools.toolsWithoutApproval(turn.responder),
            signal: options.signal,
          });
    let handoff: RequestedHandoff | undefined;
    const result = await this.run(
      {
        agent: turn.responder,
        turn,
        txnKey: turn.responder,
        isOwnTurn: true,
        prompt,
        signal: options.signal,
      },
      (requested) => {
        handoff = requested;
      },
    );
    if (handoff !== undefined && result?.outcome === 'completed') {
      this.deps.handoffs.record(
        turn.roomId,
        turn.threadRoot,
        turn.sourceEventId,
        handoff.chain,
        handoff.reason,
      );
      options.onFollowUp({ kind: 'handoff', turn, target: handoff.chain.current });
    }
    return result;
  }

  /** A team member's contribution to the team's turn (not recorded as the member's own turn). */
  runContribution(
    turn: TurnRecord,
    member: string,
    options: {
      readonly prompt: string;
      readonly preamble: string;
      readonly txnKey: string;
      readonly signal: AbortSignal;
    },
  ): Promise<TurnResult | undefined> {
    return this.run({ agent: member, turn, isOwnTurn: false, ...options });
  }

  private async run(
    run: AgentRun,
    onHandoff?: (handoff: RequestedHandoff) => void,
  ): Promise<TurnResult | undefined> {
    const { turns, directory, clock, metrics } = this.deps;
    const { turn, agent } = run;
    const handle = this.deps.responders.get(agent);
    const profile = directory.profile(agent);
    const prepared =
      handle === undefined || profile === undefined
        ? undefined
        : await prepareTurn(turn, { profile, entity: agent }, run, this.deps.prepare);
    if (handle === undefined || profile === undefined || prepared === undefined) {
      this.deps.log.warn('cannot run the turn: responder or source missing', {
        agent,
        source: turn.sourceEventId,
      });
      if (run.isOwnTurn) turns.finish(turn.responder, turn.sourceEventId, 'failed');
      return undefined;
    }
    const attachments = await collectAttachments(
      turn,
      prepared.source,
      handle.media,
      this.deps,
      run.signal,
    );
    const startedAt = clock.now();
    const result = await runAgentTurn(
      {
        agent: profile,
        model: prepared.model,
        system: prepared.system,
        messages: [...prepared.history, requestMessage(prepared.request, attachments)],
        tools: this.toolsFor(run, onHandoff),
        roomId: asRoomId(turn.roomId),
        threadRoot:
          directory.threadModeOf(agent) === 'room' ? undefined : asEventId(turn.threadRoot),
        sourceEventId: asEventId(turn.sourceEventId),
        requester: turn.requester,
        txnPrefix: txnPrefixFor(run.txnKey, turn.sourceEventId),
        generation: turn.generation,
        existingReplyId:
          run.isOwnTurn && turn.replyEventId !== undefined
            ? asEventId(turn.replyEventId)
            : undefined,
        recorder: run.isOwnTurn ? recorderFor(turns, turn) : NO_RECORDER,
        mentionsFor: (text) => directory.mentionsIn(text, agent) as UserId[],
        maxToolCallsPerStep: this.deps.maxToolCallsPerStep(),
        preamble: [run.preamble, handoffPreamble(prepared.handoff), ...attachments.notes]
          .filter((line) => line !== undefined && line !== '')
          .join('\n'),
        signal: run.signal,
      },
      replyDeps(handle, prepared, this.deps),
    );
    metrics.modelCalls.inc({ model: prepared.modelName, outcome: result.outcome });
    metrics.repliesSent.inc({ responder: agent, outcome: result.outcome });
    this.deps.log.info('turn finished', {
      responder: agent,
      source: turn.sourceEventId,
      outcome: result.outcome,
      durationMs: clock.now() - startedAt,
    });
    return result;
  }

  /** The agent's tools; on its own turn, with `handoff_to_agent` while the chain may grow. */
  private toolsFor(
    run: AgentRun,
    onHandoff: ((handoff: RequestedHandoff) => void) | undefined,
  ): ToolRunner | undefined {
    const { directory, handoffs } = this.deps;
    const tools = this.deps.tools.toolsFor(run.agent);
    if (!run.isOwnTurn || onHandoff === undefined) return tools;
    const { turn, agent } = run;
    return withHandoffTool(tools, {
      chain: handoffs.chain(turn.roomId, turn.threadRoot, turn.sourceEventId, agent),
      available: directory
        .peersIn(turn.roomId, agent)
        .filter((peer) => !directory.isTeam(peer.name))
        .map((peer) => ({ name: peer.name, role: peer.role })),
      onHandoff,
    });
  }
}

const NO_RECORDER: TurnRecorder = {
  recordReply: () => undefined,
  recordModel: () => undefined,
  finish: () => undefined,
};

function recorderFor(turns: TurnStore, turn: TurnRecord): TurnRecorder {
  return {
    recordReply: (replyId) => {
      turns.recordReply(turn.responder, turn.sourceEventId, replyId);
    },
    recordModel: (modelId) => {
      turns.recordModel(turn.responder, turn.sourceEventId, modelId);
    },
    finish: (outcome: ReplyOutcome) => {
      turns.finish(turn.responder, turn.sourceEventId, outcome);
    },
  };
}

function replyDeps(
  handle: ResponderHandle,
  prepared: PreparedTurn,
  deps: AgentTurnRunnerDeps,
): Parameters<typeof runAgentTurn>[1] {
  const { clock, metrics } = deps;
  return {
    outbox: handle.outbox,
    typing: handle.typing,
    clock,
    log: deps.log,
    recordUsage: prepared.recordUsage,
    onFirstVisible: () => {
      metrics.replyLatency.observe(Math.max(0, clock.now() - prepared.source.originTs) / 1000);
    },
  };
}

/** The request as a user message, with the attachments' parts when there are any. */
function requestMessage(request: string, attachments: AttachmentResult): ChatMessage {
  return {
    role: 'user',
    content:
      attachments.parts.length === 0
        ? request
        : [{ type: 'text', text: request }, ...attachments.parts],
  };
}

/** Reads the source message's attachment, and the thread root's when the source replies to it. */
async function collectAttachments(
  turn: TurnRecord,
  source: JournalEntry,
  media: MediaReader,
  deps: AgentTurnRunnerDeps,
  signal: AbortSignal,
): Promise<AttachmentResult> {
  const { log } = deps;
  const root =
    turn.threadRoot === source.eventId ? undefined : deps.prepare.journal.get(turn.threadRoot);
  const results = [await readAttachment(source.event.content, media, { log, signal })];
  if (root !== undefined && root.sender === turn.requester) {
    results.unshift(await readAttachment(root.event.content, media, { log, signal }));
  }
  return {
    parts: results.flatMap((result) => result.parts),
    notes: results.flatMap((result) => result.notes),
  };
}
