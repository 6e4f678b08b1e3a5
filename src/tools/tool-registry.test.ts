import { describe, expect, it } from 'vitest';
import type { Tool } from './tool.js';
import { ToolRegistry } from './tool-registry.js';

const tool = (name: string): Tool => ({
  name,
  description: 'A tool.',
  parameters: { type: 'object', properties: {} },
  run: () => Promise.resolve(''),
});

describe('ToolRegistry', () => {
  it('finds tools by exact name and lists names in registration order', () => {
    const registry = new ToolRegistry([tool('b'), tool('a')]).register(tool('mcp_files_read'));
    expect(registry.names()).toEqual(['b', 'a', 'mcp_files_read']);
    expect(registry.get('a')?.name).toBe('a');
    expect(registry.get('A')).toBeUndefined();
    expect(registry.get('constructor')).toBeUndefined();
  });

  it('refuses a duplicate name', () => {
    expect(() => new ToolRegistry([tool('a'), tool('a')])).toThrow(
      "tool 'a' is already registered",
    );
  });

  it('refuses names providers would reject', () => {
    for (const name of ['', 'has space', 'dot.name', 'x'.repeat(65)]) {
      expect(() => new ToolRegistry([tool(name)])).toThrow('invalid tool name');
    }
  });
});
