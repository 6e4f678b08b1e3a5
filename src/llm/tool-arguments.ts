import type { ToolCall } from './chat-model.js';

/**
 * Builds a complete {@link ToolCall} from the argument text a provider streamed.
 * Empty text means "no arguments" (some providers send `""` for parameterless tools);
 * text that is not a JSON object yields `{}` plus an `argumentsError` for the caller.
 */
export function toolCallFromJson(id: string, name: string, argumentsJson: string): ToolCall {
  if (argumentsJson.trim() === '') return { id, name, arguments: {}, argumentsJson };
  let parsed: unknown;
  try {
    parsed = JSON.parse(argumentsJson);
  } catch (error: unknown) {
    const reason = error instanceof Error ? error.message : String(error);
    return { id, name, arguments: {}, argumentsJson, argumentsError: `invalid JSON: ${reason}` };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return {
      id,
      name,
      arguments: {},
      argumentsJson,
      argumentsError: 'arguments are not a JSON object',
    };
  }
  return { id, name, arguments: parsed as Record<string, unknown>, argumentsJson };
}
