/**
 * The router model's one decision: which of several candidates answers a message that
 * mentions nobody. One structured-output call, parsed leniently and validated against the
 * candidates, under a short deadline; anything else is a `failed` value for the policy.
 */
import { parseJsonObject, type ChatModel, type ChatRequest } from '../llm/index.js';
import { describeError, startDeadline, systemClock, type Clock } from '../shared/index.js';

/** How long the router model may take before routing falls back. */
export const ROUTER_TIMEOUT_MS = 10_000;
/** Most earlier messages shown to the router model. */
export const ROUTER_RECENT_LIMIT = 5;

/** An agent or team the router may pick, described the way the router model sees it. */
export interface RouteCandidate {
  /** Config key (`calc`); the value the model must answer with. */
  readonly name: string;
  readonly displayName: string;
  readonly kind: 'agent' | 'team';
  readonly role: string;
  /** Tool names (agents) or member names (teams), to hint at what the candidate can do. */
  readonly tools: readonly string[];
  readonly description?: string;
}

/** A message as the router model sees it: who wrote it and its text. */
export interface RouteMessage {
  readonly senderName: string;
  readonly body: string;
}

/** The router model's answer: a valid candidate with its reason, or why there is none. */
export type RouterChoice =
  | { readonly kind: 'chosen'; readonly name: string; readonly reason: string }
  | { readonly kind: 'failed'; readonly reason: string };

