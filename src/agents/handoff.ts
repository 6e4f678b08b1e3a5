/**
 * Handoff, in one module: an agent hands the conversation to another agent, with a reason,
 * through the `handoff_to_agent` tool; the target answers in the same thread. The chain of
 * agents a conversation went through is kept (in the thread settings, so it survives
 * restarts) so handoffs cannot loop or run on forever. The turn runner offers the tool and
 * reports a requested handoff; dispatch claims the target's turn.
 */
import type { ToolCall, ToolDefinition } from '../llm/index.js';
import type { ThreadSettingsStore } from '../storage/index.js';
import type { ToolRunner } from '../tools/index.js';

/** The handoff tool's name. */
export const HANDOFF_TOOL_NAME = 'handoff_to_agent';
/** Most handoffs in one chain (A → B → C → D is three). */
export const MAX_HANDOFF_DEPTH = 3;

/**
 * The agents a conversation was handed through, first (the agent that answered the person)
 * to last (the agent answering now). Immutable; `extend` returns a new chain. Serialise it
 * with `agents` (e.g. into the handoff message's content) and restore it with `from`.
 */
export class HandoffChain {
  private constructor(readonly agents: readonly string[]) {}

  /** A chain holding only the agent that first answered. */
  static start(agent: string): HandoffChain {
    return new HandoffChain([agent]);
  }

  /**
   * Restores a chain from its `agents`; undefined unless it is a non-empty list of distinct
   * non-empty names no deeper than {@link MAX_HANDOFF_DEPTH} (data read back from an event
   * is not trusted).
   */
  static from(agents: unknown): HandoffChain | undefined {
    if (!Array.isArray(agents) || agents.length === 0) return undefined;
    if (!agents.every((agent): agent is string => typeof agent === 'string' && agent.length > 0))
      return undefined;
    if (new Set(agents).size !== agents.length || agents.length - 1 > MAX_HANDOFF_DEPTH)
      return undefined;
    return new HandoffChain([...agents]);
  }

  /** The agent answering now. */
  get current(): string {
    return this.agents[this.agents.length - 1] ?? '';
  }

  /** Handoffs so far (0 for a chain of one agent). */
  get depth(): number {
    return this.agents.length - 1;
  }

  includes(agent: string): boolean {
    return this.agents.includes(agent);
  }

  /** The chain with `target` appended, unchecked; use {@link validateHandoff} first. */
  extend(target: string): HandoffChain {
    return new HandoffChain([...this.agents, target]);
  }
}

/** Why a handoff is refused. */
export type HandoffRefusal = 'too-deep' | 'already-in-chain' | 'unknown-target';

/** The verdict on a handoff: the extended chain, or the refusal with a text for the model. */
export type HandoffValidation =
  | { readonly ok: true; readonly chain: HandoffChain }
  | { readonly ok: false; readonly reason: HandoffRefusal; readonly message: string };

/**
 * Whether the current agent of `chain` may hand the conversation to `target`: the chain
 * must have fewer than {@link MAX_HANDOFF_DEPTH} handoffs, `target` must not be in it
 * already (which also rules out handing to oneself), and, when `available` is given,
 * `target` must be one of those agents. Pure.
 */
export function validateHandoff(
  chain: HandoffChain,
  target: string,
  available?: readonly string[],
): HandoffValidation {
  if (available !== undefined && !available.includes(target)) {
    return {
      ok: false,
      reason: 'unknown-target',
      message: `There is no agent "${target}" to hand over to here.`,
    };
  }
  if (chain.includes(target)) {
    return {
      ok: false,
      reason: 'already-in-chain',
      message: `${target} already had this conversation (${chain.agents.join(' → ')}); answer it yourself.`,
    };
  }
  if (chain.depth >= MAX_HANDOFF_DEPTH) {
    return {
      ok: false,
      reason: 'too-deep',
      message: `This conversation was already handed over ${chain.depth} times; answer it yourself.`,
    };
  }
  return { ok: true, chain: chain.extend(target) };
}

