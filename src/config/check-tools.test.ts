import { describe, expect, it } from 'vitest';
import type { ConfigIssue, ConfigWarning } from './issues.js';
import { parseConfig } from './parse-config.js';
import { parseMcpToolOverrides, parseToolOptions, QUORUM_TOOL_NAMES } from './tool-settings.js';

const MODELS = 'models:\n  default: {provider: openai, id: gpt-test}\n';

function issuesOf(text: string, env: Record<string, string> = {}): readonly ConfigIssue[] {
  const result = parseConfig(text, { env });
  if (result.ok) throw new Error('expected the config to be rejected');
  return result.issues;
}

function warningsOf(text: string, env: Record<string, string> = {}): readonly ConfigWarning[] {
  const result = parseConfig(text, { env });
  if (!result.ok) throw new Error(JSON.stringify(result.issues, null, 2));
  return result.warnings;
}

describe('tool names', () => {
  it('rejects an unknown tool, naming the agent and the line of the entry', () => {
    const text = `${MODELS}agents:\n  calc:\n    display_name: Calc\n    tools:\n      - calculator\n      - frobnicate\n`;
    expect(issuesOf(text)).toEqual([
      {
        path: 'agents.calc.tools[1]',
        message: expect.stringMatching(
          /^unknown tool 'frobnicate' of agent 'calc'; Quorum's tools are calculator, .*mcp_<id>$/,
        ) as string,
        line: 8,
        column: 9,
      },
    ]);
  });

  it('says a MindRoom tool is not implemented yet and suggests an MCP server', () => {
    const text = `${MODELS}agents:\n  dev: {display_name: Dev, tools: [github]}\n`;
    expect(issuesOf(text)[0]?.message).toBe(
      "tool 'github' of agent 'dev' is a MindRoom tool that Quorum does not implement yet; run an MCP server that provides it (mcp_servers.<id>) and list it as mcp_<id>",
    );
  });

  it('names the agents inheriting a bad default tool', () => {
    const text = `${MODELS}defaults:\n  tools: [todo]\nagents:\n  a: {display_name: A}\n  b: {display_name: B, include_default_tools: false}\n`;
    const [issue] = issuesOf(text);
    expect(issue).toMatchObject({ path: 'defaults.tools[0]', line: 4 });
    expect(issue?.message).toContain('of defaults (used by a)');
  });

  it('accepts every Quorum tool and an mcp_<id> whose server exists', () => {
    const tools = [...QUORUM_TOOL_NAMES, 'mcp_github'].join(', ');
    const text = `${MODELS}mcp_servers:\n  github: {transport: stdio, command: gh-mcp}\nagents:\n  a: {display_name: A, tools: [${tools}]}\n`;
    expect(warningsOf(text)).toEqual([]);
  });

  it('requires the MCP server of an mcp_<id> tool, listing the configured ones', () => {
    const text = `${MODELS}mcp_servers:\n  files: {transport: stdio, command: x}\nagents:\n  a: {display_name: A, tools: [mcp_github]}\n`;
    expect(issuesOf(text)[0]?.message).toBe(
      "tool 'mcp_github' of agent 'a' needs an MCP server 'github' in mcp_servers (configured: files)",
    );
  });

  it('warns when an agent uses a disabled MCP server', () => {
    const text = `${MODELS}mcp_servers:\n  gh: {transport: stdio, command: x, enabled: false}\nagents:\n  a: {display_name: A, tools: [mcp_gh]}\n`;
    expect(warningsOf(text)).toEqual([
      expect.objectContaining({
        path: 'agents.a.tools[0]',
        message: "MCP server 'gh' is disabled (enabled: false), so agent 'a' gets no tools from it",
      }),
    ]);
  });
});

