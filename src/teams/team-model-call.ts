import {
  callChatModel,
  type ChatModel,
  type ChatRequest,
  type ToolCall,
  type Usage,
} from '../llm/index.js';

/** Callbacks of a team model call. */
export interface TeamModelCallOptions {
  readonly signal: AbortSignal;
  /** Receives the text so far as it streams; when absent the call does not stream. */
  readonly onText?: (textSoFar: string) => void;
  /** Receives the provider's usage report (for accounting and metrics). */
  readonly onUsage?: (modelId: string, usage: Usage) => void;
}

/** What one team model call produced. */
export interface TeamModelStep {
  readonly text: string;
  readonly toolCalls: readonly ToolCall[];
  /** Output tokens reported (0 when the provider reported none). */
  readonly outputTokens: number;
}

/**
 * One call of a team's own model through `callChatModel` (streamed when `onText` is given),
 * with its usage reported. Rejects as the model does (ModelError, or the signal's reason on
 * abort).
 */
export async function callTeamModel(
  model: ChatModel,
  request: ChatRequest,
  options: TeamModelCallOptions,
): Promise<TeamModelStep> {
  const response = await callChatModel(model, request, {
    signal: options.signal,
    onText: options.onText,
  });
  if (response.usage !== undefined) options.onUsage?.(response.modelId, response.usage);
  return {
    text: response.text,
    toolCalls: response.toolCalls,
    outputTokens: response.usage?.outputTokens ?? 0,
  };
}
