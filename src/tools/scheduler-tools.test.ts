import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.js';
import { ScheduleService } from '../schedules/index.js';
import { silentLogger } from '../shared/index.js';
import { QuorumStore } from '../storage/index.js';
import { refuseApprovalCalls } from './approval-refusal.js';
import { SCHEDULER_TOOLKIT, createSchedulerTools } from './scheduler-tools.js';
import { ToolRegistry } from './tool-registry.js';
import { createToolRunner } from './tool-runner.js';
import type { ToolCallContext, ToolCallRequest } from './tool.js';

const NOW = Date.UTC(2026, 2, 27, 10, 0, 0);
const stores: QuorumStore[] = [];
afterEach(() => {
  for (const store of stores.splice(0)) store.close();
});

function setup(): {
  run: (
    name: string,
    args: Record<string, unknown>,
    roomId?: string,
  ) => Promise<{ content: string; isError: boolean }>;
  store: QuorumStore;
} {
  const clock = new FakeClock(NOW);
  const store = new QuorumStore(':memory:', () => clock.now());
  stores.push(store);
  const service = new ScheduleService({
    store: store.schedules,
    clock,
    log: silentLogger,
    settings: () => ({
      timezone: 'UTC',
      maxPerPerson: 3,
      maxPerRoom: 10,
      minIntervalMs: 60_000,
      maxHorizonMs: 365 * 86_400_000,
    }),
    mayUse: () => true,
    isAdmin: () => false,
    entities: () => [
      { name: 'calc', userId: '@quorum_calc:hs', displayName: 'Calc', isInRoom: true },
    ],
    interpreter: undefined,
    onChange: () => undefined,
    lifetime: new AbortController().signal,
  });
  const tools = createSchedulerTools(service);
  const runner = createToolRunner(
    tools.map((tool) => tool.name),
    { registry: new ToolRegistry(tools), clock, timezone: 'UTC', log: silentLogger },
  );
  let n = 0;
  const run = (name: string, args: Record<string, unknown>, roomId = '!room:hs') => {
    const call: ToolCallRequest = {
      id: `call_${n++}`,
      name,
      arguments: args,
      argumentsJson: JSON.stringify(args),
    };
    const context: ToolCallContext = {
      agentName: 'helper',
      roomId,
      threadRoot: '$thread',
      requester: '@alice:hs',
      signal: new AbortController().signal,
    };
    return runner.run(call, context);
  };
  return { run, store };
}

describe('scheduler tools', () => {
  it('are MindRoom’s four functions under the scheduler toolkit name', () => {
    const notCalled = (): never => {
      throw new Error('not called');
    };
    const names = createSchedulerTools({
      schedule: notCalled,
      list: notCalled,
      cancel: notCalled,
      edit: notCalled,
    }).map((tool) => tool.name);
    expect(names).toEqual(['schedule', 'list_schedules', 'cancel_schedule', 'edit_schedule']);
    expect(SCHEDULER_TOOLKIT).toBe('scheduler');
  });

  it('schedule in the turn’s thread for its requester, then list, edit and cancel', async () => {
    const { run, store } = setup();
    const made = await run('schedule', {
      request: 'in 5 minutes @calc check the build',
      history_limit: 0,
    });
    expect(made.isError).toBe(false);
    expect(made.content).toContain('today at 10:05 UTC (in 5 minutes)');
    const id = /`([a-z0-9]{8})`/u.exec(made.content)?.[1] ?? '';
    expect(store.schedules.get(id)).toMatchObject({
      createdBy: '@alice:hs',
      threadRoot: '$thread',
      historyLimit: 0,
    });
    expect((await run('list_schedules', {})).content).toContain(id);
    expect(
      (await run('edit_schedule', { task_id: id, request: 'in 10 minutes' })).content,
    ).toContain('Updated');
    expect((await run('cancel_schedule', { task_id: id })).content).toContain('Cancelled');
  });

  it('starts a new thread per fire when asked', async () => {
    const { run, store } = setup();
    const made = await run('schedule', {
      request: 'every day at 09:00 @calc report',
      new_thread: true,
    });
    const id = /`([a-z0-9]{8})`/u.exec(made.content)?.[1] ?? '';
    expect(store.schedules.get(id)).toMatchObject({ newThread: true, threadRoot: undefined });
  });

  it('reports refusals as tool errors the model can read, and holds the limits', async () => {
    const { run } = setup();
    const bad = await run('schedule', { request: 'whenever you feel like it' });
    expect(bad).toMatchObject({ isError: true });
    expect(bad.content).toContain("couldn't read when");
    for (let i = 0; i < 3; i++) await run('schedule', { request: `in ${i + 1} minutes @calc x` });
    const flood = await run('schedule', { request: 'in 9 minutes @calc x' });
    expect(flood.content).toContain('already have 3 active schedules');
  });

  it('is unavailable where there is no Matrix room (an API conversation)', async () => {
    const { run } = setup();
    const result = await run('schedule', { request: 'in 5 minutes @calc x' }, 'openai-api');
    expect(result).toMatchObject({ isError: true });
    expect(result.content).toContain('needs a Matrix room');
  });
});

describe('refuseApprovalCalls', () => {
  it('answers calls that need approval with a clear error, and runs the others', async () => {
    const ran: string[] = [];
    const base = {
      definitions: [],
      run: (call: ToolCallRequest) => {
        ran.push(call.name);
        return Promise.resolve({ content: 'done', isError: false });
      },
    };
    const guarded = refuseApprovalCalls(base, (name) => name === 'shell');
    const context: ToolCallContext = {
      agentName: 'a',
      roomId: 'openai-api',
      threadRoot: undefined,
      requester: 'api',
      signal: new AbortController().signal,
    };
    const call = (name: string): ToolCallRequest => ({
      id: '1',
      name,
      arguments: {},
      argumentsJson: '{}',
    });
    const refused = await guarded.run(call('shell'), context);
    expect(refused.isError).toBe(true);
    expect(refused.content).toContain('shell needs a person');
    expect(refused.content).toContain('OpenAI-compatible API');
    expect(await guarded.run(call('calculator'), context)).toEqual({
      content: 'done',
      isError: false,
    });
    expect(ran).toEqual(['calculator']);
  });
});
