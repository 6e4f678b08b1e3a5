/**
 * tools/ may not import llm/ (a peer), so its runner matches llm's tool types only
 * structurally. This file holds the two folders together: if either side changes shape, the
 * type check fails here.
 */
import { describe, expect, it } from 'vitest';
import type { ToolCall, ToolDefinition } from '../../src/llm/index.js';
import { asRoomId, silentLogger } from '../../src/shared/index.js';
import {
  createToolRunner,
  type ToolCallRequest,
  type ToolRunner,
  type ToolSpec,
} from '../../src/tools/index.js';
import { FakeClock } from '../support/fake-clock.js';

describe('tool runner contract', () => {
  it('serves as the turn runner ToolRunner', async () => {
    const runner: ToolRunner = createToolRunner(['calculator'], {
      clock: new FakeClock(),
      log: silentLogger,
      timezone: 'UTC',
    });
    const definitions: readonly ToolDefinition[] = runner.definitions;
    const call: ToolCall = {
      id: '1',
      name: 'calculator',
      arguments: { expression: '6*7' },
      argumentsJson: '{"expression":"6*7"}',
    };
    const result = await runner.run(call, {
      agentName: 'a',
      roomId: asRoomId('!r:x'),
      threadRoot: undefined,
      sourceEventId: '$source',
      requester: '@u:x',
      signal: new AbortController().signal,
    });
    expect(definitions).toHaveLength(1);
    expect(result).toEqual({ content: '42', isError: false });
  });

  it('accepts llm ToolCall and ToolDefinition values as its own shapes', () => {
    const asRequest = (call: ToolCall): ToolCallRequest => call;
    const asDefinition = (spec: ToolSpec): ToolDefinition => spec;
    expect(asRequest({ id: '1', name: 'n', arguments: {}, argumentsJson: '' }).name).toBe('n');
    expect(asDefinition({ name: 'n', description: 'd', parameters: {} }).name).toBe('n');
  });
});
