import type { ChatMessage, Usage } from '../llm/index.js';
import {
  DaemonError,
  asEventId,
  describeError,
  isAbortError,
  type Clock,
  type Logger,
  type QuorumMetrics,
  type RoomId,
} from '../shared/index.js';
import type { ToolRunner } from '../tools/index.js';
import type { AgentProfile } from './agent-profile.js';
import { runAgentTurn, type TurnOutcome, type TurnRecorder } from './agent-turn.js';
import type { ContextProvider, PromptSection } from './context-provider.js';
import type { ModelProvider } from './model-choice.js';
import {
  PROMPT_SHARES,
  byteLength,
  fitHistory,
  fitSections,
  truncateBytes,
} from './prompt-budget.js';
import { buildSystemPrompt } from './prompt-builder.js';
import type { ReplySink } from './reply-stream.js';
import { usageRecorder, type UsageSink } from './usage-recorder.js';

/**
 * Expected failures of a detached turn:
 * - `unknown_entity`: no agent or team by that name;
 * - `invalid_request`: nothing to answer (no user message);
 * - `upstream`: the model provider failed (`userMessage` says how, safely);
 * - `unavailable`: the entity exists but cannot answer now.
 */
export type DetachedTurnErrorCode =
  'unknown_entity' | 'invalid_request' | 'upstream' | 'unavailable';

/** An expected failure of a detached turn; `userMessage` is safe to show the caller. */
export class DetachedTurnError extends DaemonError<DetachedTurnErrorCode> {
  constructor(code: DetachedTurnErrorCode, message: string) {
    super(code, code === 'upstream' ? 'upstream' : 'config', message, { userMessage: message });
    this.name = 'DetachedTurnError';
  }
}

/** One message of a conversation held outside Matrix (an API client's). */
export interface DetachedMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

/** A turn outside any Matrix room: an OpenAI-compatible API request, an MCP `ask_<agent>`. */
export interface DetachedRequest {
  /** The agent or team that answers. */
  readonly entity: string;
  /** The conversation, oldest first; the last `user` message is the one to answer. */
  readonly messages: readonly DetachedMessage[];
  /** Who asks, for usage and memories (`key-<hash>`, `mcp`); never a secret. */
  readonly caller: string;
  /** The conversation's key (stands in for the thread: context providers use it). */
  readonly sessionId: string;
  /** Where the conversation happens, for the prompt (`the OpenAI-compatible API`). */
  readonly channel: string;
  readonly signal: AbortSignal;
  /** Receives the answer so far as it grows (streaming). */
  readonly onText?: (answerSoFar: string) => void;
}

/** What a detached turn produced. */
export interface DetachedResult {
  readonly text: string;
  /** `completed`, or how it was cut (`stopped`, `interrupted`). */
  readonly outcome: TurnOutcome;
  readonly inputTokens: number;
  readonly outputTokens: number;
}

export interface DetachedAgentRunnerDeps {
  readonly profile: (name: string) => AgentProfile | undefined;
  readonly models: ModelProvider;
  /** The agent's tools where nobody can approve or answer a card (no Matrix room). */
  readonly tools: (name: string) => ToolRunner | undefined;
  readonly context: readonly ContextProvider[];
  readonly usage: UsageSink;
  readonly metrics: QuorumMetrics;
  readonly maxPromptBytes: () => number;
  readonly maxToolCallsPerStep: () => number;
  readonly clock: Clock;
  readonly log: Logger;
}

/** The room id detached turns use for usage records and tool contexts. */
export const DETACHED_ROOM = 'detached';

/**
 * A detached turn has no Matrix room: this stand-in (deliberately without the `!` sigil, so
 * it is no room id) never reaches a homeserver: the reply goes to a sink, and tools that act
 * in a room refuse a room id that is not one.
 */
const NO_ROOM = DETACHED_ROOM as RoomId;

/**
 * Runs one agent on a conversation held outside Matrix: the agent's instructions, tools and
 * context providers (memory, knowledge) as in a room, a prompt within the byte budget, usage
 * recorded for the caller. Tools that need a person's approval or a Matrix room are not
 * offered or are refused (see `deps.tools`). Rejects with a `DetachedTurnError` for an
 * expected failure, with the signal's reason when aborted.
 */
export class DetachedAgentRunner {
  constructor(private readonly deps: DetachedAgentRunnerDeps) {}

