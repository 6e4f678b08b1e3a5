import {
  callChatModel,
  type ChatMessage,
  type ChatModel,
  type ChatRequest,
  type ToolCall,
  type Usage,
} from '../llm/index.js';
import type { TypingIndicator } from '../matrix/index.js';
import type { ToolCallContext, ToolRunner } from '../tools/index.js';
import {
  abortKindOf,
  asDaemonError,
  isAbortError,
  type Clock,
  type EventId,
  type Logger,
  type RoomId,
  type UserId,
} from '../shared/index.js';
import type { AgentProfile } from './agent-profile.js';
import {
  ReplyStream,
  type ReplyOutbox,
  type ReplyOutcome,
  type ReplySink,
} from './reply-stream.js';
import { formatToolTrace, toolTraceDetails, type ToolTraceEntry } from './tool-trace.js';

/** Most model calls in one turn (each call after the first answers tool results). */
export const MAX_TOOL_ITERATIONS = 10;

/** Records the turn's progress (the ResponseTracker implements it). */
export interface TurnRecorder {
  recordReply(replyEventId: string): void;
  recordModel(modelId: string): void;
  finish(outcome: ReplyOutcome): void;
}

export interface AgentTurnDeps {
  /** Where the reply goes; undefined: a Matrix message from `outbox` (see `AgentTurnInput`). */
  readonly reply?: ReplySink;
  readonly outbox?: ReplyOutbox;
  /** Shows "typing…" while the model thinks; none for replies outside Matrix. */
  readonly typing?: TypingIndicator;
  readonly clock: Clock;
  readonly log: Logger;
  readonly recordUsage: (modelId: string, usage: Usage) => void;
  /** Called when the first reply text becomes visible. */
  readonly onFirstVisible?: () => void;
  /**
   * Receives the model's answer so far (without tool trace or notes) whenever it grows, for
   * sinks that stream only the answer (an API response).
   */
  readonly onAnswer?: (answerSoFar: string) => void;
}

export interface AgentTurnInput {
  readonly agent: AgentProfile;
  readonly model: ChatModel;
  readonly system: string;
  /** History plus the message being answered, oldest first. */
  readonly messages: readonly ChatMessage[];
  readonly tools: ToolRunner | undefined;
  readonly roomId: RoomId;
  /** The thread to reply in (`undefined` for an agent in room mode). */
  readonly threadRoot: EventId | undefined;
  readonly sourceEventId: EventId;
  readonly requester: string;
  readonly txnPrefix: string;
  readonly generation: number;
  readonly existingReplyId: EventId | undefined;
  readonly recorder: TurnRecorder;
  readonly mentionsFor?: (text: string) => readonly UserId[];
  /** Markdown shown at the top of the reply (notes about attachments the agent could not read). */
  readonly preamble?: string;
  /** Most tool calls run from one model answer; the rest are answered with an error. */
  readonly maxToolCallsPerStep?: number;
  readonly signal: AbortSignal;
}

/** How the turn ended; `superseded` means a newer generation will write the final text. */
export type TurnOutcome = ReplyOutcome | 'superseded';

/** What a turn produced: how it ended, the model's answer text, and its output tokens. */
export interface TurnResult {
  readonly outcome: TurnOutcome;
  /** The model's answer (without the tool trace and notes shown around it). */
  readonly answer: string;
  /** Output tokens the model reported over the whole turn (0 when unknown). */
  readonly outputTokens: number;
  /** For `failed`: the short message shown to the person (no secrets, no internals). */
  readonly failure?: string;
}

const GENERIC_FAILURE = 'Sorry, something went wrong while I was answering. Please try again.';

/**
 * Runs one agent turn for one source event: calls the model (streaming when the agent
 * streams), runs tool calls for up to `MAX_TOOL_ITERATIONS` model calls, and writes one reply
 * whose text becomes final exactly once. Aborting `signal` ends the turn by its reason:
 * `stopped` and `shutdown` write a final edit saying so, `superseded` leaves the reply to
 * the regenerating turn. A model failure becomes a short message in the reply. Rejects only
 * when the reply itself cannot be written (the homeserver is unreachable); the turn then
 * stays open for recovery.
 */
