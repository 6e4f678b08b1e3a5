import { describe, expect, it } from 'vitest';
import { FakeClock, flushMicrotasks } from '../../test/support/fake-clock.js';
import { RecordingLogger } from '../../test/support/recording-logger.js';
import { AbortReason } from '../shared/index.js';
import { askUserTool } from './ask-user-tool.js';
import { proposeConfigChangeTool } from './propose-config-change-tool.js';
import type {
  AgentInteractions,
  AskOutcome,
  AskRequest,
  ConfigChangeOutcome,
  ConfigChangeRequest,
  InteractionCallContext,
  ToolCallContext,
  ToolCallRequest,
} from './tool.js';
import { createToolRunner } from './tool-runner.js';

/** Interactions answered by the test: each call waits until the test settles it. */
class ScriptedInteractions implements AgentInteractions {
  readonly asked: { request: AskRequest; context: InteractionCallContext }[] = [];
  readonly proposed: { request: ConfigChangeRequest; context: InteractionCallContext }[] = [];
  private answerAsk: ((outcome: AskOutcome) => void) | undefined;
  private answerProposal: ((outcome: ConfigChangeOutcome) => void) | undefined;

  ask(
    request: AskRequest,
    context: InteractionCallContext,
    options: { readonly signal: AbortSignal },
  ): Promise<AskOutcome> {
    this.asked.push({ request, context });
    return new Promise((resolve, reject) => {
      this.answerAsk = resolve;
      options.signal.addEventListener('abort', () => {
        reject(options.signal.reason as Error);
      });
    });
  }

  proposeConfigChange(
    request: ConfigChangeRequest,
    context: InteractionCallContext,
  ): Promise<ConfigChangeOutcome> {
    this.proposed.push({ request, context });
    return new Promise((resolve) => {
      this.answerProposal = resolve;
    });
  }

  settleAsk(outcome: AskOutcome): void {
    this.answerAsk?.(outcome);
  }

  settleProposal(outcome: ConfigChangeOutcome): void {
    this.answerProposal?.(outcome);
  }
}

function setup(withInteractions = true) {
  const clock = new FakeClock();
  const log = new RecordingLogger();
  const interactions = new ScriptedInteractions();
  const runner = createToolRunner(['ask_user', 'propose_config_change'], {
    clock,
    log,
    timezone: 'UTC',
    ...(withInteractions ? { interactions } : {}),
  });
  return { clock, interactions, runner, log };
}

