import type { ChatMessage, ChatModel, ChatRequest, ToolCall, Usage } from '../llm/index.js';
import type { TypingIndicator } from '../matrix/index.js';
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
import { ReplyStream, type ReplyOutbox, type ReplyOutcome } from './reply-stream.js';
import type { ToolRunner } from './tool-runner.js';
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
  readonly outbox: ReplyOutbox;
  readonly typing: TypingIndicator;
  readonly clock: Clock;
  readonly log: Logger;
  readonly recordUsage: (modelId: string, usage: Usage) => void;
  /** Called when the first reply text becomes visible. */
  readonly onFirstVisible?: () => void;
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
  let outputTokens = 0;
  const countingDeps: AgentTurnDeps = {
    ...deps,
    recordUsage: (modelId, usage) => {
      outputTokens += usage.outputTokens;
      deps.recordUsage(modelId, usage);
    },
  };
  const reply = new ReplyStream({
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
  const trace: ToolTraceEntry[] = [];
  let answer = '';
  const preamble =
    input.preamble === undefined || input.preamble === '' ? '' : `${input.preamble.trim()}\n\n`;
  const visible = (): string => preamble + formatToolTrace(trace) + answer;
  const typing = startTyping(deps, input.roomId, log);

  let ending: Ending;
  try {
    const messages: ChatMessage[] = [...input.messages];
    for (let iteration = 1; ; iteration++) {
      input.signal.throwIfAborted();
      const mayUseTools = input.tools !== undefined && input.tools.definitions.length > 0;
      const request: ChatRequest = {
        system: input.system,
        messages,
        ...(mayUseTools && iteration <= MAX_TOOL_ITERATIONS
          ? { tools: input.tools.definitions }
          : {}),
      };
      const before = answer;
      const step = await callModel(input, request, countingDeps, (text) => {
        answer = before + text;
        typing.stop();
        reply.update(visible());
      });
      answer = before + step.text;
      if (
        step.toolCalls.length === 0 ||
        input.tools === undefined ||
        iteration > MAX_TOOL_ITERATIONS
      )
        break;
      messages.push({ role: 'assistant', content: step.text, toolCalls: step.toolCalls });
      for (const call of step.toolCalls) {
        const result = await input.tools.run(call, {
          agentName: input.agent.name,
          roomId: input.roomId,
          threadRoot: input.threadRoot,
          requester: input.requester,
          sourceEventId: input.sourceEventId,
          signal: input.signal,
        });
        trace.push({
          name: call.name,
          argumentsJson: call.argumentsJson,
          result: result.content,
          isError: result.isError,
        });
        reply.setDetails(toolTraceDetails(trace));
        messages.push({
          role: 'tool',
          toolCallId: call.id,
          content: result.content,
          isError: result.isError,
        });
      }
      if (answer.length > 0 && !answer.endsWith('\n')) answer += '\n\n';
      reply.update(visible());
    }
    ending = { outcome: 'completed', text: visible() };
  } catch (error: unknown) {
    ending = classifyFailure(error, input.signal, visible(), log);
  }
  typing.stop();

  // Writing the reply may fail only on the Matrix side; that rejects and the turn stays open.
  if (ending.outcome === 'superseded') {
    await reply.abandon();
    return { outcome: 'superseded', answer, outputTokens };
  }
  await reply.finish(ending.text, ending.outcome);
  input.recorder.finish(ending.outcome);
  return { outcome: ending.outcome, answer, outputTokens };
}

type Ending = { readonly outcome: TurnOutcome; readonly text: string };

interface StepResult {
  readonly text: string;
  readonly toolCalls: readonly ToolCall[];
}

async function callModel(
  input: AgentTurnInput,
  request: ChatRequest,
  deps: AgentTurnDeps,
  onText: (textSoFar: string) => void,
): Promise<StepResult> {
  if (!input.agent.isStreaming) {
    const response = await input.model.complete(request, { signal: input.signal });
    input.recorder.recordModel(response.modelId);
    if (response.usage !== undefined) deps.recordUsage(response.modelId, response.usage);
    return { text: response.text, toolCalls: response.toolCalls };
  }
  let text = '';
  const toolCalls: ToolCall[] = [];
  let usage: Usage | undefined;
  for await (const event of input.model.stream(request, { signal: input.signal })) {
    switch (event.type) {
      case 'text_delta':
        text += event.text;
        onText(text);
        break;
      case 'tool_call':
        toolCalls.push(event.toolCall);
        break;
      case 'usage':
        usage = event.usage;
        break;
      case 'done':
        input.recorder.recordModel(event.modelId);
        if (usage !== undefined) deps.recordUsage(event.modelId, usage);
        break;
    }
  }
  return { text, toolCalls };
}

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
  return { outcome: 'failed', text };
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
  let isShown = false;
  let isStopped = false;
  const send = (on: boolean): void => {
    deps.typing.setTyping(roomId, on, 30_000).catch((error: unknown) => {
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
