import type { ToolRunner } from '../agents/index.js';
import type { ThreadSettingsStore } from '../storage/index.js';
import {
  HANDOFF_TOOL_NAME,
  HandoffChain,
  handoffTargets,
  handoffToolDefinition,
  parseHandoffCall,
  validateHandoff,
} from '../teams/index.js';

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
  constructor(private readonly settings: ThreadSettingsStore) {}

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
