/**
 * The MCP SDK's modules, loaded on first use: a daemon with no MCP server configured (and no
 * `--mcp`) never loads the SDK, and nothing that imports `tools/` pays for it.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import type { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type {
  ErrorCode,
  McpError,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';

/** The client side: `Client`, the three transports, and the protocol's error types. */
export interface SdkClientModules {
  readonly Client: typeof Client;
  readonly StdioClientTransport: typeof StdioClientTransport;
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- MindRoom configs still name SSE servers
  readonly SSEClientTransport: typeof SSEClientTransport;
  readonly StreamableHTTPClientTransport: typeof StreamableHTTPClientTransport;
  readonly ErrorCode: typeof ErrorCode;
  readonly McpError: typeof McpError;
  readonly ToolListChangedNotificationSchema: typeof ToolListChangedNotificationSchema;
}

/** The server side Quorum's own MCP server uses. */
export interface SdkServerModules {
  readonly McpServer: typeof McpServer;
  readonly StreamableHTTPServerTransport: typeof StreamableHTTPServerTransport;
}

let client: Promise<SdkClientModules> | undefined;
let server: Promise<SdkServerModules> | undefined;

/** Loads the client side once; later calls share the same promise. */
export function loadSdkClient(): Promise<SdkClientModules> {
  client ??= Promise.all([
    import('@modelcontextprotocol/sdk/client/index.js'),
    import('@modelcontextprotocol/sdk/client/stdio.js'),
    import('@modelcontextprotocol/sdk/client/sse.js'),
    import('@modelcontextprotocol/sdk/client/streamableHttp.js'),
    import('@modelcontextprotocol/sdk/types.js'),
  ]).then(([index, stdio, sse, http, types]) => ({
    Client: index.Client,
    StdioClientTransport: stdio.StdioClientTransport,
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- MindRoom configs still name SSE servers; the SDK keeps supporting them
    SSEClientTransport: sse.SSEClientTransport,
    StreamableHTTPClientTransport: http.StreamableHTTPClientTransport,
    ErrorCode: types.ErrorCode,
    McpError: types.McpError,
    ToolListChangedNotificationSchema: types.ToolListChangedNotificationSchema,
  }));
  return client;
}

/** Loads the server side once; later calls share the same promise. */
export function loadSdkServer(): Promise<SdkServerModules> {
  server ??= Promise.all([
    import('@modelcontextprotocol/sdk/server/mcp.js'),
    import('@modelcontextprotocol/sdk/server/streamableHttp.js'),
  ]).then(([mcp, http]) => ({
    McpServer: mcp.McpServer,
    StreamableHTTPServerTransport: http.StreamableHTTPServerTransport,
  }));
  return server;
}
