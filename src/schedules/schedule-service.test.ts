import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock, flushMicrotasks } from '../../test/support/fake-clock.js';
import { ScriptedChatModel, step } from '../../test/support/scripted-chat-model.js';
import { silentLogger } from '../shared/index.js';
import { QuorumStore } from '../storage/index.js';
import { ScheduleInterpreter } from './schedule-interpreter.js';
import type { ScheduleEntity, ScheduleScope, ScheduleSettings } from './schedule-checks.js';
import { ScheduleService, newScheduleId } from './schedule-service.js';

/** Friday 2026-03-27 10:00 UTC = 11:00 CET in Berlin; Monday the 30th is after the DST change. */
const NOW = Date.UTC(2026, 2, 27, 10, 0, 0);
const ROOM = '!room:hs';
const ALICE: ScheduleScope = { roomId: ROOM, threadRoot: '$thread', requester: '@alice:hs' };
const BOB: ScheduleScope = { ...ALICE, requester: '@bob:hs' };
const ADMIN: ScheduleScope = { ...ALICE, requester: '@admin:hs' };

const ENTITIES: readonly ScheduleEntity[] = [
  { name: 'calc', userId: '@quorum_calc:hs', displayName: 'Calculator', isInRoom: true },
  { name: 'analyst', userId: '@quorum_analyst:hs', displayName: 'Analyst', isInRoom: true },
  { name: 'ghost', userId: '@quorum_ghost:hs', displayName: 'Ghost', isInRoom: false },
];

const stores: QuorumStore[] = [];
afterEach(() => {
  for (const store of stores.splice(0)) store.close();
});

interface Setup {
  readonly service: ScheduleService;
  readonly store: QuorumStore;
  readonly clock: FakeClock;
  readonly model: ScriptedChatModel;
  changes: number;
}

function setup(
  options: {
    settings?: Partial<ScheduleSettings>;
    withModel?: boolean;
    mayUse?: (userId: string) => boolean;
    entities?: readonly ScheduleEntity[];
    lifetime?: AbortSignal;
  } = {},
): Setup {
  const clock = new FakeClock(NOW);
  const store = new QuorumStore(':memory:', () => clock.now());
  stores.push(store);
  const model = new ScriptedChatModel({ clock });
  const state = { changes: 0 };
  const service = new ScheduleService({
    store: store.schedules,
    clock,
    log: silentLogger,
    settings: () => ({
      timezone: 'Europe/Berlin',
      maxPerPerson: 5,
      maxPerRoom: 8,
      minIntervalMs: 60_000,
      maxHorizonMs: 365 * 86_400_000,
      ...options.settings,
    }),
    mayUse: (userId) => options.mayUse?.(userId) ?? true,
    isAdmin: (userId) => userId === '@admin:hs',
    entities: () => options.entities ?? ENTITIES,
    interpreter:
      options.withModel === true
        ? new ScheduleInterpreter({ model: () => model, clock })
        : undefined,
    onChange: () => {
      state.changes += 1;
    },
    lifetime: options.lifetime ?? new AbortController().signal,
  });
  return Object.assign(state, { service, store, clock, model });
}

