import { describe, expect, it } from 'vitest';
import { QUORUM_TOOL_NAMES, type ToolEntry } from '../config/index.js';
import { FakeClock } from '../../test/support/fake-clock.js';
import { RecordingLogger } from '../../test/support/recording-logger.js';
import { buildAgentTools, type AgentToolsDeps } from './agent-tools.js';
import { BUILTIN_TOOL_NAMES, createBuiltinTools } from './builtin-tools.js';
import type { McpToolBackend } from './mcp/mcp-client-manager.js';
import type { McpCatalogue, McpCatalogueTool } from './mcp/mcp-catalogue.js';
import { SCHEDULER_TOOLKIT } from './scheduler-tools.js';
import type { ToolCallContext, ToolCallRequest } from './tool.js';

/** An MCP backend whose catalogues the test edits, recording calls. */
class FakeMcp implements McpToolBackend {
  readonly calls: { serverId: string; name: string; timeoutMs: number | undefined }[] = [];
  private readonly catalogues = new Map<string, McpCatalogue>();

  set(serverId: string, names: readonly string[], prefix = serverId): void {
    const version = (this.catalogues.get(serverId)?.version ?? 0) + 1;
    const tools: McpCatalogueTool[] = names.map((name) => ({
      name,
      functionName: prefix === '' ? name : `${prefix}_${name}`,
      description: `${name} from ${serverId}`,
      inputSchema: { type: 'object', properties: { q: { type: 'string' } } },
    }));
    this.catalogues.set(serverId, {
      version,
      tools,
      callTimeoutMs: 10_000,
      startupTimeoutMs: 5_000,
    });
  }

  catalogue(serverId: string): McpCatalogue | undefined {
    return this.catalogues.get(serverId);
  }

  call(
    serverId: string,
    name: string,
    _args: Readonly<Record<string, unknown>>,
    options: { timeoutMs?: number | undefined },
  ) {
    this.calls.push({ serverId, name, timeoutMs: options.timeoutMs });
    return Promise.resolve({ content: `${serverId}:${name}`, isError: false, isTruncated: false });
  }
}

function deps(mcp?: McpToolBackend): AgentToolsDeps {
  return {
    clock: new FakeClock(),
    log: new RecordingLogger(),
    timezone: 'UTC',
    host: { shellEnv: { PATH: '/usr/bin:/bin' } },
    workspaceDir: '/tmp/quorum-agent-tools-test',
    mcp,
  };
}

function withoutWorkspace(all: AgentToolsDeps): AgentToolsDeps {
  const { workspaceDir: _dropped, ...rest } = all;
  return rest;
}

const entry = (name: string, overrides: Record<string, unknown> = {}): ToolEntry => ({
  name,
  overrides,
});
const call = (name: string, args: Record<string, unknown> = {}): ToolCallRequest => ({
  id: 'c1',
  name,
  arguments: args,
  argumentsJson: JSON.stringify(args),
});
const context = (): ToolCallContext => ({
  agentName: 'dev',
  roomId: '!r:x',
  threadRoot: undefined,
  requester: '@u:x',
  signal: new AbortController().signal,
});

