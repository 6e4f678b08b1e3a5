/**
 * `quorum config validate` as an operator runs it: the real CLI in a child process, on a file.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const BIN = resolve(import.meta.dirname, '../../bin/quorum.js');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'quorum-validate-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function validate(text: string): Promise<{ code: number; stdout: string }> {
  const path = join(dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, text);
  try {
    const { stdout } = await run(process.execPath, [BIN, 'config', 'validate', path], {
      env: { PATH: process.env['PATH'] ?? '' },
    });
    return { code: 0, stdout: stdout.replaceAll(path, 'config.yaml') };
  } catch (error: unknown) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, stdout: failed.stdout.replaceAll(path, 'config.yaml') };
  }
}

const MODELS = 'models:\n  default: {provider: openai, id: gpt-test}\n';

describe('quorum config validate', () => {
  it('fails on an unknown tool, naming the agent and the line', async () => {
    const result = await validate(
      `${MODELS}agents:\n  calc:\n    display_name: Calc\n    tools:\n      - calculator\n      - frobnicate\n      - github\n`,
    );
    expect(result.code).toBe(1);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      /^config\.yaml:8:9 agents\.calc\.tools\[1\]: unknown tool 'frobnicate' of agent 'calc'; Quorum's tools are /,
    );
    expect(lines[1]).toBe(
      "config.yaml:9:9 agents.calc.tools[2]: tool 'github' of agent 'calc' is a MindRoom tool that Quorum does not implement yet; run an MCP server that provides it (mcp_servers.<id>) and list it as mcp_<id>",
    );
    expect(lines.at(-1)).toBe('config.yaml: invalid (2 errors)');
  }, 30_000);

  it('accepts MCP servers and the tools agents list from them', async () => {
    const result = await validate(
      `${MODELS}mcp_servers:\n  github:\n    transport: streamable-http\n    url: http://127.0.0.1:9000/mcp\n    headers: {Authorization: 'Bearer \${GITHUB_MCP_TOKEN:-none}'}\nagents:\n  dev:\n    display_name: Dev\n    tools:\n      - mcp_github: {include_tools: [search_issues]}\n      - shell\n      - fetch_url: {allowed_hosts: [wiki.internal]}\n`,
    );
    expect(result).toEqual({ code: 0, stdout: 'config.yaml: valid (1 agent, 0 teams, 1 model)\n' });
  }, 30_000);
});
