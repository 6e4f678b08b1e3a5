/**
 * tools/: the tool contract, the registry, the per-agent tool runner the turn runner calls,
 * and the built-in tools (`calculator`, `current_time`, `matrix_message`, `ask_user`,
 * `propose_config_change`).
 */
export {
  ArithmeticError,
  evaluateArithmetic,
  formatArithmeticResult,
  MAX_EXPRESSION_LENGTH,
  MAX_NESTING_DEPTH,
} from './arithmetic.js';
export { validateArguments } from './argument-validation.js';
export {
  askUserTool,
  MAX_ASK_OPTIONS,
  MAX_OPTION_CHARS,
  MAX_QUESTION_CHARS,
  MIN_ASK_OPTIONS,
} from './ask-user-tool.js';
export { BUILTIN_TOOLS, createBuiltinToolRegistry } from './builtin-tools.js';
export { calculatorTool } from './calculator-tool.js';
export { currentTimeTool, describeTime } from './current-time-tool.js';
export { ToolError } from './errors.js';
export type { ToolErrorCode } from './errors.js';
export { findRoom, matrixMessageTool, MAX_MATRIX_MESSAGE_CHARS } from './matrix-message-tool.js';
export { MAX_CONFIG_VALUE_CHARS, proposeConfigChangeTool } from './propose-config-change-tool.js';
export type {
  AgentInteractions,
  AgentMessaging,
  AskOutcome,
  AskRequest,
  ConfigChangeOutcome,
  ConfigChangeRequest,
  InteractionCallContext,
  JsonSchema,
  KnownRoom,
  Tool,
  ToolCallContext,
  ToolCallRequest,
  ToolCapabilities,
  ToolContext,
  ToolNeed,
  ToolResult,
  ToolRunner,
  ToolSpec,
} from './tool.js';
export { ToolRegistry } from './tool-registry.js';
export {
  createToolRunner,
  DEFAULT_MAX_RESULT_CHARS,
  DEFAULT_TOOL_TIMEOUT_MS,
} from './tool-runner.js';
export type { AgentToolRunner, SkippedTool, ToolRunnerDeps } from './tool-runner.js';
