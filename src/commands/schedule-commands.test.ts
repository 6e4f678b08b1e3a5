import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.js';
import { ScheduleService } from '../schedules/index.js';
import { silentLogger } from '../shared/index.js';
import { QuorumStore } from '../storage/index.js';
import { CommandRouter, type CommandContext, type CommandDecision } from './command-handler.js';
import {
  SCHEDULE_COMMAND_ALIASES,
  createScheduleCommands,
  scheduleScopeOf,
} from './schedule-commands.js';

const NOW = Date.UTC(2026, 2, 27, 10, 0, 0);
const stores: QuorumStore[] = [];
afterEach(() => {
  for (const store of stores.splice(0)) store.close();
});

function decision(
  name: string,
  args: string,
  overrides: Partial<CommandDecision> = {},
): CommandDecision {
  return {
    kind: 'command',
    name,
    args,
    handler: 'router',
    sourceEventId: '$cmd',
    requester: '@alice:hs',
    threadRoot: '$thread',
    roomId: '!room:hs',
    ...overrides,
  };
}

function setup(): { router: CommandRouter; replies: string[]; store: QuorumStore } {
  const clock = new FakeClock(NOW);
  const store = new QuorumStore(':memory:', () => clock.now());
  stores.push(store);
  const service = new ScheduleService({
    store: store.schedules,
    clock,
    log: silentLogger,
    settings: () => ({
      timezone: 'UTC',
      maxPerPerson: 10,
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
  const replies: string[] = [];
  const unused = (): never => {
    throw new Error('not used by the schedule commands');
  };
  const context: CommandContext = {
    reply: (_decision, markdown) => {
      replies.push(markdown);
      return Promise.resolve();
    },
    entities: unused,
    modelNames: unused,
    threadModel: unused,
    setThreadModel: unused,
    usage: unused,
    now: () => clock.now(),
    showConfig: unused,
    configAuthority: unused,
    decideConfigEdit: unused,
    offerConfigChange: unused,
  };
  return { router: new CommandRouter(createScheduleCommands(service), context), replies, store };
}

describe('schedule commands', () => {
  it('schedules, lists, edits and cancels through the command router', async () => {
    const { router, replies, store } = setup();
    await router.handle(decision('schedule', 'in 20 seconds @calc what is 5+5'));
    expect(replies[0]).toContain('today at 10:00:20 UTC (in 20 seconds)');
    const id = /`([a-z0-9]{8})`/u.exec(replies[0] ?? '')?.[1] ?? '';
    expect(store.schedules.get(id)?.threadRoot).toBe('$thread');

    await router.handle(decision('list_schedules', ''));
    expect(replies[1]).toContain(`\`${id}\``);

    await router.handle(decision('edit_schedule', `${id} in 1 hour`));
    expect(replies[2]).toContain(`Updated \`${id}\``);
    expect(store.schedules.get(id)).toMatchObject({
      nextDueAt: NOW + 3_600_000,
      message: '@calc what is 5+5',
    });

    await router.handle(decision('edit_schedule', ''));
    expect(replies[3]).toContain('Which one?');

    await router.handle(decision('cancel_schedule', id));
    expect(replies[4]).toContain(`Cancelled \`${id}\``);
  });

  it('schedules for the room when the command was not in a thread', async () => {
    const { router, replies, store } = setup();
    await router.handle(decision('schedule', 'in 5 minutes @calc hi', { threadRoot: '$cmd' }));
    const id = /`([a-z0-9]{8})`/u.exec(replies[0] ?? '')?.[1] ?? '';
    expect(store.schedules.get(id)?.threadRoot).toBeUndefined();
    expect(scheduleScopeOf(decision('x', '', { threadRoot: '$cmd' })).threadRoot).toBeUndefined();
  });

  it('answers every bad request with a reason, never an exception', async () => {
    const { router, replies } = setup();
    for (const args of [
      '',
      'whenever',
      'in 5 minutes',
      'every 7 minutes x',
      '\u0000'.repeat(5_000),
    ]) {
      await router.handle(decision('schedule', args));
    }
    await router.handle(decision('cancel_schedule', ''));
    await router.handle(decision('cancel_schedule', 'nope'));
    expect(replies).toHaveLength(7);
    expect(replies.every((reply) => reply.startsWith('❌'))).toBe(true);
  });

  it('maps MindRoom’s aliases to the four commands', () => {
    const notCalled = (): never => {
      throw new Error('not called');
    };
    const backend = { schedule: notCalled, list: notCalled, cancel: notCalled, edit: notCalled };
    const names = new Set(createScheduleCommands(backend).map((command) => command.name));
    expect(new Set(Object.values(SCHEDULE_COMMAND_ALIASES))).toEqual(
      new Set([...names].filter((name) => name !== 'schedule')),
    );
  });
});