describe('buildAgentTools', () => {
  it('builds every tool name the config accepts', () => {
    expect([...BUILTIN_TOOL_NAMES]).toEqual([...QUORUM_TOOL_NAMES]);
    for (const name of QUORUM_TOOL_NAMES) {
      const tools = createBuiltinTools(name, {}, { shellEnv: {} });
      // The scheduler toolkit comes from the daemon's ScheduleService (an extra tool source).
      if (name === SCHEDULER_TOOLKIT) expect(tools).toEqual([]);
      else expect(tools.length, name).toBeGreaterThan(0);
    }
  });

  it('offers built-ins first, then each MCP server, with MindRoom function names', () => {
    const mcp = new FakeMcp();
    mcp.set('github', ['create_issue', 'search']);
    const runner = buildAgentTools(
      [entry('mcp_github'), entry('calculator'), entry('file'), entry('shell')],
      deps(mcp),
    );
    expect(runner.definitions.map((d) => d.name)).toEqual([
      'calculator',
      'read_file',
      'save_file',
      'list_files',
      'run_shell_command',
      'github_create_issue',
      'github_search',
    ]);
  });

  it("filters an MCP server's tools by the agent's entry and passes its timeout", async () => {
    const mcp = new FakeMcp();
    mcp.set('github', ['create_issue', 'search', 'delete_repo']);
    const runner = buildAgentTools(
      [
        entry('mcp_github', {
          include_tools: ['search', 'delete_repo'],
          exclude_tools: ['create_issue'],
          call_timeout_seconds: 3,
        }),
      ],
      deps(mcp),
    );
    expect(runner.definitions.map((d) => d.name)).toEqual(['github_search', 'github_delete_repo']);
    const result = await runner.run(call('github_search', { q: 'bug' }), context());
    expect(result).toEqual({ content: 'github:search', isError: false });
    expect(mcp.calls).toEqual([{ serverId: 'github', name: 'search', timeoutMs: 3_000 }]);
  });

  it('sees a changed catalogue on the next read, and the same array while nothing changed', () => {
    const mcp = new FakeMcp();
    mcp.set('fs', ['read']);
    const runner = buildAgentTools([entry('mcp_fs')], deps(mcp));
    const first = runner.definitions;
    expect(runner.definitions).toBe(first);
    mcp.set('fs', ['read', 'write']);
    expect(runner.definitions.map((d) => d.name)).toEqual(['fs_read', 'fs_write']);
  });

  it('renames an MCP tool that clashes with a built-in, deterministically', async () => {
    const mcp = new FakeMcp();
    mcp.set('calc', ['calculator'], '');
    const runner = buildAgentTools([entry('calculator'), entry('mcp_calc')], deps(mcp));
    const names = runner.definitions.map((d) => d.name);
    expect(names[0]).toBe('calculator');
    expect(names[1]).toMatch(/^calculator_[0-9a-f]{8}$/);
    expect(
      buildAgentTools([entry('calculator'), entry('mcp_calc')], deps(mcp)).definitions[1]?.name,
    ).toBe(names[1]);
    expect((await runner.run(call(names[1] ?? ''), context())).content).toBe('calc:calculator');
  });

  it('tells the approval gate the MCP alias and the tools’ implicit rules', async () => {
    const mcp = new FakeMcp();
    mcp.set('github', ['search']);
    const runner = buildAgentTools(
      [entry('mcp_github'), entry('shell'), entry('calculator')],
      deps(mcp),
    );
    expect(await runner.approvalSubject(call('github_search'), context())).toEqual({
      name: 'github_search',
      aliases: ['mcp_github'],
      implicit: undefined,
    });
    expect(
      await runner.approvalSubject(call('run_shell_command', { command: 'ls' }), context()),
    ).toEqual({
      name: 'run_shell_command',
      aliases: [],
      implicit: { reason: 'runs a shell command on the Quorum host' },
    });
    expect((await runner.approvalSubject(call('calculator'), context())).implicit).toBeUndefined();
  });

  it('leaves out what it cannot serve, and says why', () => {
    const runner = buildAgentTools(
      [entry('mcp_github'), entry('file'), entry('ask_user')],
      withoutWorkspace(deps(undefined)),
    );
    expect(runner.definitions).toEqual([]);
    expect(runner.skipped).toEqual([
      { name: 'mcp_github', reason: 'unavailable' },
      { name: 'read_file', reason: 'unavailable' },
      { name: 'save_file', reason: 'unavailable' },
      { name: 'list_files', reason: 'unavailable' },
      { name: 'ask_user', reason: 'unavailable' },
    ]);
  });

  it('offers at most 128 tools, built-ins first, so a huge MCP catalogue cannot break requests', () => {
    const mcp = new FakeMcp();
    mcp.set(
      'huge',
      Array.from({ length: 300 }, (_, i) => `t${String(i).padStart(3, '0')}`),
    );
    const runner = buildAgentTools([entry('mcp_huge'), entry('calculator')], deps(mcp));
    expect(runner.definitions).toHaveLength(128);
    expect(runner.definitions[0]?.name).toBe('calculator');
    expect(runner.definitions.at(-1)?.name).toBe('huge_t126');
  });

  it('offers an MCP server with no tools yet as nothing, then its tools once ready', () => {
    const mcp = new FakeMcp();
    const runner = buildAgentTools([entry('mcp_slow')], deps(mcp));
    expect(runner.definitions).toEqual([]);
    mcp.set('slow', ['ping']);
    expect(runner.definitions.map((d) => d.name)).toEqual(['slow_ping']);
  });
});
