import type { McpServerConfig } from '../../../src/config/index.js';

/** A stdio MCP server config for unit tests with fake sessions (nothing is spawned). */
export function fakeServerConfig(overrides: Partial<McpServerConfig> = {}): McpServerConfig {
  return {
    enabled: true,
    required: false,
    transport: 'stdio',
    command: 'fake',
    args: [],
    cwd: null,
    env: {},
    url: null,
    headers: {},
    tool_prefix: null,
    include_tools: [],
    exclude_tools: [],
    startup_timeout_seconds: 5,
    call_timeout_seconds: 10,
    max_concurrent_calls: 1,
    auto_reconnect: true,
    ...overrides,
  };
}
