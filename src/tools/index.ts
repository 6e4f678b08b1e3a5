/**
 * tools/: the tool contract, tool sources and the per-agent tool runner the turn runner calls
 * (`buildAgentTools`), the built-in tools (`calculator`, `current_time`, `matrix_message`,
 * `ask_user`, `propose_config_change`, `fetch_url`, `file`, `shell`), and MCP (tools/mcp/:
 * the client manager and Quorum's own MCP server).
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
export { buildAgentTools } from './agent-tools.js';
export type { AgentToolsDeps } from './agent-tools.js';
export {
  BUILTIN_TOOL_NAMES,
  BUILTIN_TOOLS,
  createBuiltinToolRegistry,
  createBuiltinTools,
} from './builtin-tools.js';
export type { BuiltinToolHost } from './builtin-tools.js';
export { calculatorTool } from './calculator-tool.js';
export { currentTimeTool, describeTime } from './current-time-tool.js';
export { ToolError } from './errors.js';
export type { ToolErrorCode } from './errors.js';
export { createFetchUrlTool, MAX_REDIRECTS, systemResolver } from './fetch-url-tool.js';
export type { HostResolver, ResolvedAddress } from './fetch-url-tool.js';
export { createFileTools, MAX_LISTED_FILES } from './file-tool.js';
export { htmlToText } from './html-text.js';
export {
  createMatrixMessageTool,
  findRoom,
  matrixMessageTool,
  MAX_MATRIX_MESSAGE_CHARS,
} from './matrix-message-tool.js';
export {
  createMcpToolSource,
  createSdkSessionFactory,
  DEFAULT_MCP_BACKOFF,
  DEFAULT_MCP_HEALTH_CHECK_MS,
  DEFAULT_MCP_MAX_QUEUED_CALLS,
  McpClientManager,
  McpError,
  QuorumMcpServer,
  renderCallResult,
  requiredServerConfigs,
} from './mcp/index.js';
export type {
  AgentAsker,
  AskableAgent,
  QuorumMcpServerDeps,
  McpApplyResult,
  McpBackoff,
  McpCallOutcome,
  McpCatalogue,
  McpCatalogueTool,
  McpClientManagerDeps,
  McpErrorCode,
  McpFleetClients,
  McpServerState,
  McpServerStatus,
  McpSession,
  McpSessionFactory,
  McpToolBackend,
  McpToolInfo,
  SdkSessionDeps,
} from './mcp/index.js';
export { addressProblem } from './net-guard.js';
export type { AddressPolicy } from './net-guard.js';
export { MAX_CONFIG_VALUE_CHARS, proposeConfigChangeTool } from './propose-config-change-tool.js';
export { Semaphore, SemaphoreFullError } from './semaphore.js';
export { createShellTool } from './shell-tool.js';
export type { ShellBaseEnv } from './shell-tool.js';
export type {
  AgentInteractions,
  AgentMessaging,
  ApprovalNeed,
  ApprovalSubject,
  AskOutcome,
  AskRequest,
  ConfigChangeOutcome,
  ConfigChangeRequest,
  InteractionCallContext,
  JsonSchema,
  KnownRoom,
  PostTarget,
  ReadMessage,
  Tool,
  ToolCallContext,
  ToolCallRequest,
  ToolCapabilities,
  ToolContext,
  ToolNeed,
  ToolOrigin,
  ToolResult,
  ToolRunner,
  ToolSpec,
} from './tool.js';
export {
  FUNCTION_NAME,
  mcpFunctionName,
  toFunctionName,
  uniqueFunctionNames,
} from './tool-names.js';
export { ToolRegistry } from './tool-registry.js';
export {
  createAgentToolRunner,
  createToolRunner,
  DEFAULT_MAX_RESULT_CHARS,
  DEFAULT_TOOL_TIMEOUT_MS,
  MAX_TOOLS_PER_AGENT,
} from './tool-runner.js';
export type {
  AgentToolRunner,
  SkippedTool,
  ToolRunnerDeps,
  ToolRunnerLimits,
} from './tool-runner.js';
export { staticToolSource } from './tool-source.js';
export type { ToolSource } from './tool-source.js';
export { createSchedulerTools, SCHEDULER_TOOLKIT } from './scheduler-tools.js';
export type {
  SchedulerToolBackend,
  SchedulerToolReply,
  SchedulerToolScope,
} from './scheduler-tools.js';
export { refuseApprovalCalls } from './approval-refusal.js';
export type { RunsToolCalls } from './approval-refusal.js';
