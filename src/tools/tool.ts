/**
 * The tool contract, the one definition of `ToolRunner`, `ToolCallContext` and `ToolResult`
 * the turn runner uses. `tools/` is a peer of `llm/`, so `llm/`'s `ToolCall` and
 * `ToolDefinition` are restated here structurally (`ToolCallRequest`, `ToolSpec`).
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
  /** The event the turn answers, when known. */
  readonly sourceEventId?: string | undefined;
  /** The turn's signal; aborting it rejects `run` with its reason. */
  readonly signal: AbortSignal;
}

/**
 * What the model gets back (the one `ToolResult` type; `agents/` uses this shape). `content`
 * from an MCP server, a web page or a chat message is untrusted text: it goes to the model as
 * a tool result, is never parsed for instructions, and is capped in length.
 */
export interface ToolResult {
  readonly content: string;
  readonly isError: boolean;
  /**
   * True when the content is long (or was cut): the reply shows it in its collapsible tool
   * block rather than inline in the trace line.
   */
  readonly collapsible?: boolean;
}

/**
 * The tools one agent may call in a turn, as the turn runner sees them. `run` never throws
 * for a tool failure: it resolves with the error text and `isError`, which goes back to the
 * model; it rejects only when the turn's signal aborts (with its reason).
 */
export interface ToolRunner {
  /** What the model is told (structurally `llm/`'s `ToolDefinition`s). */
  readonly definitions: readonly ToolSpec[];
  run(call: ToolCallRequest, context: ToolCallContext): Promise<ToolResult>;
}

/** A room the agent has joined, with the other names it knows the room by. */
export interface KnownRoom {
  readonly roomId: string;
  /** Aliases (`#lobby:example.org`) and config room keys (`lobby`) that name this room. */
  readonly aliases: readonly string[];
  /** The room's display name, if any; shown to the model, never matched on. */
  readonly name?: string;
}

/** Where a posted message goes inside its room: a thread, or a reply to one event. */
export interface PostTarget {
  /** Root event of the thread to post in (`m.thread`); `undefined`: the room timeline. */
  readonly threadRoot?: string | undefined;
  /** Event the message replies to (`m.in_reply_to`), in the thread or the timeline. */
  readonly replyTo?: string | undefined;
}

/** One message `matrix_message` read: untrusted text from whoever sent it. */
export interface ReadMessage {
  readonly eventId: string;
  readonly sender: string;
  readonly body: string;
  /** Milliseconds since the epoch (the server's `origin_server_ts`). */
  readonly timestampMs: number;
}

/**
 * Acting as the agent's own Matrix account, injected by whoever owns that account (the
 * orchestrator), so `tools/` never imports `matrix/`. The optional methods enable the
 * matching `matrix_message` actions; without them the action answers that it is unavailable.
 */
export interface AgentMessaging {
  /** Rooms the agent is in now. */
  joinedRooms(): readonly KnownRoom[] | Promise<readonly KnownRoom[]>;
  /**
   * Posts `markdown` as a new message in `roomId` (in `target`'s thread, or as a reply) and
   * resolves with its event id. Rejects on a homeserver failure, or with the signal's reason
   * when aborted.
   */
  postMessage(
    roomId: string,
    markdown: string,
    options: { readonly signal: AbortSignal; readonly target?: PostTarget },
  ): Promise<string>;
  /** Reacts to `eventId` with `key` (an emoji); resolves with the reaction's event id. */
  react?(
    roomId: string,
    eventId: string,
    key: string,
    options: { readonly signal: AbortSignal },
  ): Promise<string>;
  /**
   * The newest `limit` messages of the room timeline, or of the thread under `threadRoot`,
   * oldest first, as the agent's account can see them (only senders allowed to talk to the
   * agent, when the implementation filters).
   */
  readMessages?(
    roomId: string,
    options: {
      readonly signal: AbortSignal;
      readonly threadRoot?: string | undefined;
      readonly limit: number;
    },
  ): Promise<readonly ReadMessage[]>;
  /** True when `roomId` is a direct-message room (`m.direct`, or two members). */
  isDirectRoom?(roomId: string, options: { readonly signal: AbortSignal }): Promise<boolean>;
}

/** Where an interactive tool call happens: what a person-facing card needs to know. */
export interface InteractionCallContext {
  readonly agentName: string;
  readonly roomId: string;
  readonly threadRoot: string | undefined;
  /** The person whose message started the turn: the only one who may answer or confirm. */
  readonly requester: string;
  /** The model's id for this tool call, when the runner knows it. */
  readonly toolCallId: string | undefined;
  /** The event whose turn is running, when known: a resumed turn finds its earlier questions by it. */
  readonly sourceEventId?: string | undefined;
}

/** A question for the requester, with the options they choose from (2–10, in order). */
export interface AskRequest {
  readonly question: string;
  readonly options: readonly string[];
}

/** How a question ended: the chosen option (0-based `index`), or no choice. */
export type AskOutcome =
  | { readonly kind: 'answered'; readonly index: number; readonly option: string }
  | { readonly kind: 'expired' }
  | { readonly kind: 'cancelled' };

