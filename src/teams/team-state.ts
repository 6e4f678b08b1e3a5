/**
 * Team state: per room and thread, the current topic, the decisions made and the open
 * questions, updated by one cheap structured-output call after each reply and given to the
 * agents as prompt context. Stored by `storage/`'s TeamStateStore.
 */
import { parseJsonObject, type ChatModel, type ChatRequest } from '../llm/index.js';
import type { TeamStateSnapshot } from '../storage/index.js';
import {
  describeError,
  isAborted,
  startDeadline,
  systemClock,
  type Clock,
} from '../shared/index.js';

/** A state with nothing known yet. */
export const EMPTY_TEAM_STATE: TeamStateSnapshot = { topic: '', decisions: [], openQuestions: [] };
/** How long the extraction call may take. */
export const TEAM_STATE_TIMEOUT_MS = 20_000;
/** Most decisions and most open questions kept (the newest). */
export const TEAM_STATE_MAX_ITEMS = 10;
/** The title to give {@link formatTeamStateForPrompt}'s text as a prompt section. */
export const TEAM_STATE_PROMPT_TITLE = 'Conversation state';

const TOPIC_CHARS = 200;
const ITEM_CHARS = 300;
const EXCHANGE_CHARS = 4_000;

/** A message of the exchange the state is updated from. */
export interface ExchangeMessage {
  readonly senderName: string;
  readonly body: string;
}

/** Input of {@link extractTeamState}. */
export interface ExtractTeamStateInput {
  /** A cheap model (the router's, say). */
  readonly model: ChatModel;
  readonly previous: TeamStateSnapshot;
  /** The latest human message and the replies to it (members and team), oldest first. */
  readonly latestExchange: readonly ExchangeMessage[];
  readonly signal: AbortSignal;
  readonly clock?: Clock;
  /** Defaults to {@link TEAM_STATE_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
}

/** The new state, or the previous one kept with the reason. */
export type TeamStateExtraction =
  | { readonly kind: 'updated'; readonly state: TeamStateSnapshot }
  | { readonly kind: 'kept'; readonly state: TeamStateSnapshot; readonly reason: string };

/**
 * Updates `previous` from the latest exchange with one `json_schema` call. The answer is
 * cleaned (trimmed, deduplicated, clipped to {@link TEAM_STATE_MAX_ITEMS} items each);
 * a field the model left out or got wrong keeps its previous value. Any failure (model
 * error, timeout, abort, an answer without a usable field) resolves `kept` with the previous
 * state. Never rejects, so it can run as a background task after a reply.
 */
export async function extractTeamState(input: ExtractTeamStateInput): Promise<TeamStateExtraction> {
  const kept = (reason: string): TeamStateExtraction => ({
    kind: 'kept',
    state: input.previous,
    reason,
  });
  if (input.signal.aborted) return kept('aborted');
  const timeoutMs = input.timeoutMs ?? TEAM_STATE_TIMEOUT_MS;
  const deadline = startDeadline(input.signal, timeoutMs, input.clock ?? systemClock);
  let text: string;
  try {
    text = (await input.model.complete(extractionRequest(input), { signal: deadline.signal })).text;
  } catch (error: unknown) {
    if (deadline.hasExpired) return kept(`timed out after ${timeoutMs} ms`);
    if (isAborted(input.signal)) return kept('aborted');
    return kept(`model failed: ${describeError(error)}`);
  } finally {
    deadline.cleanup();
  }
  const json = parseJsonObject(text);
  if (json === undefined) return kept('the answer was not JSON');
  const topic =
    typeof json['topic'] === 'string' ? clip(json['topic'].trim(), TOPIC_CHARS) : undefined;
  const decisions = stringItems(json['decisions']);
  const openQuestions = stringItems(json['open_questions'] ?? json['openQuestions']);
  if (topic === undefined && decisions === undefined && openQuestions === undefined) {
    return kept('the answer had no usable field');
  }
  return {
    kind: 'updated',
    state: {
      topic: topic ?? input.previous.topic,
      decisions: decisions ?? input.previous.decisions,
      openQuestions: openQuestions ?? input.previous.openQuestions,
    },
  };
}

/**
 * The state as a prompt section body (title: {@link TEAM_STATE_PROMPT_TITLE}), or
 * `undefined` when nothing is known yet.
 */
export function formatTeamStateForPrompt(state: TeamStateSnapshot): string | undefined {
  const lines: string[] = [];
  if (state.topic.length > 0) lines.push(`Topic: ${state.topic}`);
  if (state.decisions.length > 0) {
    lines.push('Decisions made:', ...state.decisions.map((decision) => `- ${decision}`));
  }
  if (state.openQuestions.length > 0) {
    lines.push('Open questions:', ...state.openQuestions.map((question) => `- ${question}`));
  }
  return lines.length > 0 ? lines.join('\n') : undefined;
}

/** The JSON schema of an extraction answer. */
export const TEAM_STATE_SCHEMA: Readonly<Record<string, unknown>> = {
  type: 'object',
  properties: {
    topic: { type: 'string', description: 'What the conversation is about now, in a few words.' },
    decisions: {
      type: 'array',
      items: { type: 'string' },
      description: 'Decisions made so far, oldest first, one short sentence each.',
    },
    open_questions: {
      type: 'array',
      items: { type: 'string' },
      description: 'Questions still open, oldest first, one short sentence each.',
    },
  },
  required: ['topic', 'decisions', 'open_questions'],
  additionalProperties: false,
};

function extractionRequest(input: ExtractTeamStateInput): ChatRequest {
  const system =
    'You keep notes on a conversation between people and AI agents. Given the previous notes ' +
    'and the latest exchange, return the updated notes as JSON: the current topic, the ' +
    'decisions made (keep earlier ones unless revised), and the open questions (drop the ' +
    `answered ones). At most ${TEAM_STATE_MAX_ITEMS} decisions and ${TEAM_STATE_MAX_ITEMS} ` +
    'questions, one short sentence each. Record only what the conversation says.';
  const previous = JSON.stringify({
    topic: input.previous.topic,
    decisions: input.previous.decisions,
    open_questions: input.previous.openQuestions,
  });
  const exchange = input.latestExchange
    .map((message) => `${message.senderName}: ${clip(message.body, EXCHANGE_CHARS)}`)
    .join('\n\n');
  return {
    system,
    messages: [
      { role: 'user', content: `Previous notes:\n${previous}\n\nLatest exchange:\n${exchange}` },
    ],
    responseFormat: {
      type: 'json_schema',
      name: 'team_state',
      schema: TEAM_STATE_SCHEMA,
      strict: true,
    },
  };
}

/** A cleaned list of strings, or undefined when `value` is not an array. */
function stringItems(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const items = value
    .filter((item): item is string => typeof item === 'string')
    .map((item) => clip(item.trim(), ITEM_CHARS))
    .filter((item) => item.length > 0);
  return [...new Set(items)].slice(-TEAM_STATE_MAX_ITEMS);
}

function clip(text: string, maxChars: number): string {
  return text.length <= maxChars ? text : `${text.slice(0, maxChars)}…`;
}
