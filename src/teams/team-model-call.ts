import type { ChatModel, ChatRequest, ToolCall, Usage } from '../llm/index.js';

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
 * One call of a team's own model: streamed when `onText` is given (so the team's reply can
 * show progress), otherwise a plain `complete`. Rejects as the model does (ModelError, or the
 * signal's reason on abort).
 */
export async function callTeamModel(
  model: ChatModel,
  request: ChatRequest,
  options: TeamModelCallOptions,
): Promise<TeamModelStep> {
  if (options.onText === undefined) {
    const response = await model.complete(request, { signal: options.signal });
    if (response.usage !== undefined) options.onUsage?.(response.modelId, response.usage);
    return {
      text: response.text,
      toolCalls: response.toolCalls,
      outputTokens: response.usage?.outputTokens ?? 0,
    };
  }
  let text = '';
  const toolCalls: ToolCall[] = [];
  let usage: Usage | undefined;
  for await (const event of model.stream(request, { signal: options.signal })) {
    switch (event.type) {
      case 'text_delta':
        text += event.text;
        options.onText(text);
        break;
      case 'tool_call':
        toolCalls.push(event.toolCall);
        break;
      case 'usage':
        usage = event.usage;
        break;
      case 'done':
        if (usage !== undefined) options.onUsage?.(event.modelId, usage);
        break;
    }
  }
  return { text, toolCalls, outputTokens: usage?.outputTokens ?? 0 };
}
