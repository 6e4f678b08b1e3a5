import { afterEach, describe, expect, it } from 'vitest';
import { memoryHarness, memorySettings } from '../../test/support/memory-harness.js';
import type { MemoryHarness } from '../../test/support/memory-harness.js';
import { createToolRunner, ToolRegistry } from '../tools/index.js';
import type { Tool, ToolContext } from '../tools/index.js';
import { createMemoryTools, MEMORY_TOOL_NAMES } from './memory-tools.js';

function contextFor(h: MemoryHarness, requester: string, agentName = 'helper'): ToolContext {
  return {
    agentName,
    requester,
    roomId: '!r:x',
    threadRoot: '$t',
    sourceEventId: '$e',
    signal: new AbortController().signal,
    clock: h.clock,
    timezone: 'UTC',
    log: h.log,
  };
}

/** A tool whose `run` answers with text (as every memory tool does). */
function tool(
  tools: Tool[],
  name: string,
): { run: (args: Record<string, unknown>, context: ToolContext) => Promise<string> } {
  const found = tools.find((candidate) => candidate.name === name);
  if (found === undefined) throw new Error(name);
  return {
    run: async (args, context) => {
      const result = await found.run(args, context);
      return typeof result === 'string' ? result : result.content;
    },
  };
}

describe('memory tools', () => {
  let h: MemoryHarness;
  afterEach(() => {
    h.store.close();
  });

  it("offer MindRoom's six tools, scoped to the caller's requester", async () => {
    h = memoryHarness();
    const tools = createMemoryTools(h.service, () => h.settings);
    expect(tools.map((t) => t.name)).toEqual([...MEMORY_TOOL_NAMES]);
    const alice = contextFor(h, '@alice:x');
    const added = await tool(tools, 'add_memory').run(
      { content: 'ALICE-CANARY likes sailing' },
      alice,
    );
    const id = /id=(m[0-9a-f]+)/.exec(added)?.[1];
    expect(id).toBeDefined();
    expect(await tool(tools, 'search_memories').run({ query: 'sailing' }, alice)).toContain(
      'ALICE-CANARY',
    );
    expect(await tool(tools, 'list_memories').run({}, alice)).toContain(`[id=${id}]`);
    expect(
      await tool(tools, 'update_memory').run({ memory_id: id, new_content: 'likes rowing' }, alice),
    ).toContain('likes rowing');
    expect(await tool(tools, 'get_memory').run({ memory_id: id }, alice)).toBe(
      `[id=${id}] likes rowing`,
    );

    const bob = contextFor(h, '@bob:x');
    expect(await tool(tools, 'search_memories').run({ query: 'rowing sailing canary' }, bob)).toBe(
      'No matching memories.',
    );
    expect(await tool(tools, 'list_memories').run({}, bob)).toBe('No memories stored yet.');
    await expect(tool(tools, 'get_memory').run({ memory_id: id }, bob)).rejects.toThrow(
      'no memory found',
    );
    await expect(tool(tools, 'delete_memory').run({ memory_id: id }, bob)).rejects.toThrow(
      'no memory found',
    );
    expect(await tool(tools, 'delete_memory').run({ memory_id: id }, alice)).toBe(
      `Deleted memory [id=${id}]`,
    );
    expect(await tool(tools, 'list_memories').run({}, alice)).toBe('No memories stored yet.');
  });

  it('report failures to the model through the tool runner, never crash the turn', async () => {
    h = memoryHarness(memorySettings({ isEnabledFor: (agent) => agent !== 'stateless' }));
    const tools = createMemoryTools(h.service, () => h.settings);
    const registry = new ToolRegistry(tools);
    const runner = createToolRunner([...MEMORY_TOOL_NAMES], {
      registry,
      clock: h.clock,
      timezone: 'UTC',
      log: h.log,
    });
    const call = (name: string, args: Record<string, unknown>, agentName = 'helper') =>
      runner.run(
        { id: 'c1', name, arguments: args, argumentsJson: JSON.stringify(args) },
        {
          agentName,
          roomId: '!r:x',
          threadRoot: undefined,
          requester: '@a:x',
          signal: new AbortController().signal,
        },
      );
    expect(await call('add_memory', { content: 'x'.repeat(2_001) })).toMatchObject({
      isError: true,
    });
    expect(await call('get_memory', { memory_id: 'mdeadbeef' })).toMatchObject({ isError: true });
    const off = await call('add_memory', { content: 'hello' }, 'stateless');
    expect(off).toMatchObject({ isError: true });
    expect(off.content).toContain('memory_backend: none');
  });
});
