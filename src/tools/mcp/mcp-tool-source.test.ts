import { describe, expect, it } from 'vitest';
import type { McpToolBackend } from './mcp-client-manager.js';
import type { McpCatalogue, McpCatalogueTool } from './mcp-catalogue.js';
import { createMcpToolSource } from './mcp-tool-source.js';

function backend(
  tools: McpCatalogueTool[],
  outcome = { content: 'ok', isError: false, isTruncated: false },
): McpToolBackend {
  const catalogue: McpCatalogue = {
    version: 1,
    tools,
    callTimeoutMs: 120_000,
    startupTimeoutMs: 20_000,
  };
  return { catalogue: () => catalogue, call: () => Promise.resolve(outcome) };
}

const info = (overrides: Partial<McpCatalogueTool> = {}): McpCatalogueTool => ({
  name: 'search',
  functionName: 'gh_search',
  description: 'Searches.',
  inputSchema: { type: 'object', properties: { q: { type: 'string' } } },
  ...overrides,
});

describe('createMcpToolSource', () => {
  it('names the server in each description and caps what the server wrote', () => {
    const [tool] = createMcpToolSource(
      backend([info({ description: 'y'.repeat(5_000) })]),
      'github',
      {},
    ).tools();
    expect(tool?.description.endsWith('(tool search of MCP server github)')).toBe(true);
    expect(tool?.description.length).toBeLessThan(2_100);
    expect(tool?.origin).toEqual({ kind: 'mcp', serverId: 'github', remoteName: 'search' });
  });

  it('replaces a schema that is not an object schema, or is huge, with an open object', () => {
    const tools = createMcpToolSource(
      backend([
        info({ name: 'a', functionName: 'gh_a', inputSchema: { type: 'string' } }),
        info({
          name: 'b',
          functionName: 'gh_b',
          inputSchema: { type: 'object', description: 'z'.repeat(40_000) },
        }),
        info({ name: 'c', functionName: 'gh_c', inputSchema: { properties: {} } }),
      ]),
      'github',
      {},
    ).tools();
    expect(tools.map((tool) => tool.parameters)).toEqual([
      { type: 'object', properties: {} },
      { type: 'object', properties: {} },
      { type: 'object', properties: {} },
    ]);
  });

  it("covers two attempts and a reconnect in the runner's backstop timeout", () => {
    const [plain] = createMcpToolSource(backend([info()]), 'github', {}).tools();
    const [short] = createMcpToolSource(backend([info()]), 'github', {
      call_timeout_seconds: 10,
    }).tools();
    expect(plain?.timeoutMs).toBe(120_000 * 2 + 20_000 + 5_000);
    expect(short?.timeoutMs).toBe(10_000 * 2 + 20_000 + 5_000);
  });

  it('marks a cut result collapsible and passes the server error flag on', async () => {
    const [tool] = createMcpToolSource(
      backend([info()], { content: 'long…', isError: true, isTruncated: true }),
      'github',
      {},
    ).tools();
    const result = await tool?.run({ q: 'x' }, { signal: new AbortController().signal } as never);
    expect(result).toEqual({ content: 'long…', isError: true, collapsible: true });
  });
});
