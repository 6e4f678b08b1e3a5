/**
 * What the OpenAI-compatible API needs from the daemon: the agents and teams it offers as
 * models, and a turn for a request (whole, or streamed). The turn runner implements it; the
 * routes never see an agent, a model provider or Matrix.
 */
import { DaemonError } from '../shared/index.js';

/** An agent or team offered as a "model". */
export interface CompletionModel {
  /** The model id clients send: the agent's name (`calc`), `team/<name>` for a team. */
  readonly id: string;
  /** The display name. */
  readonly name: string;
  readonly kind: 'agent' | 'team' | 'router';
}

/** One message of the conversation, as text (non-text parts were dropped). */
export interface CompletionMessage {
  /** `developer` messages arrive as `system`. */
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

/** One request, validated. */
export interface CompletionRequest {
  /** A model id from {@link AgentCompletions.models}. */
  readonly model: string;
  /** Oldest first; the last `user` message is the one to answer. */
  readonly messages: readonly CompletionMessage[];
  /**
   * Conversation key: `X-Session-Id`, else `X-LibreChat-Conversation-Id`, else random;
   * namespaced by the caller's key, so two keys never share a session.
   */
  readonly sessionId: string;
  /** Who called, never the key itself: `key-<hash>` or `unauthenticated`. Use it as the usage user. */
  readonly caller: string;
}

/** Token counts, recorded in usage as for Matrix turns. */
export interface CompletionUsage {
  readonly promptTokens: number;
  readonly completionTokens: number;
}

/** Why an answer stopped, in OpenAI's words. */
export type CompletionFinishReason = 'stop' | 'length' | 'content_filter';

/** A whole answer. */
export interface CompletionResult {
  readonly text: string;
  readonly finishReason: CompletionFinishReason;
  readonly usage?: CompletionUsage;
}

/** A streamed answer: text pieces, then exactly one `done`. */
export type CompletionDelta =
  | { readonly type: 'text'; readonly text: string }
  | {
      readonly type: 'done';
      readonly finishReason: CompletionFinishReason;
      readonly usage?: CompletionUsage;
    };

/**
 * The daemon's side of the API. Implementations run the named agent (or team) with its tools,
 * instructions, memory and knowledge, record usage, refuse tool calls that need approval (see
 * `refuseApprovalCalls` in tools/) and stop when `signal` aborts (the client went away or the
 * daemon shuts down). Expected failures are thrown as {@link CompletionError}; anything else
 * becomes a generic 500 whose message never reaches the client.
 */
export interface AgentCompletions {
  models(): readonly CompletionModel[];
  complete(
    request: CompletionRequest,
    options: { readonly signal: AbortSignal },
  ): Promise<CompletionResult>;
  stream(
    request: CompletionRequest,
    options: { readonly signal: AbortSignal },
  ): AsyncIterable<CompletionDelta>;
}

/**
 * Expected failures of a completion, each mapped to OpenAI's error shape:
 * - `model_not_found` (404): no agent or team by that id;
 * - `invalid_request` (400): the request cannot be answered as given;
 * - `busy` (429): too many requests in flight (`retryAfterMs` when known);
 * - `unavailable` (503): the agent exists but cannot answer now (not started, reloading);
 * - `upstream` (502): the agent's model provider failed.
 * `message` is sent to the client, so it must be safe to show (no secrets, no internals).
 */
export type CompletionErrorCode =
  'model_not_found' | 'invalid_request' | 'busy' | 'unavailable' | 'upstream';

/** An expected completion failure; its message is shown to the API client. */
export class CompletionError extends DaemonError<CompletionErrorCode> {
  /** For `busy`: when the client may try again. */
  readonly retryAfterMs: number | undefined;

  constructor(
    code: CompletionErrorCode,
    message: string,
    options: { readonly cause?: unknown; readonly retryAfterMs?: number } = {},
  ) {
    super(code, code === 'upstream' ? 'upstream' : 'internal', message, {
      cause: options.cause,
      userMessage: message,
    });
    this.name = 'CompletionError';
    this.retryAfterMs = options.retryAfterMs;
  }
}
