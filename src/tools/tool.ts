/**
 * The tool contract. `tools/` sits below `agents/` and `llm/`'s peers, so the shapes the
 * turn runner uses (`ToolCall`, `ToolDefinition`, `ToolCallContext`, `ToolResult`) are
 * restated here structurally; the runner built by `createToolRunner` satisfies `agents/`'s
 * `ToolRunner` without either folder importing the other.
 */
import type { Clock, Logger } from '../shared/index.js';

/**
 * A JSON Schema for a tool's arguments: an object schema (`type: 'object'`, `properties`,
 * `required`). Sent to the model as is; the runner checks the arguments against the parts
 * it understands (see `validateArguments`).
 */
export type JsonSchema = Readonly<Record<string, unknown>>;

/** What the model is told about a tool (the same shape as `llm/`'s `ToolDefinition`). */
export interface ToolSpec {
  readonly name: string;
  readonly description: string;
  readonly parameters: JsonSchema;
}

/** A tool call as the model made it (the fields of `llm/`'s `ToolCall` the runner reads). */
export interface ToolCallRequest {
  readonly id: string;
  readonly name: string;
  /** Parsed arguments; `{}` when `argumentsError` is set. */
  readonly arguments: Readonly<Record<string, unknown>>;
  readonly argumentsJson: string;
  /** Why the model's argument text was not a JSON object, when it was not. */
  readonly argumentsError?: string;
}

/** Where a call happens (the same shape as `agents/`'s `ToolCallContext`). */
export interface ToolCallContext {
  readonly agentName: string;
  readonly roomId: string;
  readonly threadRoot: string | undefined;
  /** Matrix user id of the person whose message started the turn. */
  readonly requester: string;
  /** The turn's signal; aborting it rejects `run` with its reason. */
  readonly signal: AbortSignal;
}

/** What the model gets back (the same shape as `agents/`'s `ToolResult`). */
export interface ToolResult {
  readonly content: string;
  readonly isError: boolean;
}

/** A room the agent has joined, with the other names it knows the room by. */
export interface KnownRoom {
  readonly roomId: string;
  /** Aliases (`#lobby:example.org`) and config room keys (`lobby`) that name this room. */
  readonly aliases: readonly string[];
  /** The room's display name, if any; shown to the model, never matched on. */
  readonly name?: string;
}

/**
 * Posting as the agent's own Matrix account, injected by whoever owns that account (the
 * orchestrator), so `tools/` never imports `matrix/`.
 */
export interface AgentMessaging {
  /** Rooms the agent is in now. */
  joinedRooms(): readonly KnownRoom[] | Promise<readonly KnownRoom[]>;
  /**
   * Posts `markdown` as a new message in `roomId` and resolves with its event id. Rejects on
   * a homeserver failure, or with the signal's reason when aborted.
   */
  postMessage(
    roomId: string,
    markdown: string,
    options: { readonly signal: AbortSignal },
  ): Promise<string>;
}

/** Capabilities a tool may use, fixed per agent when its runner is built. */
export interface ToolCapabilities {
  readonly clock: Clock;
  /** The agent's configured IANA time zone (the default for `current_time`). */
  readonly timezone: string;
  /** The agent's Matrix account; absent for entities that cannot post on their own. */
  readonly messaging?: AgentMessaging;
  readonly log: Logger;
}

/**
 * Everything a tool sees while it runs. `signal` combines the turn's signal with the
 * per-call timeout; a tool passes it to anything that waits.
 */
export interface ToolContext extends ToolCallContext, ToolCapabilities {}

/** A capability a tool cannot run without; a runner leaves the tool out when it is missing. */
export type ToolNeed = 'messaging';

/**
 * A tool the model can call. `run` receives arguments already checked against `parameters`
 * (required fields present, declared types right) and resolves with the text for the model.
 * It throws (preferably a `ToolError`) to report a failure; the message, never a stack,
 * reaches the model. It must honour `context.signal`; the runner stops waiting when the
 * signal aborts either way.
 */
export interface Tool extends ToolSpec {
  /** Capabilities the tool needs; without them it is not offered to the agent. */
  readonly needs?: readonly ToolNeed[];
  run(args: Readonly<Record<string, unknown>>, context: ToolContext): Promise<string>;
}