  async run(request: DetachedRequest): Promise<DetachedResult> {
    const { deps } = this;
    const profile = deps.profile(request.entity);
    if (profile === undefined)
      throw new DetachedTurnError('unknown_entity', `There is no agent called ${request.entity}.`);
    const prompt = await this.prompt(request, profile);
    let inputTokens = 0;
    const record = usageRecorder(deps.usage, deps.metrics, {
      responder: request.entity,
      roomId: DETACHED_ROOM,
      requester: request.caller,
    });
    const sink = collectingSink();
    const result = await runAgentTurn(
      {
        agent: profile,
        model: prompt.model,
        system: prompt.system,
        messages: prompt.messages,
        tools: deps.tools(request.entity),
        roomId: NO_ROOM,
        threadRoot: undefined,
        sourceEventId: asEventId(`$detached-${request.sessionId}`),
        requester: request.caller,
        txnPrefix: 'detached',
        generation: 0,
        existingReplyId: undefined,
        recorder: NO_RECORDER,
        maxToolCallsPerStep: deps.maxToolCallsPerStep(),
        signal: request.signal,
      },
      {
        reply: sink,
        clock: deps.clock,
        log: deps.log,
        recordUsage: (modelId: string, usage: Usage) => {
          inputTokens += usage.inputTokens;
          record(modelId, usage);
        },
        ...(request.onText === undefined ? {} : { onAnswer: request.onText }),
      },
    );
    deps.metrics.modelCalls.inc({ model: prompt.modelName, outcome: result.outcome });
    if (result.outcome === 'failed')
      throw new DetachedTurnError('upstream', result.failure ?? 'The model could not answer.');
    if (request.signal.aborted) throw toAbortError(request.signal);
    request.onText?.(result.answer);
    return {
      text: result.answer,
      outcome: result.outcome,
      inputTokens,
      outputTokens: result.outputTokens,
    };
  }

  /** The system prompt (with context and the client's own instructions) and the messages. */
  private async prompt(request: DetachedRequest, profile: AgentProfile) {
    const { deps } = this;
    const split = splitConversation(request.messages);
    if (split === undefined)
      throw new DetachedTurnError(
        'invalid_request',
        'The conversation has no user message to answer.',
      );
    const maxBytes = deps.maxPromptBytes();
    const requestText = truncateBytes(split.request, Math.floor(maxBytes * PROMPT_SHARES.request));
    const clientSection: PromptSection[] =
      split.instructions.length === 0
        ? []
        : [{ title: 'Instructions from the API client', body: split.instructions.join('\n\n') }];
    const sections = fitSections(
      [...(await this.contextSections(request, requestText)), ...clientSection],
      maxBytes,
    );
    const system = buildSystemPrompt({
      agent: profile,
      nowMs: deps.clock.now(),
      roomId: DETACHED_ROOM,
      roomName: undefined,
      threadRoot: request.sessionId,
      peers: [],
      extraSections: sections,
      channel: request.channel,
    });
    const history = fitHistory(
      split.history,
      Math.max(0, maxBytes - byteLength(system) - byteLength(requestText)),
    );
    const modelName = deps.models.modelNameFor({
      entity: request.entity,
      roomId: DETACHED_ROOM,
      threadRoot: request.sessionId,
    });
    const messages: ChatMessage[] = [...history, { role: 'user', content: requestText }];
    return { system, messages, modelName, model: deps.models.model(modelName) };
  }

  private async contextSections(request: DetachedRequest, text: string): Promise<PromptSection[]> {
    const contextRequest = {
      entity: request.entity,
      requester: request.caller,
      roomId: DETACHED_ROOM,
      threadRoot: request.sessionId,
      sourceEventId: request.sessionId,
      text,
    };
    const results = await Promise.all(
      this.deps.context.map(async (provider) => {
        try {
          return await provider.sectionsFor(contextRequest, { signal: request.signal });
        } catch (error: unknown) {
          if (request.signal.aborted || isAbortError(error)) throw error;
          this.deps.log.warn('a context provider failed; the turn goes on without it', {
            provider: provider.name,
            error: describeError(error),
          });
          return [];
        }
      }),
    );
    return results.flat();
  }
}

/**
 * The conversation as the model sees it: the client's system messages become instructions,
 * the last user message is the request, everything before it is history (`Name: text` is not
 * used: an API conversation has one person).
 */
function splitConversation(
  messages: readonly DetachedMessage[],
): { instructions: string[]; history: ChatMessage[]; request: string } | undefined {
  const instructions = messages
    .filter((message) => message.role === 'system')
    .map((message) => message.content.trim())
    .filter((text) => text.length > 0);
  const turns = messages.filter((message) => message.role !== 'system');
  const last = turns.at(-1);
  if (last?.role !== 'user') return undefined;
  return { instructions, history: conversationHistory(turns.slice(0, -1)), request: last.content };
}

/**
 * An outside conversation's messages as model history: system messages left out (they are
 * the client's instructions), starting with a user message as models expect.
 */
export function conversationHistory(messages: readonly DetachedMessage[]): ChatMessage[] {
  const history = messages.flatMap((message): ChatMessage[] =>
    message.role === 'system' ? [] : [{ role: message.role, content: message.content }],
  );
  while (history[0]?.role === 'assistant') history.shift();
  return history;
}

/** A reply sink that only keeps the final text (a detached turn streams through `onAnswer`). */
function collectingSink(): ReplySink {
  return {
    update: () => undefined,
    setDetails: () => undefined,
    finish: () => Promise.resolve(),
    abandon: () => Promise.resolve(),
  };
}

const NO_RECORDER: TurnRecorder = {
  recordReply: () => undefined,
  recordModel: () => undefined,
  finish: () => undefined,
};

function toAbortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('aborted');
}