/** The agents `chain`'s current agent may still hand over to (none once the chain is full). */
export function handoffTargets(chain: HandoffChain, available: readonly string[]): string[] {
  if (chain.depth >= MAX_HANDOFF_DEPTH) return [];
  return available.filter((agent) => !chain.includes(agent));
}

/**
 * The `handoff_to_agent` tool for an agent whose allowed targets are `targets` (from
 * {@link handoffTargets}; offer no tool when it is empty): a `target` enum and a `reason`.
 */
export function handoffToolDefinition(
  targets: readonly { readonly name: string; readonly role?: string }[],
): ToolDefinition {
  const described = targets
    .map((target) =>
      target.role !== undefined && target.role.length > 0
        ? `${target.name} (${target.role})`
        : target.name,
    )
    .join('; ');
  return {
    name: HANDOFF_TOOL_NAME,
    description:
      'Hand this conversation to another agent better suited to it. The agent gets the ' +
      'conversation and your reason, and answers in this thread; you stop answering. ' +
      `Available: ${described}.`,
    parameters: {
      type: 'object',
      properties: {
        target: {
          type: 'string',
          enum: targets.map((target) => target.name),
          description: 'The agent to hand over to.',
        },
        reason: {
          type: 'string',
          description: 'Why this agent should take over, and what it should do.',
        },
      },
      required: ['target', 'reason'],
      additionalProperties: false,
    },
  };
}

/** A `handoff_to_agent` call's target and reason, or the error to send back to the model. */
export type ParsedHandoff =
  | { readonly ok: true; readonly target: string; readonly reason: string }
  | { readonly ok: false; readonly message: string };

/**
 * Reads a `handoff_to_agent` call: `target` must name one of `targets` (case-insensitive,
 * with or without `@`); `reason` may be empty. Pure.
 */
export function parseHandoffCall(call: ToolCall, targets: readonly string[]): ParsedHandoff {
  if (call.argumentsError !== undefined) {
    return { ok: false, message: `Invalid arguments: ${call.argumentsError}` };
  }
  const named = call.arguments['target'];
  const reason = call.arguments['reason'];
  const wanted = typeof named === 'string' ? named.trim().replace(/^@/, '').toLowerCase() : '';
  const target = targets.find((name) => name.toLowerCase() === wanted);
  if (target === undefined) {
    return {
      ok: false,
      message: `Unknown target ${JSON.stringify(named ?? null)}. Choose one of: ${targets.join(', ')}.`,
    };
  }
  return { ok: true, target, reason: typeof reason === 'string' ? reason.trim() : '' };
}

/**
 * The context block the target agent gets (e.g. as a system prompt section titled
 * "Handoff"): who handed over, why, and the chain so far.
 */
export function formatHandoffContext(input: {
  readonly fromDisplayName: string;
  readonly reason: string;
  readonly chain: HandoffChain;
}): string {
  const why = input.reason.length > 0 ? ` Their reason: ${input.reason}` : '';
  return (
    `${input.fromDisplayName} handed this conversation to you.${why}\n` +
    `Answer the person's latest message in this thread. Handoff chain so far: ${input.chain.agents.join(' → ')}.`
  );
}

/** What is stored per source event: the chain so far and why each agent got the conversation. */
interface StoredHandoff {
  readonly agents: readonly string[];
  readonly reasons: Readonly<Record<string, string>>;
}

const chainKey = (sourceEventId: string): string => `handoff:${sourceEventId}`;
const HANDED_OFF_KEY = 'handed-off';

/**
 * Handoffs per thread, kept in the thread settings so they survive restarts: the chain of
 * agents that had one source event (at most 3 handoffs, never back to an agent already in
 * it), and the agents that handed a thread over (they stop counting as its participants).
 */
export class HandoffLedger {
  constructor(private readonly settings: Pick<ThreadSettingsStore, 'get' | 'set'>) {}

  chain(roomId: string, threadRoot: string, sourceEventId: string, agent: string): HandoffChain {
    const stored = this.read(roomId, threadRoot, sourceEventId);
    return (
      (stored === undefined ? undefined : HandoffChain.from(stored.agents)) ??
      HandoffChain.start(agent)
    );
  }

