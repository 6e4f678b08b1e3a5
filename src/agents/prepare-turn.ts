import type { ChatMessage, ChatModel, Usage } from '../llm/index.js';
import {
  describeError,
  isAbortError,
  type Clock,
  type Logger,
  type QuorumMetrics,
} from '../shared/index.js';
import type { JournalEntry, TurnRecord } from '../storage/index.js';
import type { AgentProfile } from './agent-profile.js';
import type { ContextProvider, PromptSection } from './context-provider.js';
import { formatHandoffContext, type HandoffChain, type HandoffLedger } from './handoff.js';
import type { ModelProvider } from './model-choice.js';
import { buildSystemPrompt } from './prompt-builder.js';
import {
  PROMPT_SHARES,
  byteLength,
  fitHistory,
  fitSections,
  truncateBytes,
} from './prompt-budget.js';
import { buildThreadHistory, isRedacted, latestText, type ThreadReader } from './thread-history.js';
import type { FleetDirectory } from './turn-ports.js';
import { usageRecorder, type UsageSink } from './usage-recorder.js';

/** The journal as turn preparation reads it: events by id, threads and their edits. */
export interface TurnJournal extends ThreadReader {
  get(eventId: string): JournalEntry | undefined;
}

/** Who a turn speaks as: the profile the prompt describes, and the entity it runs for. */
export interface TurnSubject {
  readonly profile: AgentProfile;
  /** The entity whose model, room peers and usage count (the agent, or a team's poster). */
  readonly entity: string;
}

/**
 * Whose messages in a thread reach a turn's prompt: `isTrusted` senders as they are, others
 * left out (`exclude`) or labelled as untrusted (`label`, `quorum.include_untrusted_history`).
 */
export interface HistoryTrust {
  isTrusted(userId: string): boolean;
  readonly untrustedSenders: 'exclude' | 'label';
}

export interface PrepareTurnDeps {
  readonly journal: TurnJournal;
  /**
   * The history rule of a turn (the same authorization dispatch applies to messages);
   * absent: every sender is trusted (tests, tools without a fleet).
   */
  readonly historyTrust?: (turn: TurnRecord) => HistoryTrust;
  readonly directory: Pick<FleetDirectory, 'nameOf' | 'peersIn' | 'userIdOf'>;
  readonly models: ModelProvider;
  readonly handoffs: HandoffLedger;
  /** Sources of extra prompt sections (team state, later memory and knowledge). */
  readonly context: readonly ContextProvider[];
  readonly usage: UsageSink;
  readonly metrics: Pick<QuorumMetrics, 'tokens'>;
  /** Most bytes of prompt a turn sends (`quorum.limits.max_prompt_bytes`), read per turn. */
  readonly maxPromptBytes: () => number;
  /**
   * Most earlier messages this turn may see, below the agent's own setting (a schedule fire's
   * `history_limit`); `undefined`: no extra limit.
   */
  readonly historyLimitOf?: (turn: TurnRecord) => number | undefined;
  readonly clock: Clock;
  readonly log: Logger;
}

/** Who handed the conversation to the answering agent, and why. */
export interface HandoffNote {
  /** The readable name of the agent that handed over. */
  readonly fromName: string;
  readonly reason: string | undefined;
  readonly chain: HandoffChain;
}

/** Everything a single-agent or a team turn needs before its first model call. */
export interface PreparedTurn {
  readonly source: JournalEntry;
  /** The source, or its edit whose text the turn answers. */
  readonly version: JournalEntry;
  /** The request as the model sees it: `Name: text`, or the prompt the turn was given. */
  readonly request: string;
  /** The thread before the source, as model messages. */
  readonly history: ChatMessage[];
  readonly system: string;
  readonly modelName: string;
  readonly model: ChatModel;
  /** Set when another agent handed this conversation over. */
  readonly handoff: HandoffNote | undefined;
  /** Records a model call's usage for the turn's entity, room and requester. */
  readonly recordUsage: (modelId: string, usage: Usage) => void;
}

/**
 * Prepares one turn, the same way for an agent and a team: resolves the source (and the edit
 * it answers), the request text, the thread history, the context providers' sections, the
 * handoff note, the system prompt, the model choice and the usage recorder. The prompt stays
 * within `maxPromptBytes`: the request and each section are cut to their share, and the
 * oldest history is left out first. The history holds only senders `historyTrust` admits.
 * Undefined when the source is not in the journal, or was redacted (deleted text never
 * reaches a model, not even as the request).
 */