export async function runAgentTurn(
  input: AgentTurnInput,
  deps: AgentTurnDeps,
): Promise<TurnResult> {
  const log = deps.log.child({ agent: input.agent.name, source: input.sourceEventId });
  const reply = deps.reply ?? openReply(input, deps, log);
  const progress = new TurnProgress(input.preamble);
  const typing = startTyping(deps, input.roomId, log);
  let ending: Ending;
  try {
    await runToolLoop(input, deps, {
      progress,
      onVisible: () => {
        typing.stop();
        reply.update(progress.visible());
        deps.onAnswer?.(progress.answer);
      },
      onTrace: () => {
        reply.setDetails(toolTraceDetails(progress.trace));
      },
    });
    ending = { outcome: 'completed', text: progress.visible() };
  } catch (error: unknown) {
    ending = classifyFailure(error, input.signal, progress.visible(), log);
  }
  typing.stop();

  // Writing the reply may fail only on the Matrix side; that rejects and the turn stays open.
  const result = {
    answer: progress.answer,
    outputTokens: progress.outputTokens,
    ...(ending.failure === undefined ? {} : { failure: ending.failure }),
  };
  if (ending.outcome === 'superseded') {
    await reply.abandon();
    return { outcome: 'superseded', ...result };
  }
  await reply.finish(ending.text, ending.outcome);
  input.recorder.finish(ending.outcome);
  return { outcome: ending.outcome, ...result };
}

/** The reply message of a turn, editing an earlier one when the turn resumes or regenerates. */
function openReply(input: AgentTurnInput, deps: AgentTurnDeps, log: Logger): ReplyStream {
  if (deps.outbox === undefined) throw new Error('a turn needs an outbox or a reply sink');
  return new ReplyStream({
    outbox: deps.outbox,
    clock: deps.clock,
    log,
    roomId: input.roomId,
    threadRoot: input.threadRoot,
    sourceEventId: input.sourceEventId,
    txnPrefix: input.txnPrefix,
    generation: input.generation,
    existingReplyId: input.existingReplyId,
    isStreaming: input.agent.isStreaming,
    useMarkdown: input.agent.useMarkdown,
    showStopButton: input.agent.showStopButton,
    onReplySent: (id) => {
      input.recorder.recordReply(id);
    },
    ...(input.mentionsFor === undefined ? {} : { mentionsFor: input.mentionsFor }),
    ...(deps.onFirstVisible === undefined ? {} : { onFirstVisible: deps.onFirstVisible }),
  });
}

/** What a turn has produced so far: the answer, the tool trace, and the tokens spent. */
class TurnProgress {
  answer = '';
  outputTokens = 0;
  readonly trace: ToolTraceEntry[] = [];
  private readonly preamble: string;

  constructor(preamble: string | undefined) {
    this.preamble = preamble === undefined || preamble === '' ? '' : `${preamble.trim()}\n\n`;
  }

  /** The reply text people see: the preamble, the tool trace, then the answer. */
  visible(): string {
    return this.preamble + formatToolTrace(this.trace) + this.answer;
  }
}

/** How the tool loop reports progress to the reply. */
interface LoopHooks {
  readonly progress: TurnProgress;
  /** The visible text changed. */
  readonly onVisible: () => void;
  /** A tool call finished (the trace grew). */
  readonly onTrace: () => void;
}

/**
 * Calls the model, then runs the tools it asked for and calls it again with their results,
 * for at most `MAX_TOOL_ITERATIONS` rounds of tools; the last call is offered no tools.
 */
async function runToolLoop(
  input: AgentTurnInput,
  deps: AgentTurnDeps,
  hooks: LoopHooks,
): Promise<void> {
  const { progress } = hooks;
  const messages: ChatMessage[] = [...input.messages];
  for (let iteration = 1; ; iteration++) {
    input.signal.throwIfAborted();
    const tools = input.tools;
    const mayUseTools = tools !== undefined && tools.definitions.length > 0;
    const request: ChatRequest = {
      system: input.system,
      messages,
      ...(mayUseTools && iteration <= MAX_TOOL_ITERATIONS ? { tools: tools.definitions } : {}),
    };
    const before = progress.answer;
    const response = await callChatModel(input.model, request, {
      signal: input.signal,
      onText: input.agent.isStreaming
        ? (text) => {
            progress.answer = before + text;
            hooks.onVisible();
          }
        : undefined,
    });
    input.recorder.recordModel(response.modelId);
    if (response.usage !== undefined) {
      progress.outputTokens += response.usage.outputTokens;
      deps.recordUsage(response.modelId, response.usage);
    }
    progress.answer = before + response.text;
    if (response.toolCalls.length === 0 || tools === undefined || iteration > MAX_TOOL_ITERATIONS)
      return;
    messages.push({ role: 'assistant', content: response.text, toolCalls: response.toolCalls });
    messages.push(...(await runToolCalls(input, tools, response.toolCalls, hooks)));
    if (progress.answer.length > 0 && !progress.answer.endsWith('\n')) progress.answer += '\n\n';
    hooks.onVisible();
  }
}