/** Input of {@link chooseResponder}. */
export interface ChooseResponderInput {
  readonly model: ChatModel;
  readonly message: RouteMessage;
  /** Earlier messages of the thread or room, oldest first; only the last few are used. */
  readonly recent: readonly RouteMessage[];
  /** At least one; names must be unique. */
  readonly candidates: readonly RouteCandidate[];
  /** The caller's signal (shutdown, stop). */
  readonly signal: AbortSignal;
  /** Times the deadline; defaults to the system clock. */
  readonly clock?: Clock;
  /** Defaults to {@link ROUTER_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
}

const MESSAGE_CHARS = 4_000;
const RECENT_CHARS = 500;

/**
 * Asks `model` which candidate should answer `message`, with one `json_schema` call whose
 * `agent` field is an enum of the candidate names. The answer is accepted when it names a
 * candidate: by name or display name, with or without `@` or a `:server` suffix, in any case,
 * inside prose or code fences. A model error, a timeout (`timeoutMs`) or an answer naming
 * no candidate resolves `{ kind: 'failed' }`; never throws for those. Rejects only with the
 * caller's abort reason when `signal` aborts.
 */
export async function chooseResponder(input: ChooseResponderInput): Promise<RouterChoice> {
  input.signal.throwIfAborted();
  const timeoutMs = input.timeoutMs ?? ROUTER_TIMEOUT_MS;
  const deadline = startDeadline(input.signal, timeoutMs, input.clock ?? systemClock);
  let text: string;
  try {
    const response = await input.model.complete(routerRequest(input), {
      signal: deadline.signal,
    });
    text = response.text;
  } catch (error: unknown) {
    if (deadline.hasExpired) {
      return { kind: 'failed', reason: `the router model took longer than ${timeoutMs} ms` };
    }
    input.signal.throwIfAborted();
    return { kind: 'failed', reason: `the router model failed: ${describeError(error)}` };
  } finally {
    deadline.cleanup();
  }
  return interpretRouterAnswer(text, input.candidates);
}

/**
 * Reads the router model's text: a JSON object with `agent` (or `name`/`responder`) and
 * `reason`, or, from models that ignore the format, a bare candidate name. Pure.
 */
export function interpretRouterAnswer(
  text: string,
  candidates: readonly RouteCandidate[],
): RouterChoice {
  const json = parseJsonObject(text);
  let named: unknown;
  let reason = '';
  if (json !== undefined) {
    named = json['agent'] ?? json['name'] ?? json['responder'];
    if (typeof json['reason'] === 'string') reason = json['reason'].trim();
  } else if (text.trim().length > 0 && text.trim().length <= 80 && !text.includes('\n')) {
    named = text.trim().replace(/[.!]$/, '');
  }
  if (typeof named !== 'string' || named.trim().length === 0) {
    return { kind: 'failed', reason: 'the router model named no candidate' };
  }
  const candidate = findCandidate(named, candidates);
  if (candidate === undefined) {
    return { kind: 'failed', reason: `the router model named an unknown candidate "${named}"` };
  }
  return { kind: 'chosen', name: candidate.name, reason };
}

/**
 * The candidate a model-written name refers to: its config name, then its display name,
 * compared case-insensitively after removing a leading `@` and a `:server` suffix, then the
 * same with spaces, dashes and underscores ignored (`Code Agent` → `code_agent`).
 */
export function findCandidate(
  named: string,
  candidates: readonly RouteCandidate[],
): RouteCandidate | undefined {
  const wanted = named.trim().replace(/^@/, '').replace(/:.*$/, '').toLowerCase();
  const squash = (value: string): string => value.toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');
  return (
    candidates.find((candidate) => candidate.name.toLowerCase() === wanted) ??
    candidates.find((candidate) => candidate.displayName.toLowerCase() === wanted) ??
    candidates.find(
      (candidate) =>
        squash(wanted).length > 0 &&
        (squash(candidate.name) === squash(wanted) ||
          squash(candidate.displayName) === squash(wanted)),
    )
  );
}

/** The JSON schema the router model answers with: one candidate name and a reason. */
export function routeSchema(candidates: readonly RouteCandidate[]): Record<string, unknown> {
  return {
    type: 'object',
    properties: {
      agent: {
        type: 'string',
        enum: candidates.map((candidate) => candidate.name),
        description: 'The name of the one agent or team that should answer.',
      },
      reason: { type: 'string', description: 'One short sentence explaining the choice.' },
    },
    required: ['agent', 'reason'],
    additionalProperties: false,
  };
}

function routerRequest(input: ChooseResponderInput): ChatRequest {
  const candidates = input.candidates.map(describeCandidate).join('\n');
  const system =
    'You route messages in a Matrix chat to the one agent or team best suited to answer them.\n' +
    'Pick exactly one candidate by its name. Prefer the candidate whose role, tools and ' +
    'description fit the request; for greetings or general questions pick the most general one. ' +
    'Answer only with JSON: {"agent": "<candidate name>", "reason": "<one short sentence>"}.\n\n' +
    `## Candidates\n${candidates}`;
  const recent = input.recent
    .slice(-ROUTER_RECENT_LIMIT)
    .map((message) => `${message.senderName}: ${clip(message.body, RECENT_CHARS)}`);
  const latest = `${input.message.senderName}: ${clip(input.message.body, MESSAGE_CHARS)}`;
  const content =
    recent.length > 0
      ? `Recent messages (oldest first):\n${recent.join('\n')}\n\nMessage to route:\n${latest}`
      : `Message to route:\n${latest}`;
  return {
    system,
    messages: [{ role: 'user', content }],
    responseFormat: {
      type: 'json_schema',
      name: 'route',
      schema: routeSchema(input.candidates),
      strict: true,
    },
  };
}

function describeCandidate(candidate: RouteCandidate): string {
  const details = [
    candidate.role.length > 0 ? `role: ${candidate.role}` : undefined,
    candidate.tools.length > 0
      ? `${candidate.kind === 'team' ? 'members' : 'tools'}: ${candidate.tools.join(', ')}`
      : undefined,
    candidate.description !== undefined && candidate.description.length > 0
      ? `description: ${candidate.description}`
      : undefined,
  ].filter((detail) => detail !== undefined);
  const head = `- ${candidate.name} (${candidate.kind}, "${candidate.displayName}")`;
  return details.length > 0 ? `${head}: ${details.join('; ')}` : head;
}

function clip(text: string, maxChars: number): string {
  return text.length <= maxChars ? text : `${text.slice(0, maxChars)}…`;
}