describe('ScheduleService.schedule', () => {
  it('keeps "in 20 seconds @calc what is 5+5" and answers with the fire time in words', async () => {
    const state = setup();
    const { service, store } = state;
    const reply = await service.schedule('in 20 seconds @calc what is 5+5', ALICE);
    expect(reply.ok).toBe(true);
    expect(reply.markdown).toContain('for **today at 11:00:20 CET (in 20 seconds)**');
    expect(reply.markdown).toContain('**Will post:** @calc what is 5+5');
    expect(reply.markdown).toContain(`!cancel_schedule ${reply.scheduleId ?? ''}`);
    expect(store.schedules.get(reply.scheduleId ?? '')).toMatchObject({
      roomId: ROOM,
      threadRoot: '$thread',
      createdBy: '@alice:hs',
      timing: { kind: 'once', atMs: NOW + 20_000 },
      mentions: ['calc'],
      nextDueAt: NOW + 20_000,
      parsedBy: 'rules',
    });
    expect(state.changes).toBe(1);
  });

  it('describes a recurring schedule and its next run in the person’s clock style and zone', async () => {
    const { service } = setup();
    const reply = await service.schedule('every weekday at 9am, @analyst market report', ALICE);
    expect(reply.markdown).toContain(
      '**every weekday (Monday to Friday) at 9:00 AM** (Europe/Berlin)',
    );
    expect(reply.markdown).toContain('Next: **Monday at 9:00 AM CEST (in 2 days 21 hours)**');
  });

  it('lets the router decide when nobody is mentioned, and keeps a room-level schedule for the room', async () => {
    const { service, store } = setup();
    const reply = await service.schedule('tomorrow at 3pm send the weekly report', {
      ...ALICE,
      threadRoot: undefined,
    });
    expect(store.schedules.get(reply.scheduleId ?? '')).toMatchObject({
      mentions: [],
      threadRoot: undefined,
    });
  });

  it('reads mentions made with pills (m.mentions) as well as plain @names', async () => {
    const { service, store } = setup();
    const reply = await service.schedule('in 5 minutes Calculator: add it up', {
      ...ALICE,
      mentionedUserIds: ['@quorum_calc:hs'],
    });
    expect(store.schedules.get(reply.scheduleId ?? '')?.mentions).toEqual(['calc']);
  });

  it('refuses people who may not use the agents, and stores nothing', async () => {
    const { service, store } = setup({ mayUse: (userId) => userId !== '@mallory:hs' });
    const reply = await service.schedule('in 5 minutes @calc hi', {
      ...ALICE,
      requester: '@mallory:hs',
    });
    expect(reply).toMatchObject({ ok: false });
    expect(reply.markdown).toContain('may not use the agents');
    expect(store.schedules.listActive(ROOM)).toEqual([]);
  });

  it('refuses mentions of agents that are not in the room, naming who is', async () => {
    const { service } = setup();
    const reply = await service.schedule('in 5 minutes @ghost boo', ALICE);
    expect(reply.ok).toBe(false);
    expect(reply.markdown).toContain('@ghost is not in this room');
    expect(reply.markdown).toContain('@calc, @analyst');
  });

  it('refuses when no agent in the room could answer', async () => {
    const { service } = setup({ entities: ENTITIES.map((e) => ({ ...e, isInRoom: false })) });
    expect((await service.schedule('in 5 minutes do it', ALICE)).markdown).toContain('No agent');
  });

  it('asks for a message when there is none', async () => {
    const { service } = setup();
    expect((await service.schedule('in 5 minutes', ALICE)).markdown).toContain(
      'Say what should happen',
    );
  });

  it('refuses a message that would read as a command, and an edit that makes one', async () => {
    const { service, store } = setup();
    const refused = await service.schedule('every hour !schedule every hour @calc hi', ALICE);
    expect(refused).toMatchObject({ ok: false });
    expect(refused.markdown).toContain('cannot be a `!` command');
    const kept = await service.schedule('in 5 minutes @calc ping', ALICE);
    const edited = await service.edit(kept.scheduleId ?? '', 'in 10 minutes !stop', ALICE);
    expect(edited.markdown).toContain('cannot be a `!` command');
    expect(store.schedules.get(kept.scheduleId ?? '')?.message).toBe('@calc ping');
  });

  it('holds the per-person and per-room limits', async () => {
    const { service } = setup();
    for (let i = 0; i < 5; i++)
      expect((await service.schedule(`in ${i + 1} minutes x`, ALICE)).ok).toBe(true);
    const sixth = await service.schedule('in 9 minutes x', ALICE);
    expect(sixth.markdown).toContain('You already have 5 active schedules');
    for (let i = 0; i < 3; i++)
      expect((await service.schedule(`in ${i + 1} hours x`, BOB)).ok).toBe(true);
    const ninth = await service.schedule('in 9 hours x', { ...BOB, requester: '@carol:hs' });
    expect(ninth.markdown).toContain('This room already has 8 active schedules');
  });

  it('refuses recurring schedules more frequent than allowed, and times beyond the horizon', async () => {
    const { service } = setup();
    expect((await service.schedule('every 30 seconds ping', ALICE)).markdown).toContain(
      'the shortest interval allowed here is 1 minute',
    );
    expect((await service.schedule('on 2028-01-01 at 9am x', ALICE)).markdown).toContain(
      'more than 365 days ahead',
    );
    const { service: lenient } = setup({ settings: { minIntervalMs: 5_000 } });
    expect((await lenient.schedule('every 10 seconds ping', ALICE)).ok).toBe(true);
  });

  it('explains what it could not read when no model is available', async () => {
    const { service } = setup();
    const reply = await service.schedule('remind me in a bit to stretch', ALICE);
    expect(reply.ok).toBe(false);
    expect(reply.markdown).toContain("I couldn't read when");
    expect(reply.markdown).toContain('For example');
    const hint = await service.schedule('tomorrow at 9 report', ALICE);
    expect(hint.markdown).toContain('9am or 9pm');
  });

  it('asks the router model for anything else, converts its local time itself, and says so', async () => {
    const { service, store, model } = setup({ withModel: true });
    model.enqueue(
      step.json({
        understood: true,
        schedule_type: 'once',
        local_time: '2026-03-27T11:05:00',
        cron: null,
        message: '@calc remind me to stretch',
        problem: null,
      }),
    );
    const reply = await service.schedule('remind me in 5 minutes to stretch, @calc', ALICE);
    expect(reply.ok).toBe(true);
    expect(reply.markdown).toContain('today at 11:05 CET (in 5 minutes)');
    expect(reply.markdown).toContain("Read by the router's model");
    expect(store.schedules.get(reply.scheduleId ?? '')).toMatchObject({
      parsedBy: 'model',
      nextDueAt: NOW + 5 * 60_000,
      mentions: ['calc'],
    });
    const request = model.requests[0];
    expect(request?.responseFormat?.name).toBe('schedule');
    expect(request?.system).toContain('Europe/Berlin');
    expect(request?.system).toContain('@calc, @analyst');
    model.assertDone();
  });

  it('reads a recurring answer from the model and describes its cron in words', async () => {
    const { service, model } = setup({ withModel: true });
    model.enqueue(
      step.json({
        understood: true,
        schedule_type: 'recurring',
        local_time: null,
        cron: '*/15 * * * *',
        message: 'check if I got an email about "urgent"; if so, @calc call me',
        problem: null,
      }),
    );
    const reply = await service.schedule('whenever an urgent email arrives, @calc call me', ALICE);
    expect(reply.markdown).toContain('**every 15 minutes** (Europe/Berlin)');
  });

  it('treats everything the model says as untrusted', async () => {
    const { service, model, store } = setup({ withModel: true });
    model.enqueue(
      step.json({
        understood: false,
        schedule_type: 'once',
        local_time: null,
        cron: null,
        message: '',
        problem: 'No time given.',
      }),
      step.json({
        understood: true,
        schedule_type: 'recurring',
        local_time: null,
        cron: '* * * * * *',
        message: 'x',
        problem: null,
      }),
      step.json({
        understood: true,
        schedule_type: 'once',
        local_time: '2026-03-27T11:05:00',
        cron: null,
        message: '@ghost haunt',
        problem: null,
      }),
      step.json({
        understood: true,
        schedule_type: 'recurring',
        local_time: null,
        cron: 'rm -rf /',
        message: 'x',
        problem: null,
      }),
      step.text('Sure! I scheduled it for you.'),
      step.json({
        understood: true,
        schedule_type: 'once',
        local_time: '2026-03-27T09:00:00',
        cron: null,
        message: 'x',
        problem: null,
      }),
      step.json({
        understood: true,
        schedule_type: 'once',
        local_time: '2026-03-27T11:05:00',
        cron: null,
        message: 'y'.repeat(5_000),
        problem: null,
      }),
    );
    const replies = [];
    for (let i = 0; i < 7; i++) replies.push(await service.schedule(`something vague ${i}`, ALICE));
    expect(replies.map((r) => r.ok)).toEqual([false, false, false, false, false, false, false]);
    expect(replies[0]?.markdown).toContain('No time given.');
    expect(replies[1]?.markdown).toContain('shortest interval');
    expect(replies[2]?.markdown).toContain('@ghost is not in this room');
    expect(replies[3]?.markdown).toContain('not usable');
    expect(replies[4]?.markdown).toContain('did not answer with a schedule');
    expect(replies[5]?.markdown).toContain('already passed');
    expect(replies[6]?.markdown).toContain('too long');
    expect(store.schedules.listActive(ROOM)).toEqual([]);
  });

  it('leaves no listener on the daemon’s lifetime signal after model calls', async () => {
    const lifetime = new AbortController();
    const { service, model } = setup({ withModel: true, lifetime: lifetime.signal });
    for (let i = 0; i < 20; i++) {
      model.enqueue(
        step.json({
          understood: false,
          schedule_type: 'once',
          local_time: null,
          cron: null,
          message: '',
          problem: 'unclear',
        }),
      );
    }
    const caller = new AbortController();
    for (let i = 0; i < 20; i++)
      await service.schedule(`some day maybe ${i}`, ALICE, { signal: caller.signal });
    expect(getEventListeners(lifetime.signal, 'abort')).toHaveLength(0);
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0);
  });

  it('stops a model call when the daemon shuts down', async () => {
    const lifetime = new AbortController();
    const { service, model } = setup({ withModel: true, lifetime: lifetime.signal });
    model.enqueue(step.hang());
    const pending = service.schedule('sometime soon check things', ALICE);
    await flushMicrotasks();
    lifetime.abort(new Error('shutdown'));
    await expect(pending).rejects.toThrow('shutdown');
  });

  it('gives up on a model that takes too long', async () => {
    const { service, model, clock } = setup({ withModel: true });
    model.enqueue(step.hang());
    const pending = service.schedule('sometime soon check things', ALICE);
    await flushMicrotasks();
    await clock.advance(20_000);
    const reply = await pending;
    expect(reply.markdown).toContain('took too long');
  });
});

