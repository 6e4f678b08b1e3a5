import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.js';
import { RecordingLogger } from '../../test/support/recording-logger.js';
import { silentLogger } from '../shared/index.js';
import { BUILTIN_TOOLS, createBuiltinToolRegistry } from './builtin-tools.js';
import { calculatorTool } from './calculator-tool.js';
import { currentTimeTool, describeTime } from './current-time-tool.js';
import { ToolError } from './errors.js';
import type { ToolContext } from './tool.js';
import { createToolRunner } from './tool-runner.js';

// 2026-03-04T13:05:09Z, a Wednesday.
const NOW_MS = Date.UTC(2026, 2, 4, 13, 5, 9);

function toolContext(overrides: Partial<ToolContext> = {}): ToolContext {
  return {
    agentName: 'helper',
    roomId: '!room:example.org',
    threadRoot: undefined,
    requester: '@alice:example.org',
    signal: new AbortController().signal,
    clock: new FakeClock(NOW_MS),
    timezone: 'Europe/Berlin',
    log: silentLogger,
    ...overrides,
  };
}

describe('built-in tools', () => {
  it('registers the built-in tools in a fresh registry each time', () => {
    expect(createBuiltinToolRegistry().names()).toEqual([
      'calculator',
      'current_time',
      'matrix_message',
      'ask_user',
      'propose_config_change',
    ]);
    const one = createBuiltinToolRegistry();
    one.register({ ...calculatorTool, name: 'extra' });
    expect(createBuiltinToolRegistry().get('extra')).toBeUndefined();
  });

  it('declares object schemas that forbid unknown arguments', () => {
    for (const tool of BUILTIN_TOOLS) {
      expect(tool.parameters['type']).toBe('object');
      expect(tool.parameters['additionalProperties']).toBe(false);
      expect(tool.description.length).toBeGreaterThan(20);
    }
  });
});

describe('calculator', () => {
  it('answers with the result alone', async () => {
    await expect(calculatorTool.run({ expression: '0.1 + 0.2' }, toolContext())).resolves.toBe(
      '0.3',
    );
  });

  it('explains a bad expression with its position', async () => {
    const failure = calculatorTool.run({ expression: '(1 + 2))' }, toolContext());
    await expect(failure).rejects.toBeInstanceOf(ToolError);
    await expect(failure).rejects.toThrow(`unexpected ')' at 7 in "(1 + 2))"`);
  });

  it('reaches the model as an error result through the runner', async () => {
    const runner = createToolRunner(['calculator'], {
      clock: new FakeClock(),
      log: new RecordingLogger(),
      timezone: 'UTC',
    });
    const call = (expression: unknown) => ({
      id: 'c',
      name: 'calculator',
      arguments: { expression },
      argumentsJson: '',
    });
    const context = { ...toolContext(), threadRoot: undefined };
    await expect(runner.run(call('2^10'), context)).resolves.toEqual({
      content: '1024',
      isError: false,
    });
    await expect(runner.run(call('1/0'), context)).resolves.toEqual({
      content: 'Error: division by zero at 1 in "1/0"',
      isError: true,
    });
    await expect(runner.run(call('constructor'), context)).resolves.toMatchObject({
      content: `Error: unknown name 'constructor' at 0 in "constructor"`,
    });
    await expect(runner.run(call(42), context)).resolves.toMatchObject({
      content:
        'Error: invalid arguments for calculator: `expression` must be a string, got the number 42.',
    });
  });
});

describe('current_time', () => {
  it("uses the agent's time zone by default", async () => {
    const text = await currentTimeTool.run({}, toolContext());
    expect(text).toBe(
      [
        'Europe/Berlin: Wednesday, March 4, 2026 at 14:05:09 GMT+1',
        'ISO 8601: 2026-03-04T14:05:09+01:00',
        'UTC: 2026-03-04T13:05:09.000Z',
        'Unix time: 1772629509',
      ].join('\n'),
    );
  });

  it('answers for a requested zone, in its canonical spelling', async () => {
    const text = await currentTimeTool.run({ timezone: 'america/new_york' }, toolContext());
    expect(text).toContain('America/New_York: Wednesday, March 4, 2026 at 08:05:09 EST');
    expect(text).toContain('ISO 8601: 2026-03-04T08:05:09-05:00');
  });

  it('writes a zero offset as +00:00', () => {
    expect(describeTime(NOW_MS, 'UTC')).toContain('ISO 8601: 2026-03-04T13:05:09+00:00');
  });

  it('handles half-hour offsets and date changes', () => {
    expect(describeTime(Date.UTC(2026, 2, 4, 23, 0, 0), 'Asia/Kolkata')).toContain(
      'ISO 8601: 2026-03-05T04:30:00+05:30',
    );
  });

  it('refuses an unknown zone with a hint', async () => {
    const failure = currentTimeTool.run({ timezone: 'Mars/Olympus' }, toolContext());
    await expect(failure).rejects.toBeInstanceOf(ToolError);
    await expect(failure).rejects.toThrow('unknown time zone "Mars/Olympus"');
  });
});
