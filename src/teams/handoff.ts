/**
 * Handoff: an agent hands the conversation to another agent, with a reason, through the
 * `handoff_to_agent` tool; the target answers in the same thread. The chain of agents a
 * conversation went through is kept so handoffs cannot loop or run on forever.
 */
import type { ToolCall, ToolDefinition } from '../llm/index.js';

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
