import { describe, expect, it, vi } from 'vitest';
import { AbortReason } from '../shared/index.js';
import { FakeClock, flushMicrotasks } from '../../test/support/fake-clock.js';
import { RecordingLogger } from '../../test/support/recording-logger.js';
import { ToolError } from './errors.js';
import type {
  AgentMessaging,
  Tool,
  ToolCallContext,
  ToolCallRequest,
  ToolContext,
} from './tool.js';
import { ToolRegistry } from './tool-registry.js';
import { createToolRunner, type ToolRunnerDeps } from './tool-runner.js';

const echoTool: Tool = {
  name: 'echo',
  description: 'Echoes its text.',
  parameters: {
    type: 'object',
    properties: { text: { type: 'string' }, times: { type: 'integer', minimum: 1 } },
    required: ['text'],
  },
  run: (args) => {
    const times = typeof args['times'] === 'number' ? args['times'] : 1;
    return Promise.resolve(String(args['text']).repeat(times));
  },
};

/** A tool whose run never settles on its own and ignores its signal. */
function stuckTool(seen: ToolContext[] = []): Tool {
  return {
    name: 'stuck',
    description: 'Never finishes.',
    parameters: { type: 'object', properties: {} },
    run: (_args, context) => {
      seen.push(context);
      return new Promise<string>(() => undefined);
    },
  };
}

function failingTool(error: Error): Tool {
  return {
    name: 'fails',
    description: 'Always throws.',
    parameters: { type: 'object', properties: {} },
    run: () => Promise.reject(error),
  };
}

function setup(tools: readonly Tool[], names?: readonly string[], extra?: Partial<ToolRunnerDeps>) {
  const clock = new FakeClock();
  const log = new RecordingLogger();
  const registry = new ToolRegistry(tools);
  const runner = createToolRunner(names ?? tools.map((tool) => tool.name), {
    registry,
    clock,
    log,
    timezone: 'Europe/Berlin',
    ...extra,
  });
  return { clock, log, runner };
}

function call(name: string, args: Record<string, unknown> = {}): ToolCallRequest {
  return { id: 'call-1', name, arguments: args, argumentsJson: JSON.stringify(args) };
}

function context(signal: AbortSignal = new AbortController().signal): ToolCallContext {
  return {
    agentName: 'helper',
    roomId: '!room:example.org',
    threadRoot: '$root',
    requester: '@alice:example.org',
    signal,
  };
}

describe('createToolRunner', () => {
  it('offers the configured tools in config order, once each', () => {
    const other: Tool = { ...echoTool, name: 'other' };
    const { runner } = setup([echoTool, other], ['other', 'echo', 'other']);
    expect(runner.definitions).toEqual([
      { name: 'other', description: other.description, parameters: other.parameters },
      { name: 'echo', description: echoTool.description, parameters: echoTool.parameters },
    ]);
    expect(runner.skipped).toEqual([]);
  });

  it('leaves out unknown tool names, reporting each once', () => {
    const { runner, log } = setup([echoTool], ['echo', 'shell', 'shell']);
    expect(runner.definitions.map((d) => d.name)).toEqual(['echo']);
    expect(runner.skipped).toEqual([{ name: 'shell', reason: 'unknown' }]);
    expect(log.at('warn', 'unknown tool')).toHaveLength(1);
    expect(log.at('warn')[0]?.fields['tool']).toBe('shell');
  });

  it('leaves out a tool whose capability the agent lacks', () => {
    const poster: Tool = { ...echoTool, name: 'poster', needs: ['messaging'] };
    const { runner } = setup([poster]);
    expect(runner.definitions).toEqual([]);
    expect(runner.skipped).toEqual([{ name: 'poster', reason: 'unavailable' }]);

    const messaging: AgentMessaging = {
      joinedRooms: () => [],
      postMessage: () => Promise.resolve('$e'),
    };
    expect(setup([poster], undefined, { messaging }).runner.definitions).toHaveLength(1);
  });

  it('uses the built-in tools when no registry is given', () => {
    const runner = createToolRunner(['calculator', 'current_time'], {
      clock: new FakeClock(),
      log: new RecordingLogger(),
      timezone: 'UTC',
    });
    expect(runner.definitions.map((d) => d.name)).toEqual(['calculator', 'current_time']);
  });
});

