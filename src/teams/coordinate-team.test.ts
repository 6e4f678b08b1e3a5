import { afterEach, describe, expect, it } from 'vitest';
import { flushMicrotasks } from '../../test/support/fake-clock.js';
import { ScriptedChatModel, step } from '../../test/support/scripted-chat-model.js';
import { ModelError, type ToolResultMessage } from '../llm/index.js';
import { AbortReason } from '../shared/index.js';
import {
  DELEGATE_TOOL_NAME,
  runCoordinateTeam,
  type CoordinateTeamInput,
} from './coordinate-team.js';
import type { MemberResult, TeamMember } from './team-member.js';

const research: TeamMember = { name: 'research', displayName: 'Research', role: 'finds sources' };
const coder: TeamMember = { name: 'coder', displayName: 'Coder', role: 'writes code' };

const models: ScriptedChatModel[] = [];
afterEach(() => {
  for (const model of models.splice(0)) model.assertDone();
});

function scripted(...steps: Parameters<ScriptedChatModel['enqueue']>): ScriptedChatModel {
  const model = new ScriptedChatModel({ steps });
  models.push(model);
  return model;
}

function delegateCall(member: string, task: string, id?: string) {
  return {
    ...(id === undefined ? {} : { id }),
    name: DELEGATE_TOOL_NAME,
    arguments: { member, task },
  };
}

function toolResults(model: ScriptedChatModel, call: number): ToolResultMessage[] {
  return (model.requests[call]?.messages ?? []).filter(
    (message): message is ToolResultMessage => message.role === 'tool',
  );
}

function input(
  model: ScriptedChatModel,
  overrides: Partial<CoordinateTeamInput> = {},
): CoordinateTeamInput {
  return {
    model,
    system: 'You are Dev Team.',
    members: [research, coder],
    request: 'Alice: build a tide table',
    history: [],
    delegate: (member, task) =>
      Promise.resolve({ text: `${member.name} did: ${task}`, outputTokens: 10 }),
    budget: { maxTurns: 8, maxTokens: 10_000 },
    signal: new AbortController().signal,
    ...overrides,
  };
}

