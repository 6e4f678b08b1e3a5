import { describe, expect, it } from 'vitest';
import {
  FUNCTION_NAME,
  mcpFunctionName,
  toFunctionName,
  uniqueFunctionNames,
} from './tool-names.js';

describe('function names', () => {
  it('prefixes MCP tools with the server prefix', () => {
    expect(mcpFunctionName('github', 'create_issue')).toBe('github_create_issue');
  });

  it('replaces characters the providers refuse', () => {
    expect(mcpFunctionName('fs', 'files.read/all')).toBe('fs_files_read_all');
    expect(toFunctionName('héllo wörld')).toBe('h_llo_w_rld');
  });

  it('shortens long names with a hash, keeping them distinct and valid', () => {
    const a = mcpFunctionName('server', `${'x'.repeat(100)}_alpha`);
    const b = mcpFunctionName('server', `${'x'.repeat(100)}_beta`);
    expect(a).toHaveLength(64);
    expect(a).not.toBe(b);
    expect(a).toMatch(FUNCTION_NAME);
    expect(mcpFunctionName('server', `${'x'.repeat(100)}_alpha`)).toBe(a);
  });

  it('resolves collisions deterministically: the first keeps the name', () => {
    const names = uniqueFunctionNames(
      [
        { name: 'fs_read', key: 'mcp_a/read' },
        { name: 'fs_read', key: 'mcp_b/read' },
        { name: 'calculator', key: 'mcp_c/calculator' },
      ],
      new Set(['calculator']),
    );
    expect(names[0]).toBe('fs_read');
    expect(names[1]).toMatch(/^fs_read_[0-9a-f]{8}$/);
    expect(names[2]).toMatch(/^calculator_[0-9a-f]{8}$/);
    expect(new Set(names).size).toBe(3);
    expect(
      uniqueFunctionNames([
        { name: 'fs_read', key: 'mcp_a/read' },
        { name: 'fs_read', key: 'mcp_b/read' },
      ]),
    ).toEqual(names.slice(0, 2));
  });

  it('keeps renamed long names within 64 characters', () => {
    const long = 'y'.repeat(64);
    const [, second] = uniqueFunctionNames([
      { name: long, key: 'a' },
      { name: long, key: 'b' },
    ]);
    expect(second).toHaveLength(64);
    expect(second).toMatch(FUNCTION_NAME);
  });
});
