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
} from '../agents/index.js';
import type { ChatMessage } from '../llm/index.js';
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
  constructor(private readonly deps: TurnLauncherDeps) {}

  /** Launches `turn` unless it is already running. Returns false when it could not start. */
  launch(turn: TurnRecord): boolean {
    const { environment, coordinator, log } = this.deps;
    const bot = environment.bot(turn.responder);
    const profile = environment.profile(turn.responder);
    if (bot?.client === undefined || profile === undefined) {
      log.warn('responder is not running; the turn stays open', {
        responder: turn.responder,
        source: turn.sourceEventId,
      });
      return false;
    }
    return coordinator.start(turn.responder, turn.sourceEventId, (signal) =>
      this.run(turn, bot, profile, signal),
    );
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

  private async run(
    turn: TurnRecord,
    bot: EntityBot,
    profile: AgentProfile,
    signal: AbortSignal,
  ): Promise<void> {
    const { store, models, environment, clock, metrics } = this.deps;
    const source = store.journal.get(turn.sourceEventId);
    const version = store.journal.get(turn.sourceVersion) ?? source;
    const client = bot.client;
    if (source === undefined || version === undefined || client === undefined) {
      this.deps.log.warn('turn source is not in the journal; closing it', {
        source: turn.sourceEventId,
      });
      store.turns.finish(turn.responder, turn.sourceEventId, 'failed');
      return;
    }
    const text =
      version.eventId === source.eventId ? latestText(source, []) : latestText(source, [version]);
    const threadMode = environment.threadModeOf(turn.responder, turn.roomId);
    const history = buildThreadHistory(store.journal, {
      roomId: turn.roomId,
      threadRoot: turn.threadRoot,
      sourceEventId: turn.sourceEventId,
      selfUserId: profile.userId,
      maxMessages: profile.historyMessages,
      nameOf: (userId) => environment.nameOf(userId),
    });
    const attachments = await this.attachmentsFor(turn, source, client, signal);
    const userText = `${environment.nameOf(turn.requester)}: ${text}`;
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
    const system = buildSystemPrompt({
      agent: profile,
      nowMs: clock.now(),
      roomId: turn.roomId,
      roomName: undefined,
      threadRoot: turn.threadRoot,
      peers: environment.peersIn(turn.roomId, turn.responder),
    });
    const modelName = models.modelNameFor({
      entity: turn.responder,
      roomId: turn.roomId,
      threadRoot: turn.threadRoot,
    });
    const model = models.model(modelName);
    const tracker = store.turns;
    const startedAt = clock.now();
    const outcome = await runAgentTurn(
      {
        agent: profile,
        model,
        system,
        messages,
        tools: environment.toolsFor(turn.responder),
        roomId: asRoomId(turn.roomId),
        threadRoot: threadMode === 'room' ? undefined : asEventId(turn.threadRoot),
        sourceEventId: asEventId(turn.sourceEventId),
        requester: turn.requester,
        txnPrefix: txnPrefixFor(turn.responder, turn.sourceEventId),
        generation: turn.generation,
        existingReplyId: turn.replyEventId === undefined ? undefined : asEventId(turn.replyEventId),
        recorder: {
          recordReply: (replyId) => {
            tracker.recordReply(turn.responder, turn.sourceEventId, replyId);
          },
          recordModel: (modelId) => {
            tracker.recordModel(turn.responder, turn.sourceEventId, modelId);
          },
          finish: (outcome: ReplyOutcome) => {
            tracker.finish(turn.responder, turn.sourceEventId, outcome);
          },
        },
        mentionsFor: (replyText) => environment.mentionsIn(replyText, turn.responder),
        preamble: attachments.notes.join('\n'),
        signal,
      },
      {
        outbox: bot.outbox,
        typing: client,
        clock,
        log: this.deps.log,
        recordUsage: (modelId, usage) => {
          store.usage.record({
            responder: turn.responder,
            roomId: turn.roomId,
            userId: turn.requester,
            model: modelId,
            inputTokens: usage.inputTokens,
            outputTokens: usage.outputTokens,
          });
          metrics.tokens.inc(
            { direction: 'input', responder: turn.responder, model: modelId },
            usage.inputTokens,
          );
          metrics.tokens.inc(
            { direction: 'output', responder: turn.responder, model: modelId },
            usage.outputTokens,
          );
        },
        onFirstVisible: () => {
          metrics.replyLatency.observe(Math.max(0, clock.now() - source.originTs) / 1000);
        },
      },
    );
    metrics.modelCalls.inc({ model: modelName, outcome });
    metrics.repliesSent.inc({ responder: turn.responder, outcome });
    this.deps.log.info('turn finished', {
      responder: turn.responder,
      source: turn.sourceEventId,
      outcome,
      durationMs: clock.now() - startedAt,
    });
  }
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