describe('tool options', () => {
  it('rejects an unknown option at its key, in the compact form', () => {
    const text = `${MODELS}agents:\n  a:\n    display_name: A\n    tools:\n      - shell:\n          extra_env_passthrough: [GITHUB_TOKEN]\n`;
    expect(issuesOf(text)).toEqual([
      expect.objectContaining({
        path: 'agents.a.tools[0].shell.extra_env_passthrough',
        message: "unknown key 'extra_env_passthrough'",
        line: 8,
      }),
    ]);
  });

  it('checks option values in the named form, under overrides', () => {
    const text = `${MODELS}agents:\n  a:\n    display_name: A\n    tools:\n      - name: fetch_url\n        overrides: {timeout_seconds: -1}\n`;
    expect(issuesOf(text)[0]).toMatchObject({
      path: 'agents.a.tools[0].overrides.timeout_seconds',
      line: 8,
    });
  });

  it("checks an MCP entry's per-agent filters", () => {
    const text = `${MODELS}mcp_servers:\n  gh: {transport: stdio, command: x}\nagents:\n  a:\n    display_name: A\n    tools:\n      - mcp_gh: {include_tools: [a], exclude_tools: [a]}\n`;
    expect(issuesOf(text).map((issue) => [issue.path, issue.message])).toEqual([
      ['agents.a.tools[0].mcp_gh.exclude_tools', 'include_tools and exclude_tools overlap: a'],
    ]);
    expect(issuesOf(text.replace('exclude_tools: [a]', 'bogus: 1'))[0]?.path).toBe(
      'agents.a.tools[0].mcp_gh.bogus',
    );
  });

  it('refuses to let the file tool leave the workspace', () => {
    const text = `${MODELS}agents:\n  a:\n    display_name: A\n    tools:\n      - file: {restrict_to_base_dir: false}\n`;
    expect(issuesOf(text)[0]?.message).toContain(
      'always keeps the file tool inside the agent workspace',
    );
  });

  it('refuses options on a tool that takes none', () => {
    const text = `${MODELS}agents:\n  a:\n    display_name: A\n    tools:\n      - calculator: {precision: 3}\n`;
    expect(issuesOf(text)[0]?.path).toBe('agents.a.tools[0].calculator.precision');
  });

  it('fills in defaults when a tool parses its options', () => {
    expect(parseToolOptions('shell', {})).toEqual({
      enable_run_shell_command: true,
      timeout_seconds: 60,
      max_output_chars: 16_000,
    });
    expect(parseToolOptions('file', { enable_delete_file: true })).toMatchObject({
      enable_delete_file: true,
      enable_read_file: true,
    });
    expect(parseMcpToolOverrides({ include_tools: ['x'] })).toEqual({ include_tools: ['x'] });
  });
});

describe("Quorum's MCP server", () => {
  it('needs a bearer token to be enabled', () => {
    const text = `${MODELS}quorum:\n  mcp_server: {enabled: true}\n`;
    expect(issuesOf(text)[0]).toMatchObject({ path: 'quorum.mcp_server.token' });
  });

  it('takes the token from the environment and checks the agents it exposes', () => {
    const text = `${MODELS}agents:\n  a: {display_name: A}\nteams:\n  crew: {display_name: Crew, agents: [a]}\nquorum:\n  mcp_server: {enabled: true, token: '\${QUORUM_MCP_TOKEN}', agents: [a, crew, ghost]}\n`;
    expect(issuesOf(text, { QUORUM_MCP_TOKEN: 'x'.repeat(32) })).toEqual([
      expect.objectContaining({
        path: 'quorum.mcp_server.agents[2]',
        message: "unknown agent or team 'ghost'",
      }),
    ]);
  });

  it('refuses a literal token', () => {
    const text = `${MODELS}quorum:\n  mcp_server: {enabled: true, token: abcdefabcdefabcdefabcdef}\n`;
    expect(issuesOf(text)[0]?.path).toBe('quorum.mcp_server.token');
  });
});

describe('tools a service provides', () => {
  it('accepts memory and scheduler (the memory and schedule tools) without a warning', () => {
    const text = `${MODELS}agents:\n  a: {display_name: A, tools: [memory, scheduler, calculator]}\n`;
    expect(parseConfig(text, { env: {} }).ok).toBe(true);
    expect(warningsOf(text)).toEqual([]);
  });
});