describe('runCoordinateTeam', () => {
  it('delegates through the tool, feeds the results back and returns the final synthesis', async () => {
    const model = scripted(
      step.toolCalls([delegateCall('research', 'find tide data')], {
        usage: { inputTokens: 100, outputTokens: 20 },
      }),
      step.text('Here is the table.', { usage: { inputTokens: 200, outputTokens: 30 } }),
    );
    const delegated: string[] = [];
    const result = await runCoordinateTeam(
      input(model, {
        delegate: (member, task) => {
          delegated.push(`${member.name}: ${task}`);
          return Promise.resolve({ text: 'high tide 06:00', outputTokens: 15 });
        },
      }),
    );
    expect(delegated).toEqual(['research: find tide data']);
    expect(result.synthesis).toBe('Here is the table.');
    expect(result.delegations).toEqual([
      {
        kind: 'answered',
        member: research,
        task: 'find tide data',
        text: 'high tide 06:00',
        outputTokens: 15,
      },
    ]);
    expect(result.outputTokens).toBe(65);
    expect(result.modelCalls).toBe(2);
    expect(result.budgetHit).toBeUndefined();
    expect(toolResults(model, 1)).toEqual([
      { role: 'tool', toolCallId: 'call_0', content: 'high tide 06:00' },
    ]);
  });

  it('offers the delegate tool with the members as an enum and describes the team in the prompt', async () => {
    const model = scripted(step.text('Nothing to delegate.'));
    await runCoordinateTeam(input(model, { history: [{ role: 'user', content: 'Bob: earlier' }] }));
    const request = model.requests[0];
    expect(request?.tools?.[0]).toMatchObject({
      name: 'delegate_to_member',
      parameters: {
        properties: { member: { enum: ['research', 'coder'] } },
        required: ['member', 'task'],
      },
    });
    expect(request?.system).toMatch(/^You are Dev Team\.\n\n## Your team/);
    expect(request?.system).toContain('- research (Research): finds sources');
    expect(request?.messages).toEqual([
      { role: 'user', content: 'Bob: earlier' },
      { role: 'user', content: 'Alice: build a tide table' },
    ]);
  });

  it('runs the delegations of one step in parallel and answers each call in order', async () => {
    const model = scripted(
      step.toolCalls([delegateCall('research', 'data', 'a'), delegateCall('coder', 'code', 'b')]),
      step.text('Done.'),
    );
    const started: string[] = [];
    const finish = new Map<string, (result: MemberResult) => void>();
    const run = runCoordinateTeam(
      input(model, {
        delegate: (member) => {
          started.push(member.name);
          return new Promise<MemberResult>((resolve) => finish.set(member.name, resolve));
        },
      }),
    );
    for (let i = 0; i < 5 && started.length < 2; i++) await flushMicrotasks();
    expect(started).toEqual(['research', 'coder']);
    finish.get('coder')?.({ text: 'code done', outputTokens: 1 });
    finish.get('research')?.({ text: 'data done', outputTokens: 1 });
    await run;
    expect(toolResults(model, 1).map((m) => [m.toolCallId, m.content])).toEqual([
      ['a', 'data done'],
      ['b', 'code done'],
    ]);
  });

  it('refuses delegations beyond the turn budget, asks for a final answer and notes the cap', async () => {
    const model = scripted(
      step.toolCalls([delegateCall('research', 'one'), delegateCall('coder', 'two')]),
      step.text('Partial answer.'),
    );
    const delegated: string[] = [];
    const result = await runCoordinateTeam(
      input(model, {
        budget: { maxTurns: 1, maxTokens: 10_000 },
        delegate: (member) => {
          delegated.push(member.name);
          return Promise.resolve({ text: 'ok', outputTokens: 1 });
        },
      }),
    );
    expect(delegated).toEqual(['research']);
    const [, refused] = toolResults(model, 1);
    expect(refused).toMatchObject({ isError: true });
    expect(refused?.content).toMatch(
      /budget of 1 member turns is used up\. Write your final answer/,
    );
    expect(result.budgetHit).toBe('turns');
    expect(result.synthesis).toBe(
      'Partial answer.\n\n_⚠️ Team budget reached: 1 of 1 member turns used. This answer is based on the work done so far._',
    );
  });

  it('refuses further delegations once members and the team spent the token budget', async () => {
    const model = scripted(
      step.toolCalls([delegateCall('research', 'one')], {
        usage: { inputTokens: 1, outputTokens: 40 },
      }),
      step.toolCalls([delegateCall('coder', 'two')]),
      step.text('What we have.'),
    );
    const delegated: string[] = [];
    const result = await runCoordinateTeam(
      input(model, {
        budget: { maxTurns: 8, maxTokens: 100 },
        delegate: (member) => {
          delegated.push(member.name);
          return Promise.resolve({ text: 'ok', outputTokens: 60 });
        },
      }),
    );
    expect(delegated).toEqual(['research']);
    expect(toolResults(model, 2).at(-1)?.content).toMatch(/budget of 100 tokens is used up/);
    expect(result.budgetHit).toBe('tokens');
    expect(result.synthesis).toContain('100 of 100 tokens used');
  });

  it('answers a call naming an unknown member or an empty task with an error, without delegating', async () => {
    const model = scripted(
      step.toolCalls([delegateCall('ghost', 'x'), delegateCall('@Coder', '  ')]),
      step.text('Sorry.'),
    );
    let delegated = 0;
    await runCoordinateTeam(
      input(model, {
        delegate: () => {
          delegated++;
          return Promise.resolve({ text: '', outputTokens: 0 });
        },
      }),
    );
    expect(delegated).toBe(0);
    const [unknown, empty] = toolResults(model, 1);
    expect(unknown).toMatchObject({
      isError: true,
      content: 'Unknown member "ghost". Members: research, coder.',
    });
    expect(empty).toMatchObject({
      isError: true,
      content: 'The task is empty. Say what the member should do.',
    });
  });

  it('accepts a member named by display name and tells the model when a member fails', async () => {
    const model = scripted(step.toolCalls([delegateCall('Research', 'data')]), step.text('Done.'));
    const result = await runCoordinateTeam(
      input(model, { delegate: () => Promise.reject(new ModelError('server_error', 'down')) }),
    );
    expect(toolResults(model, 1)[0]).toMatchObject({ isError: true });
    expect(toolResults(model, 1)[0]?.content).toMatch(/^Research could not do this: .*down/);
    expect(result.delegations[0]).toMatchObject({ kind: 'failed', member: research });
  });

  it('stops a model that keeps delegating and says the summary is missing', async () => {
    const model = scripted(
      step.toolCalls([delegateCall('research', '1')]),
      step.toolCalls([delegateCall('research', '2')]),
      step.toolCalls([delegateCall('research', '3')]),
    );
    const result = await runCoordinateTeam(
      input(model, { budget: { maxTurns: 1, maxTokens: 10_000 } }),
    );
    expect(result.modelCalls).toBe(3);
    expect(result.delegations).toHaveLength(1);
    expect(model.requests).toHaveLength(3);
    expect(result.synthesis).toMatch(
      /^⚠️ The team's coordinator stopped before writing a summary; the members' answers above are the team's result\.\n\n_⚠️ Team budget reached/,
    );
  });

  it('does not run delegations asked for in its last allowed model call', async () => {
    const model = scripted(
      step.toolCalls([delegateCall('ghost', '1')]),
      step.toolCalls([delegateCall('ghost', '2')]),
      step.toolCalls([delegateCall('research', '3')]),
    );
    let delegated = 0;
    const result = await runCoordinateTeam(
      input(model, {
        budget: { maxTurns: 1, maxTokens: 10_000 },
        delegate: () => {
          delegated++;
          return Promise.resolve({ text: 'x', outputTokens: 0 });
        },
      }),
    );
    expect(delegated).toBe(0);
    expect(result.synthesis).toBe("⚠️ The team's coordinator stopped before writing a summary.");
  });

  it("keeps the members' work when the team's model fails after they answered", async () => {
    const model = scripted(
      step.toolCalls([delegateCall('research', 'data')]),
      step.error(new ModelError('server_error', 'gone')),
    );
    const result = await runCoordinateTeam(input(model));
    expect(result.synthesis).toBe(
      "⚠️ The team's coordinator failed before writing a summary; the members' answers above are the team's result.",
    );
    expect(result.synthesisError).toMatch(/gone/);
  });

  it("rejects with the model's error when it fails before any member answered", async () => {
    const model = scripted(step.error(new ModelError('server_error', 'down')));
    await expect(runCoordinateTeam(input(model))).rejects.toMatchObject({ code: 'server_error' });
  });

  it('streams its own text across steps to onText', async () => {
    const model = scripted(
      step.toolCalls([delegateCall('research', 'data')], { text: 'Asking Research.' }),
      step.chunks(['The ', 'answer.']),
    );
    const seen: string[] = [];
    const result = await runCoordinateTeam(input(model, { onText: (text) => seen.push(text) }));
    expect(model.calls.map((call) => call.method)).toEqual(['stream', 'stream']);
    expect(seen).toEqual([
      'Asking Research.',
      'Asking Research.\n\n',
      'Asking Research.\n\nThe ',
      'Asking Research.\n\nThe answer.',
    ]);
    expect(result.synthesis).toBe('Asking Research.\n\nThe answer.');
  });

  it('rejects with the abort reason when stopped during a delegation', async () => {
    const controller = new AbortController();
    const model = scripted(step.toolCalls([delegateCall('research', 'data')]));
    const run = runCoordinateTeam(
      input(model, {
        signal: controller.signal,
        delegate: (_member, _task, signal) =>
          new Promise<MemberResult>((_resolve, reject) => {
            signal.addEventListener('abort', () => {
              reject(signal.reason as Error);
            });
          }),
      }),
    );
    for (let i = 0; i < 5; i++) await flushMicrotasks();
    controller.abort(new AbortReason('stopped'));
    await expect(run).rejects.toMatchObject({ kind: 'stopped' });
  });
});