function call(name: string, args: Record<string, unknown>): ToolCallRequest {
  return { id: 'call-7', name, arguments: args, argumentsJson: JSON.stringify(args) };
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

const QUESTION = { question: 'Which colour?', options: ['Red', 'Blue'] };

describe('interactive tools in the runner', () => {
  it('are left out for an agent nobody can answer', () => {
    const { runner, log } = setup(false);
    expect(runner.definitions).toEqual([]);
    expect(runner.skipped).toEqual([
      { name: 'ask_user', reason: 'unavailable' },
      { name: 'propose_config_change', reason: 'unavailable' },
    ]);
    expect(
      log.lines.filter((line) => line.message === 'tool left out: missing capability'),
    ).toHaveLength(2);
  });

  it('are offered when the interactions capability is there', () => {
    const { runner } = setup();
    expect(runner.definitions.map((tool) => tool.name)).toEqual([
      'ask_user',
      'propose_config_change',
    ]);
  });
});

describe('ask_user', () => {
  it('asks the requester, waits past the tool timeout, and answers with the choice', async () => {
    const { runner, interactions, clock } = setup();
    const pending = runner.run(call('ask_user', QUESTION), context());
    await flushMicrotasks();
    expect(interactions.asked).toEqual([
      {
        request: { question: 'Which colour?', options: ['Red', 'Blue'] },
        context: {
          agentName: 'helper',
          roomId: '!room:example.org',
          threadRoot: '$root',
          requester: '@alice:example.org',
          toolCallId: 'call-7',
        },
      },
    ]);
    // A person takes longer than a tool call may: no per-call timeout applies.
    expect(clock.pendingSleeps).toBe(0);
    await clock.advance(3_600_000);
    interactions.settleAsk({ kind: 'answered', index: 1, option: 'Blue' });
    await expect(pending).resolves.toEqual({
      content: 'The person chose option 2: Blue',
      isError: false,
    });
  });

  it('tells the model when there is no answer', async () => {
    for (const [outcome, text] of [
      [{ kind: 'expired' }, 'did not answer before the question expired'],
      [{ kind: 'cancelled' }, 'dismissed the question'],
    ] as const) {
      const { runner, interactions } = setup();
      const pending = runner.run(call('ask_user', QUESTION), context());
      await flushMicrotasks();
      interactions.settleAsk(outcome);
      const result = await pending;
      expect(result.isError).toBe(false);
      expect(result.content).toContain(text);
    }
  });

  it('refuses too few, too many, empty or repeated options without asking', async () => {
    const { runner, interactions } = setup();
    for (const [options, problem] of [
      [['Only'], 'give 2 to 10 options, not 1'],
      [Array.from({ length: 11 }, (_, i) => `o${i}`), 'give 2 to 10 options, not 11'],
      [['a', '  '], 'every option needs some text'],
      [['Yes', 'yes'], 'the options must differ'],
    ] as const) {
      const result = await runner.run(call('ask_user', { question: 'q', options }), context());
      expect(result.isError).toBe(true);
      expect(result.content).toContain(problem);
    }
    expect(interactions.asked).toEqual([]);
  });

  it('gives up with the turn when the turn is stopped', async () => {
    const { runner } = setup();
    const turn = new AbortController();
    const pending = runner.run(call('ask_user', QUESTION), context(turn.signal));
    await flushMicrotasks();
    const reason = new AbortReason('stopped');
    turn.abort(reason);
    await expect(pending).rejects.toBe(reason);
  });
});

describe('propose_config_change', () => {
  it('proposes a value and reports the confirmed write', async () => {
    const { runner, interactions } = setup();
    const pending = runner.run(
      call('propose_config_change', {
        path: 'agents.calc.model',
        value: 'fast',
        reason: 'cheaper',
      }),
      context(),
    );
    await flushMicrotasks();
    expect(interactions.proposed[0]?.request).toEqual({
      path: 'agents.calc.model',
      value: 'fast',
      reason: 'cheaper',
    });
    interactions.settleProposal({ kind: 'applied', path: 'agents.calc.model' });
    await expect(pending).resolves.toEqual({
      content:
        'The person confirmed. agents.calc.model was written to config.yaml; the running configuration reloads it now.',
      isError: false,
    });
  });

  it('proposes a removal', async () => {
    const { runner, interactions } = setup();
    const pending = runner.run(
      call('propose_config_change', { path: 'room_models.lobby', remove: true }),
      context(),
    );
    await flushMicrotasks();
    expect(interactions.proposed[0]?.request).toEqual({
      path: 'room_models.lobby',
      value: undefined,
      reason: undefined,
    });
    interactions.settleProposal({ kind: 'cancelled' });
    await expect(pending).resolves.toMatchObject({ isError: false });
  });

  it('reports refusals and failed writes as errors', async () => {
    for (const [outcome, text] of [
      [{ kind: 'refused', message: 'unknown model gpt5' }, 'not proposed: unknown model gpt5'],
      [
        { kind: 'failed', message: 'the file changed' },
        'confirmed but not written: the file changed',
      ],
    ] as const) {
      const { runner, interactions } = setup();
      const pending = runner.run(
        call('propose_config_change', { path: 'agents.calc.model', value: 'gpt5' }),
        context(),
      );
      await flushMicrotasks();
      interactions.settleProposal(outcome);
      await expect(pending).resolves.toEqual({
        content: `Error: the change was ${text}`,
        isError: true,
      });
    }
  });

  it('needs exactly one of value and remove', async () => {
    const { runner, interactions } = setup();
    const both = await runner.run(
      call('propose_config_change', { path: 'a.b', value: 'x', remove: true }),
      context(),
    );
    expect(both.content).toContain('either `value` or `remove: true`');
    const neither = await runner.run(call('propose_config_change', { path: 'a.b' }), context());
    expect(neither.content).toContain('give the new `value`');
    expect(interactions.proposed).toEqual([]);
  });
});

describe('interactive tool definitions', () => {
  it('declare strict object schemas', () => {
    for (const tool of [askUserTool, proposeConfigChangeTool]) {
      expect(tool.parameters['additionalProperties']).toBe(false);
      expect(tool.needs).toEqual(['interactions']);
      expect(tool.isInteractive).toBe(true);
    }
  });
});