  /** Why `agent` was handed the conversation, if it was. */
  reasonFor(
    roomId: string,
    threadRoot: string,
    sourceEventId: string,
    agent: string,
  ): string | undefined {
    return this.read(roomId, threadRoot, sourceEventId)?.reasons[agent];
  }

  record(
    roomId: string,
    threadRoot: string,
    sourceEventId: string,
    chain: HandoffChain,
    reason: string,
  ): void {
    const previous = this.read(roomId, threadRoot, sourceEventId);
    const value: StoredHandoff = {
      agents: chain.agents,
      reasons: { ...previous?.reasons, [chain.current]: reason },
    };
    this.settings.set(roomId, threadRoot, chainKey(sourceEventId), JSON.stringify(value));
    const from = chain.agents.at(-2);
    if (from !== undefined) {
      const handedOff = new Set(this.handedOff(roomId, threadRoot));
      handedOff.add(from);
      handedOff.delete(chain.current);
      this.settings.set(roomId, threadRoot, HANDED_OFF_KEY, JSON.stringify([...handedOff]));
    }
  }

  /** Agents that handed this thread over to another. */
  handedOff(roomId: string, threadRoot: string): string[] {
    const raw = this.settings.get(roomId, threadRoot, HANDED_OFF_KEY);
    const parsed: unknown = raw === undefined ? [] : JSON.parse(raw);
    return Array.isArray(parsed)
      ? parsed.filter((name): name is string => typeof name === 'string')
      : [];
  }

  private read(
    roomId: string,
    threadRoot: string,
    sourceEventId: string,
  ): StoredHandoff | undefined {
    const raw = this.settings.get(roomId, threadRoot, chainKey(sourceEventId));
    if (raw === undefined) return undefined;
    const parsed = JSON.parse(raw) as Partial<StoredHandoff>;
    return {
      agents: Array.isArray(parsed.agents) ? parsed.agents : [],
      reasons: parsed.reasons ?? {},
    };
  }
}

/** A handoff the model asked for during a turn. */
export interface RequestedHandoff {
  readonly chain: HandoffChain;
  readonly reason: string;
}

/**
 * `base` plus the `handoff_to_agent` tool when the chain may still grow: a valid call is
 * reported through `onHandoff` (the launcher starts the target's turn after this one) and
 * the model is told to finish with a short note; an invalid one gets the refusal as a tool
 * error. Returns `base` unchanged when there is nobody to hand over to.
 */
export function withHandoffTool(
  base: ToolRunner | undefined,
  options: {
    readonly chain: HandoffChain;
    readonly available: readonly { readonly name: string; readonly role: string }[];
    readonly onHandoff: (handoff: RequestedHandoff) => void;
  },
): ToolRunner | undefined {
  const targets = handoffTargets(
    options.chain,
    options.available.map((agent) => agent.name),
  );
  if (targets.length === 0) return base;
  let hasHandedOff = false;
  return {
    definitions: [
      ...(base?.definitions ?? []),
      handoffToolDefinition(options.available.filter((agent) => targets.includes(agent.name))),
    ],
    run: async (call, context) => {
      if (call.name !== HANDOFF_TOOL_NAME) {
        if (base === undefined)
          return { content: `Error: unknown tool ${call.name}`, isError: true };
        return base.run(call, context);
      }
      if (hasHandedOff)
        return { content: 'Error: you already handed this conversation over.', isError: true };
      const parsed = parseHandoffCall(call, targets);
      if (!parsed.ok) return { content: `Error: ${parsed.message}`, isError: true };
      const verdict = validateHandoff(options.chain, parsed.target, targets);
      if (!verdict.ok) return { content: `Error: ${verdict.message}`, isError: true };
      hasHandedOff = true;
      options.onHandoff({ chain: verdict.chain, reason: parsed.reason });
      return Promise.resolve({
        content: `Handed over to ${parsed.target}; it will answer next in this thread. Finish with one short sentence telling the person.`,
        isError: false,
      });
    },
  };
}
