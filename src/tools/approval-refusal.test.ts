import { describe, expect, it } from 'vitest';
import { refuseApprovalCalls, type RunsToolCalls } from './approval-refusal.js';
import type { ToolCallContext, ToolCallRequest, ToolSpec } from './tool.js';

const context = (signal = new AbortController().signal): ToolCallContext => ({
  agentName: 'a',
  roomId: 'detached',
  threadRoot: undefined,
  requester: 'mcp',
  signal,
});

const call = (name: string, args: Record<string, unknown> = {}): ToolCallRequest => ({
  id: '1',
  name,
  arguments: args,
  argumentsJson: JSON.stringify(args),
});

function base(): RunsToolCalls & { ran: string[]; definitions: ToolSpec[] } {
  const ran: string[] = [];
  return {
    ran,
    definitions: [{ name: 'matrix_message', description: '', parameters: {} }],
    run: (request) => {
      ran.push(request.name);
      return Promise.resolve({ content: 'done', isError: false });
    },
  };
}

describe('refuseApprovalCalls with a per-call rule', () => {
  it('judges each call by its arguments (an async rule), naming the channel', async () => {
    const inner = base();
    const guarded = refuseApprovalCalls(
      inner,
      (_name, request) => Promise.resolve(request.arguments['room'] === '!dm:hs'),
      'this channel (outside Matrix)',
    );
    const refused = await guarded.run(call('matrix_message', { room: '!dm:hs' }), context());
    expect(refused.isError).toBe(true);
    expect(refused.content).toContain('over this channel (outside Matrix)');
    expect(await guarded.run(call('matrix_message', { room: '!lobby:hs' }), context())).toEqual({
      content: 'done',
      isError: false,
    });
    expect(inner.ran).toEqual(['matrix_message']);
  });

  it('refuses when the rule itself fails (fail closed), but rethrows an abort', async () => {
    const inner = base();
    const guarded = refuseApprovalCalls(inner, () => Promise.reject(new Error('boom')));
    expect((await guarded.run(call('matrix_message'), context())).isError).toBe(true);
    const controller = new AbortController();
    controller.abort(new Error('turn stopped'));
    await expect(guarded.run(call('matrix_message'), context(controller.signal))).rejects.toThrow(
      'turn stopped',
    );
    expect(inner.ran).toEqual([]);
  });

  it('shows the runner’s current definitions', () => {
    const inner = base();
    const guarded = refuseApprovalCalls(inner, () => false);
    inner.definitions.push({ name: 'mcp_tool', description: '', parameters: {} });
    expect(guarded.definitions.map((tool) => tool.name)).toEqual(['matrix_message', 'mcp_tool']);
  });
});