/** A config change for the requester to confirm: set `path` to `value` (YAML text), or remove it. */
export interface ConfigChangeRequest {
  readonly path: string;
  /** The new value as YAML text; `undefined` removes the setting. */
  readonly value: string | undefined;
  /** Why the agent proposes it, shown to the person. */
  readonly reason: string | undefined;
}

/**
 * How a proposed config change ended:
 * - `applied`: confirmed and written to config.yaml (the live reload applies it);
 * - `refused`: never offered for confirmation (bad path or value, a literal secret, an
 *   invalid resulting config, or the requester may not change it); `message` says why;
 * - `cancelled` (❌) or `expired`: not written;
 * - `failed`: confirmed, but the write failed (the file changed meanwhile, or I/O).
 */
export type ConfigChangeOutcome =
  | { readonly kind: 'applied'; readonly path: string }
  | { readonly kind: 'refused'; readonly message: string }
  | { readonly kind: 'cancelled' }
  | { readonly kind: 'expired' }
  | { readonly kind: 'failed'; readonly message: string };

/**
 * Asking the requester and waiting for them, injected by whoever owns interactions (the
 * orchestrator, with the InteractionStore and the outbox), so `tools/` never imports them.
 * Each method posts a card, records the pending interaction durably, and resolves when the
 * person decides or the interaction expires; it rejects with the signal's reason when the
 * turn is aborted (stop, edit, shutdown), after which the interaction stays stored for the
 * integrator to cancel or resume.
 */
export interface AgentInteractions {
  ask(
    request: AskRequest,
    context: InteractionCallContext,
    options: { readonly signal: AbortSignal },
  ): Promise<AskOutcome>;
  proposeConfigChange(
    request: ConfigChangeRequest,
    context: InteractionCallContext,
    options: { readonly signal: AbortSignal },
  ): Promise<ConfigChangeOutcome>;
}

/** Capabilities a tool may use, fixed per agent when its runner is built. */
export interface ToolCapabilities {
  readonly clock: Clock;
  /** The agent's configured IANA time zone (the default for `current_time`). */
  readonly timezone: string;
  /**
   * The agent's own workspace directory (absolute), for `file` and `shell`: created on first
   * use with mode 0700; neither tool reaches outside it.
   */
  readonly workspaceDir?: string;
  /** The agent's Matrix account; absent for entities that cannot post on their own. */
  readonly messaging?: AgentMessaging;
  /** Questions and confirmations for the requester; absent where nobody can answer. */
  readonly interactions?: AgentInteractions;
  readonly log: Logger;
}

/**
 * Everything a tool sees while it runs. `signal` combines the turn's signal with the
 * per-call timeout (none for an interactive tool); a tool passes it to anything that waits.
 */
export interface ToolContext extends ToolCallContext, ToolCapabilities {
  /** The model's id for this call (set by the runner). */
  readonly toolCallId?: string;
}

/** A capability a tool cannot run without; a runner leaves the tool out when it is missing. */
export type ToolNeed = 'messaging' | 'interactions' | 'workspaceDir';

/** Where a tool came from, for approvals, logs and filters. */
export type ToolOrigin =
  | { readonly kind: 'builtin' }
  | {
      readonly kind: 'mcp';
      /** The `mcp_servers` key. */
      readonly serverId: string;
      /** The tool's name on the server (before prefixing). */
      readonly remoteName: string;
    };

/**
 * Why one call needs the requester's approval whatever the configured default (a tool's own
 * rule, e.g. `matrix_message` into a direct-message room). A `tool_approval` rule that
 * matches the call still decides first, so an operator can auto-approve it explicitly.
 */
export interface ApprovalNeed {
  /**
   * A verb phrase completing "It needs approval because it …", shown on the approval card:
   * `runs a shell command on the Quorum host`.
   */
  readonly reason: string;
}

/**
 * What the approval gate matches `tool_approval` rules against for one call: the
 * model-visible name first, then `aliases` (`mcp_<server id>` for an MCP tool), and, when no
 * rule matches any of them, the tool's own requirement (`implicit`) before the default.
 */
export interface ApprovalSubject {
  readonly name: string;
  readonly aliases: readonly string[];
  readonly implicit: ApprovalNeed | undefined;
}

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
  /**
   * True for a tool that waits for a person (`ask_user`): the runner applies no per-call
   * timeout, because the interaction has its own expiry; the turn's signal still ends it.
   */
  readonly isInteractive?: boolean;
  /** Per-call timeout for this tool; the runner's default when absent. */
  readonly timeoutMs?: number;
  /** Where the tool came from; `builtin` when absent. */
  readonly origin?: ToolOrigin;
  /**
   * Quorum's own approval rule for this tool (e.g. `shell`): whether a call needs approval
   * when no `tool_approval` rule matches it. Receives checked arguments; must not act.
   */
  approvalNeed?(
    args: Readonly<Record<string, unknown>>,
    context: ToolContext,
  ): ApprovalNeed | undefined | Promise<ApprovalNeed | undefined>;
  /**
   * Runs the call; resolves with the text for the model, or a full result (an MCP tool's
   * `isError`, a long output marked `collapsible`).
   */
  run(args: Readonly<Record<string, unknown>>, context: ToolContext): Promise<string | ToolResult>;
}