export async function prepareTurn(
  turn: TurnRecord,
  subject: TurnSubject,
  options: { readonly prompt?: string | undefined; readonly signal: AbortSignal },
  deps: PrepareTurnDeps,
): Promise<PreparedTurn | undefined> {
  const source = deps.journal.get(turn.sourceEventId);
  const version = deps.journal.get(turn.sourceVersion) ?? source;
  if (source === undefined || version === undefined) return undefined;
  if (isRedacted(source)) {
    deps.log.info('the message a turn answers was deleted; the turn does not run', {
      responder: turn.responder,
      source: turn.sourceEventId,
    });
    return undefined;
  }
  const { directory } = deps;
  // The model is chosen when the turn starts, before anything is awaited: a `!model` that
  // dispatch handles right after the message applies to the next turn, not this one.
  const scope = { entity: subject.entity, roomId: turn.roomId, threadRoot: turn.threadRoot };
  const modelName = deps.models.modelNameFor(scope);
  const maxBytes = deps.maxPromptBytes();
  const request = truncateBytes(
    options.prompt ?? `${directory.nameOf(turn.requester)}: ${sourceText(source, version)}`,
    Math.floor(maxBytes * PROMPT_SHARES.request),
  );
  const fullHistory = threadHistoryFor(turn, subject, deps);
  const handoff = handoffNoteFor(turn, subject.entity, deps);
  const sections = [
    ...fitSections(
      await contextSections(turn, subject.entity, request, options.signal, deps),
      maxBytes,
    ),
    ...(handoff === undefined
      ? []
      : [
          {
            title: 'Handoff',
            body: formatHandoffContext({
              fromDisplayName: handoff.fromName,
              reason: handoff.reason ?? '',
              chain: handoff.chain,
            }),
          },
        ]),
  ];
  const system = buildSystemPrompt({
    agent: subject.profile,
    nowMs: deps.clock.now(),
    roomId: turn.roomId,
    roomName: undefined,
    threadRoot: turn.threadRoot,
    peers: directory.peersIn(turn.roomId, subject.entity),
    extraSections: sections,
  });
  const history = fitHistory(
    fullHistory,
    Math.max(0, maxBytes - byteLength(system) - byteLength(request)),
  );
  return {
    source,
    version,
    request,
    history,
    system,
    modelName,
    model: deps.models.model(modelName),
    handoff,
    recordUsage: usageRecorder(deps.usage, deps.metrics, {
      responder: subject.entity,
      roomId: turn.roomId,
      requester: turn.requester,
      threadRoot: turn.threadRoot,
    }),
  };
}

/** The thread before the source as model messages, through the turn's trust rule. */
function threadHistoryFor(
  turn: TurnRecord,
  subject: TurnSubject,
  deps: PrepareTurnDeps,
): ChatMessage[] {
  const trust = deps.historyTrust?.(turn);
  return buildThreadHistory(deps.journal, {
    roomId: turn.roomId,
    threadRoot: turn.threadRoot,
    sourceEventId: turn.sourceEventId,
    selfUserId: subject.profile.userId,
    // A schedule's fire may ask for less history than the agent keeps.
    maxMessages: Math.min(
      subject.profile.historyMessages,
      deps.historyLimitOf?.(turn) ?? Number.POSITIVE_INFINITY,
    ),
    nameOf: (userId) => deps.directory.nameOf(userId),
    ...(trust === undefined
      ? {}
      : {
          isTrusted: (userId: string) => trust.isTrusted(userId),
          untrustedSenders: trust.untrustedSenders,
        }),
  });
}

/** The text of the source, or of its edit that the turn answers. */
export function sourceText(source: JournalEntry, version: JournalEntry): string {
  return version.eventId === source.eventId
    ? latestText(source, [])
    : latestText(source, [version]);
}

/** The one-line note shown at the top of a reply to a handoff. */
export function handoffPreamble(note: HandoffNote | undefined): string | undefined {
  if (note === undefined) return undefined;
  return `_${note.fromName} handed this over${note.reason === undefined ? '' : `: ${note.reason}`}_`;
}

function handoffNoteFor(
  turn: TurnRecord,
  entity: string,
  deps: PrepareTurnDeps,
): HandoffNote | undefined {
  const chain = deps.handoffs.chain(turn.roomId, turn.threadRoot, turn.sourceEventId, entity);
  const from = chain.current === entity ? chain.agents.at(-2) : undefined;
  if (from === undefined) return undefined;
  return {
    fromName: deps.directory.nameOf(deps.directory.userIdOf(from)),
    reason: deps.handoffs.reasonFor(turn.roomId, turn.threadRoot, turn.sourceEventId, entity),
    chain,
  };
}

/** Every provider's sections, in provider order; a failing provider is logged and skipped. */
async function contextSections(
  turn: TurnRecord,
  entity: string,
  text: string,
  signal: AbortSignal,
  deps: PrepareTurnDeps,
): Promise<PromptSection[]> {
  const request = {
    entity,
    requester: turn.requester,
    roomId: turn.roomId,
    threadRoot: turn.threadRoot,
    sourceEventId: turn.sourceEventId,
    text,
  };
  const results = await Promise.all(
    deps.context.map(async (provider) => {
      try {
        return await provider.sectionsFor(request, { signal });
      } catch (error: unknown) {
        if (signal.aborted || isAbortError(error)) throw error;
        deps.log.warn('a context provider failed; the turn goes on without it', {
          provider: provider.name,
          error: describeError(error),
        });
        return [];
      }
    }),
  );
  return results.flat();
}
