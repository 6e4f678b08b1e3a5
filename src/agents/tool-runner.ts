import type { ToolCall, ToolDefinition } from '../llm/index.js';

/** Where a tool call happens, for tools that act in Matrix or record who asked. */
export interface ToolCallContext {
  readonly agentName: string;
  readonly roomId: string;
  readonly threadRoot: string | undefined;
  readonly requester: string;
  /** The event the turn answers. */
  readonly sourceEventId: string;
  readonly signal: AbortSignal;
}

export interface ToolResult {
  readonly content: string;
  readonly isError: boolean;
}

/**
 * The tools one agent may call in a turn. `run` never throws for a tool failure: it returns
 * the error text with `isError`, which goes back to the model (an abort still rejects).
 */
export interface ToolRunner {
  readonly definitions: readonly ToolDefinition[];
  run(call: ToolCall, context: ToolCallContext): Promise<ToolResult>;
}