/**
 * Runs one step's tool calls in order, at most `maxToolCallsPerStep` of them (every call still
 * gets a result, as the providers require); each result goes to the trace and back to the model.
 */
async function runToolCalls(
  input: AgentTurnInput,
  tools: ToolRunner,
  calls: readonly ToolCall[],
  hooks: LoopHooks,
): Promise<ChatMessage[]> {
  const context: ToolCallContext = {
    agentName: input.agent.name,
    roomId: input.roomId,
    threadRoot: input.threadRoot,
    requester: input.requester,
    sourceEventId: input.sourceEventId,
    signal: input.signal,
  };
  const results: ChatMessage[] = [];
  const limit = input.maxToolCallsPerStep ?? Number.POSITIVE_INFINITY;
  for (const [index, call] of calls.entries()) {
    const result =
      index < limit
        ? await tools.run(call, context)
        : {
            content: `Error: not run: at most ${limit} tool calls are run from one answer; make the rest in your next answer if they are still needed.`,
            isError: true,
          };
    hooks.progress.trace.push({
      name: call.name,
      argumentsJson: call.argumentsJson,
      result: result.content,
      isError: result.isError,
    });
    hooks.onTrace();
    results.push({
      role: 'tool',
      toolCallId: call.id,
      content: result.content,
      isError: result.isError,
    });
  }
  return results;
}

type Ending = {
  readonly outcome: TurnOutcome;
  readonly text: string;
  readonly failure?: string;
};

/** How a turn that threw ends: by its abort reason, or with a short message for the person. */
function classifyFailure(
  error: unknown,
  signal: AbortSignal,
  visible: string,
  log: Logger,
): Ending {
  if (signal.aborted || isAbortError(error)) {
    const kind = abortKindOf(signal);
    if (kind === 'superseded') return { outcome: 'superseded', text: visible };
    const outcome: ReplyOutcome = kind === 'stopped' ? 'stopped' : 'interrupted';
    log.info('turn ended early', { outcome });
    return { outcome, text: visible };
  }
  const daemonError = asDaemonError(error);
  if (daemonError?.kind === 'upstream' || daemonError?.kind === 'config') {
    log.warn('turn failed', { error });
  } else {
    log.error('turn failed', { error });
  }
  const userText = daemonError?.userMessage ?? GENERIC_FAILURE;
  const text = visible.trim().length > 0 ? `${visible}\n\n⚠️ ${userText}` : `⚠️ ${userText}`;
  return { outcome: 'failed', text, failure: userText };
}

interface TypingHandle {
  stop(): void;
}

/** How long a turn waits for its first text before showing the typing indicator. */
export const TYPING_DELAY_MS = 250;

/**
 * Shows "typing…" while the model thinks, but only once it has taken `TYPING_DELAY_MS`:
 * a fast answer needs no indicator, and every typing notification wakes the syncs of
 * everyone in the room.
 */
function startTyping(deps: AgentTurnDeps, roomId: RoomId, log: Logger): TypingHandle {
  const indicator = deps.typing;
  if (indicator === undefined) return { stop: () => undefined };
  let isShown = false;
  let isStopped = false;
  const send = (on: boolean): void => {
    indicator.setTyping(roomId, on, 30_000).catch((error: unknown) => {
      log.debug('typing notification failed', { error });
    });
  };
  const timer = setTimeout(() => {
    if (isStopped) return;
    isShown = true;
    send(true);
  }, TYPING_DELAY_MS);
  timer.unref();
  return {
    stop: () => {
      if (isStopped) return;
      isStopped = true;
      clearTimeout(timer);
      if (isShown) send(false);
    },
  };
}
