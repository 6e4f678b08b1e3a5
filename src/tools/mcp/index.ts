/**
 * tools/mcp/: MCP clients (one supervised connection per configured server, their tools as
 * agent tool sources) and Quorum's own MCP server (`ask_<agent>`). The only folder that
 * imports @modelcontextprotocol/sdk.
 */
export { McpError } from './errors.js';
export type { McpErrorCode } from './errors.js';
export {
  DEFAULT_MCP_BACKOFF,
  DEFAULT_MCP_HEALTH_CHECK_MS,
  DEFAULT_MCP_MAX_QUEUED_CALLS,
  McpClientManager,
  requiredServerConfigs,
} from './mcp-client-manager.js';
export type {
  McpApplyResult,
  McpClientManagerDeps,
  McpFleetClients,
  McpToolBackend,
} from './mcp-client-manager.js';
export { renderCallResult } from './mcp-result.js';
export type { McpCatalogue, McpCatalogueTool } from './mcp-catalogue.js';
export type { McpServerState, McpServerStatus } from './mcp-server-status.js';
export type { McpBackoff } from './mcp-server-supervisor.js';
export type { McpCallOutcome, McpSession, McpSessionFactory, McpToolInfo } from './mcp-session.js';
export { createMcpToolSource } from './mcp-tool-source.js';
export {
  MAX_ASK_PROMPT_CHARS,
  MAX_MCP_REQUEST_BYTES,
  QuorumMcpServer,
} from './quorum-mcp-server.js';
export type { AgentAsker, AskableAgent, QuorumMcpServerDeps } from './quorum-mcp-server.js';
export { createSdkSessionFactory } from './sdk-session.js';
export type { SdkSessionDeps } from './sdk-session.js';