describe('ScheduleService list, cancel and edit', () => {
  it('lists the room’s schedules soonest first, marking those made in other threads', async () => {
    const { service } = setup();
    await service.schedule('in 2 hours @calc later', ALICE);
    await service.schedule('in 5 minutes @analyst sooner', { ...ALICE, threadRoot: '$other' });
    const reply = service.list(ALICE);
    const lines = reply.markdown.split('\n');
    expect(lines[0]).toBe('**Scheduled tasks** (Europe/Berlin)');
    expect(lines[1]).toContain('(in another thread): “@analyst sooner”');
    expect(lines[2]).toContain('“@calc later” (by @alice:hs)');
    expect(service.list({ ...ALICE, roomId: '!elsewhere:hs' }).markdown).toBe(
      'No scheduled tasks in this room.',
    );
  });

  it('cancels one’s own schedules; others’ only as an admin; ids of other rooms are not found', async () => {
    const state = setup();
    const { service, store } = state;
    const mine = await service.schedule('in 5 minutes @calc a', ALICE);
    const id = mine.scheduleId ?? '';
    const before = state.changes;
    expect(service.cancel(id, BOB).markdown).toContain('only they (or an admin)');
    expect(service.cancel(id, { ...ALICE, roomId: '!elsewhere:hs' }).markdown).toContain(
      'No scheduled task',
    );
    expect(service.cancel(`\`${id.toUpperCase()}\``, ALICE).markdown).toContain(
      `✅ Cancelled \`${id}\``,
    );
    expect(store.schedules.get(id)?.state).toBe('cancelled');
    expect(service.cancel(id, ALICE).markdown).toContain('already ended');
    expect(state.changes).toBe(before + 1);
    const other = await service.schedule('in 5 minutes @calc b', BOB);
    expect(service.cancel(other.scheduleId ?? '', ADMIN).ok).toBe(true);
  });

  it('cancels all: one’s own for people, everything for admins', async () => {
    const { service, store } = setup();
    await service.schedule('in 5 minutes @calc a', ALICE);
    await service.schedule('in 6 minutes @calc b', ALICE);
    await service.schedule('in 7 minutes @calc c', BOB);
    expect(service.cancel('all', ALICE).markdown).toContain('Cancelled 2 scheduled tasks');
    expect(store.schedules.listActive(ROOM)).toHaveLength(1);
    expect(service.cancel('all', ALICE).markdown).toContain('No scheduled tasks of yours');
    expect(service.cancel('all', ADMIN).markdown).toContain('Cancelled 1 scheduled task');
  });

  it('edits the timing and keeps the message when the edit gives none', async () => {
    const { service, store } = setup();
    const made = await service.schedule('every day at 9am @analyst report with no history', ALICE);
    const id = made.scheduleId ?? '';
    const edited = await service.edit(id, 'every weekday at 8am', ALICE);
    expect(edited.ok).toBe(true);
    expect(edited.markdown).toContain(`Updated \`${id}\``);
    expect(store.schedules.get(id)).toMatchObject({
      timing: { kind: 'cron', cron: '0 8 * * 1-5' },
      message: '@analyst report',
      historyLimit: 0,
      mentions: ['analyst'],
    });
    await service.edit(id, 'every weekday at 8am @calc numbers, restore full history', ALICE);
    expect(store.schedules.get(id)).toMatchObject({
      message: '@calc numbers',
      historyLimit: undefined,
      mentions: ['calc'],
    });
    // A one-time schedule may become recurring (MindRoom refuses this; nothing here needs to).
    const once = await service.schedule('in 5 minutes @calc x', ALICE);
    expect((await service.edit(once.scheduleId ?? '', 'every hour', ALICE)).ok).toBe(true);
  });

  it('refuses edits by others and of unknown ids', async () => {
    const { service } = setup();
    const made = await service.schedule('in 5 minutes @calc a', ALICE);
    expect((await service.edit(made.scheduleId ?? '', 'in 10 minutes', BOB)).markdown).toContain(
      'only they',
    );
    expect((await service.edit('nope1234', 'in 10 minutes', ALICE)).markdown).toContain(
      'No scheduled task',
    );
  });

  it('edits through the model with the existing schedule as context', async () => {
    const { service, model, store } = setup({ withModel: true });
    const made = await service.schedule('every day at 9am @analyst report', ALICE);
    model.enqueue(
      step.json({
        understood: true,
        schedule_type: 'recurring',
        local_time: null,
        cron: '30 9 * * *',
        message: '@analyst report',
        problem: null,
      }),
    );
    const edited = await service.edit(made.scheduleId ?? '', 'half an hour later please', ALICE);
    expect(edited.ok).toBe(true);
    expect(model.requests[0]?.messages[0]?.content).toContain('Current message: @analyst report');
    expect(store.schedules.get(made.scheduleId ?? '')?.timing).toEqual({
      kind: 'cron',
      cron: '30 9 * * *',
    });
  });
});

describe('newScheduleId', () => {
  it('makes 8-character ids without look-alike characters', () => {
    const ids = new Set(Array.from({ length: 500 }, () => newScheduleId()));
    expect(ids.size).toBe(500);
    for (const id of ids) expect(id).toMatch(/^[a-hj-km-np-z2-9]{8}$/);
  });
});