describe('AgentToolRunner.run', () => {
  it('runs the tool with the checked arguments and returns its text', async () => {
    const { runner } = setup([echoTool]);
    await expect(runner.run(call('echo', { text: 'ab', times: 2 }), context())).resolves.toEqual({
      content: 'abab',
      isError: false,
    });
  });

  it('gives the tool the call context and the agent capabilities', async () => {
    const seen: ToolContext[] = [];
    const { runner, clock } = setup([
      {
        ...echoTool,
        run: (_args, ctx) => {
          seen.push(ctx);
          return Promise.resolve('ok');
        },
      },
    ]);
    await runner.run(call('echo', { text: 'x' }), context());
    expect(seen[0]).toMatchObject({
      agentName: 'helper',
      roomId: '!room:example.org',
      threadRoot: '$root',
      requester: '@alice:example.org',
      timezone: 'Europe/Berlin',
      clock,
    });
  });

  it('answers an unknown tool name with the available tools', async () => {
    const { runner } = setup([echoTool]);
    const result = await runner.run(call('nope'), context());
    expect(result).toEqual({
      content: "Error: there is no tool named 'nope'. Available tools: echo.",
      isError: true,
    });
  });

  it('answers unreadable arguments without running the tool', async () => {
    const run = vi.fn(echoTool.run);
    const { runner } = setup([{ ...echoTool, run }]);
    const result = await runner.run(
      { ...call('echo'), argumentsJson: '{"text": ', argumentsError: 'invalid JSON: truncated' },
      context(),
    );
    expect(result.isError).toBe(true);
    expect(result.content).toContain('could not be read (invalid JSON: truncated)');
    expect(run).not.toHaveBeenCalled();
  });

  it('names missing and mistyped arguments without running the tool', async () => {
    const run = vi.fn(echoTool.run);
    const { runner } = setup([{ ...echoTool, run }]);
    const missing = await runner.run(call('echo', { times: 2 }), context());
    expect(missing).toEqual({
      content: 'Error: invalid arguments for echo: `text` is required (a string).',
      isError: true,
    });
    const mistyped = await runner.run(call('echo', { text: 'a', times: 1.5 }), context());
    expect(mistyped.content).toBe(
      'Error: invalid arguments for echo: `times` must be an integer, got the number 1.5.',
    );
    expect(run).not.toHaveBeenCalled();
  });

  it('turns a thrown error into an error result without its stack', async () => {
    const error = new Error('disk on fire\n    at secretFunction (/srv/quorum/x.ts:1:1)');
    const { runner, log } = setup([failingTool(error)]);
    await expect(runner.run(call('fails'), context())).resolves.toEqual({
      content: 'Error: disk on fire',
      isError: true,
    });
    expect(log.at('warn', 'tool call failed')).toHaveLength(1);
  });

  it('passes a ToolError message to the model verbatim and logs it at debug', async () => {
    const { runner, log } = setup([
      failingTool(new ToolError('refused', 'not in that room.\nRooms: !a:x')),
    ]);
    const result = await runner.run(call('fails'), context());
    expect(result).toEqual({ content: 'Error: not in that room.\nRooms: !a:x', isError: true });
    expect(log.at('warn')).toEqual([]);
    expect(log.at('debug', 'tool call refused')).toHaveLength(1);
  });

  it('redacts secrets from unexpected error messages', async () => {
    const { runner } = setup([
      failingTool(new Error('GET https://hs/_matrix?access_token=syt_abcdefghijkl failed')),
    ]);
    const result = await runner.run(call('fails'), context());
    expect(result.content).not.toContain('syt_abcdefghijkl');
    expect(result.content).toContain('failed');
  });

  it('stops a tool that runs past the timeout and says so', async () => {
    const seen: ToolContext[] = [];
    const { runner, clock } = setup([stuckTool(seen)], undefined, { timeoutMs: 5_000 });
    const pending = runner.run(call('stuck'), context());
    await flushMicrotasks();
    await clock.advance(4_999);
    expect(seen[0]?.signal.aborted).toBe(false);
    await clock.advance(1);
    await expect(pending).resolves.toEqual({
      content: 'Error: stuck did not finish within 5 s and was stopped.',
      isError: true,
    });
    expect(seen[0]?.signal.reason).toBeInstanceOf(AbortReason);
  });

  it('defaults the timeout to 30 seconds', async () => {
    const { runner, clock } = setup([stuckTool()]);
    const pending = runner.run(call('stuck'), context());
    await flushMicrotasks();
    await clock.advance(30_000);
    await expect(pending).resolves.toMatchObject({ isError: true });
  });

  it('rejects with the turn abort reason even when the tool ignores its signal', async () => {
    const turn = new AbortController();
    const seen: ToolContext[] = [];
    const { runner, clock } = setup([stuckTool(seen)]);
    const pending = runner.run(call('stuck'), context(turn.signal));
    await flushMicrotasks();
    const reason = new AbortReason('stopped');
    turn.abort(reason);
    await expect(pending).rejects.toBe(reason);
    expect(seen[0]?.signal.reason).toBe(reason);
    expect(clock.pendingSleeps).toBe(0);
  });

  it('rejects at once when the turn is already aborted', async () => {
    const turn = new AbortController();
    const reason = new AbortReason('superseded');
    turn.abort(reason);
    const run = vi.fn(echoTool.run);
    const { runner } = setup([{ ...echoTool, run }]);
    await expect(runner.run(call('echo', { text: 'a' }), context(turn.signal))).rejects.toBe(
      reason,
    );
    expect(run).not.toHaveBeenCalled();
  });

  it('leaves no listener on the turn signal and no timer behind', async () => {
    const turn = new AbortController();
    const added = vi.spyOn(turn.signal, 'addEventListener');
    const removed = vi.spyOn(turn.signal, 'removeEventListener');
    const { runner, clock } = setup([echoTool, failingTool(new Error('x'))]);
    await runner.run(call('echo', { text: 'a' }), context(turn.signal));
    await runner.run(call('fails'), context(turn.signal));
    expect(added.mock.calls.length).toBeGreaterThan(0);
    expect(removed.mock.calls.length).toBe(added.mock.calls.length);
    await flushMicrotasks();
    expect(clock.pendingSleeps).toBe(0);
  });

  it('cuts a huge result and says how much was cut', async () => {
    const { runner } = setup([echoTool], undefined, { maxResultChars: 100 });
    const result = await runner.run(call('echo', { text: 'x', times: 1_000 }), context());
    expect(result.isError).toBe(false);
    expect(result.content.startsWith('x'.repeat(100) + '\n\n[truncated')).toBe(true);
    expect(result.content).toContain('showing the first 100 of 1000 characters');
  });

  it('never cuts inside a surrogate pair', async () => {
    const { runner } = setup([echoTool], undefined, { maxResultChars: 5 });
    const result = await runner.run(call('echo', { text: 'abcd😀😀' }), context());
    expect(result.content.startsWith('abcd\n\n[truncated')).toBe(true);
  });
});
