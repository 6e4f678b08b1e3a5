import { afterEach, describe, expect, it } from 'vitest';
import { FleetHarness } from '../../test/support/fleet-harness.js';
import { ScriptedChatModel, step } from '../../test/support/scripted-chat-model.js';
import { SCHEDULE_FIRE_KEY } from '../dispatch/index.js';
import type { RawEvent } from '../matrix/index.js';
import type { ScheduleFire } from '../schedules/index.js';

const YAML = `
models:
  default:
    provider: openai
    id: scripted
agents:
  calc:
    display_name: Calculator
    role: Does arithmetic.
    rooms: [lobby]
  scribe:
    display_name: Scribe
    role: Writes things down.
    rooms: [lobby]
    tools: [scheduler]
authorization:
  global_users: ["@alice:hs.test"]
`;

let harness: FleetHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

async function boot(model: ScriptedChatModel): Promise<FleetHarness> {
  harness = new FleetHarness({ yaml: YAML, models: { default: model } });
  await harness.start();
  return harness;
}

const threadOf = (event: RawEvent): unknown =>
  (event.content['m.relates_to'] as { event_id?: unknown } | undefined)?.event_id;

describe('schedules (component, fake homeserver)', () => {
  it('acknowledges !schedule with the fire time, then the mentioned agent answers once at the due time', async () => {
    const model = new ScriptedChatModel({ steps: [step.text('5+5 is 10.')] });
    const fleet = await boot(model);
    const alice = fleet.human('alice');
    const lobby = fleet.roomId('lobby');
    const router = fleet.userId('quorum_router');
    const calc = fleet.userId('quorum_calc');
    await alice.joinRoom(lobby);
    const command = await fleet.send(alice, lobby, {
      body: '!schedule in 2 seconds @calc what is 5+5',
      format: 'plain',
    });
    const ack = await fleet.waitFor(
      () => fleet.replies(lobby, router).find((r) => threadOf(r.event) === command),
      'the acknowledgement',
    );
    expect(ack.text).toMatch(
      /^✅ Scheduled `[a-z0-9]{8}` for \*\*today at .+ \(in 2 seconds\)\*\*/u,
    );
    const id = /`([a-z0-9]{8})`/u.exec(ack.text)?.[1] ?? '';

    // MindRoom's spelling of !list_schedules lists it before it fires.
    const list = await fleet.send(alice, lobby, { body: '!listschedules', format: 'plain' });
    const listed = await fleet.waitFor(
      () => fleet.replies(lobby, router).find((r) => threadOf(r.event) === list),
      'the list',
    );
    expect(listed.text).toContain(`\`${id}\``);
    expect(listed.text).toContain('@calc what is 5+5');

    const posted = await fleet.waitFor(
      () =>
        fleet.replies(lobby, router).find((r) => r.event.content[SCHEDULE_FIRE_KEY] !== undefined),
      'the fire',
      6_000,
    );
    const dueAt = Number(String(posted.event.content[SCHEDULE_FIRE_KEY]).split('@')[1]);
    expect(posted.event.content[SCHEDULE_FIRE_KEY]).toBe(`${id}@${dueAt}`);
    expect(posted.event.origin_server_ts).toBeGreaterThanOrEqual(dueAt);
    expect(posted.text).toBe(
      `⏰ @calc what is 5+5\n\n— scheduled task \`${id}\` by @alice:hs.test · once`,
    );
    expect(posted.event.content['m.mentions']).toEqual({ user_ids: [calc] });

    const reply = await fleet.waitFor(
      () => fleet.replies(lobby, calc).find((r) => r.status === 'final'),
      'calc’s answer',
    );
    expect(reply.text).toBe('5+5 is 10.');
    expect(threadOf(reply.event)).toBe(posted.event.event_id);
    expect(reply.event.origin_server_ts).toBeGreaterThanOrEqual(dueAt);
    await fleet.orchestrator.idle();
    expect(fleet.replies(lobby, calc)).toHaveLength(1);
    expect(fleet.replies(lobby, fleet.userId('quorum_scribe'))).toEqual([]);
    // The model saw the scheduled request as Alice's.
    expect(JSON.stringify(model.requests[0]?.messages)).toContain('alice: ⏰ @calc what is 5+5');
    // calc does not list `scheduler`, so it has no scheduler tools.
    expect(model.requests[0]?.tools?.map((tool) => tool.name) ?? []).not.toContain('schedule');
    expect(fleet.store.schedules.get(id)).toMatchObject({ state: 'done', fireCount: 1 });
    expect(fleet.store.schedules.firesOf(id)).toEqual([
      expect.objectContaining({ state: 'delivered', eventId: posted.event.event_id }),
    ]);
  });

  it('delivers a fire left claimed by a crash once after the restart, and never again', async () => {
    const model = new ScriptedChatModel({ steps: [step.text('Late but here.')] });
    const first = await boot(model);
    const alice = first.human('alice');
    const lobby = first.roomId('lobby');
    await alice.joinRoom(lobby);
    // The crash: the scheduler had claimed the due time (and advanced the schedule) but the
    // pipeline never accepted the fire.
    const dueAt = Date.now() - 1_000;
    const fire: ScheduleFire = {
      id: `crash001@${dueAt}`,
      scheduleId: 'crash001',
      dueAt,
      roomId: lobby,
      threadRoot: undefined,
      newThread: false,
      requester: '@alice:hs.test',
      message: '@calc still there?',
      mentions: ['calc'],
      historyLimit: undefined,
      description: 'once',
      isRecurring: false,
      lateByMs: 0,
      coalesced: 0,
    };
    const { schedules } = first.store;
    schedules.insert(
      {
        id: 'crash001',
        roomId: lobby,
        threadRoot: undefined,
        newThread: false,
        createdBy: fire.requester,
        timing: { kind: 'once', atMs: dueAt },
        timezone: 'UTC',
        message: fire.message,
        description: 'once',
        mentions: ['calc'],
        historyLimit: undefined,
        timeStyle: '24h',
        parsedBy: 'rules',
        nextDueAt: dueAt,
      },
      { perPerson: 10, perRoom: 10 },
    );
    schedules.claim({
      scheduleId: 'crash001',
      expectedNextDueAt: dueAt,
      dueAt,
      kind: 'fire',
      payload: fire,
      advance: { state: 'done', reason: 'fired' },
    });
    await first.stop();

    const restart = async (): Promise<FleetHarness> => {
      const options = { yaml: YAML, models: { default: model } };
      harness = new FleetHarness({ ...options, store: first.store, homeserver: first.homeserver });
      await harness.start();
      return harness;
    };
    const second = await restart();
    const calc = second.userId('quorum_calc');
    const reply = await second.waitFor(
      () => second.replies(lobby, calc).find((r) => r.status === 'final'),
      'calc’s answer to the redelivered fire',
    );
    expect(reply.text).toBe('Late but here.');
    await second.orchestrator.idle();
    expect(schedules.getFire(fire.id)).toMatchObject({ state: 'delivered' });
    await second.stop();

    const third = await restart();
    await third.orchestrator.idle();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const posts = third
      .replies(lobby, third.userId('quorum_router'))
      .filter((r) => r.event.content[SCHEDULE_FIRE_KEY] === fire.id);
    expect(posts).toHaveLength(1);
    expect(third.replies(lobby, calc)).toHaveLength(1);
  });

  it('takes no schedule from someone who may not talk to the agents', async () => {
    const fleet = await boot(new ScriptedChatModel());
    const mallory = fleet.human('mallory');
    const lobby = fleet.roomId('lobby');
    const alice = fleet.human('alice');
    await alice.joinRoom(lobby);
    fleet.homeserver.inviteAs(alice.userId, lobby, mallory.userId);
    await mallory.joinRoom(lobby);
    await fleet.send(mallory, lobby, {
      body: '!schedule in 2 seconds @calc what is 5+5',
      format: 'plain',
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await fleet.orchestrator.idle();
    expect(fleet.store.schedules.listActive(lobby)).toEqual([]);
    expect(fleet.replies(lobby, fleet.userId('quorum_router'))).toEqual([]);
  });

  it('gives an agent listing `scheduler` the tools, acting for the person in their thread', async () => {
    const model = new ScriptedChatModel({
      steps: [
        step.toolCalls([
          { name: 'schedule', arguments: { request: 'tomorrow at 9am @calc stand-up numbers' } },
        ]),
        step.text('Scheduled for tomorrow.'),
      ],
    });
    const fleet = await boot(model);
    const alice = fleet.human('alice');
    const lobby = fleet.roomId('lobby');
    await alice.joinRoom(lobby);
    const question = await fleet.send(alice, lobby, {
      body: 'Scribe: remind calc tomorrow morning',
      format: 'plain',
      mentions: [fleet.userId('quorum_scribe')],
    });
    await fleet.waitFor(
      () => fleet.replies(lobby, fleet.userId('quorum_scribe')).find((r) => r.status === 'final'),
      'scribe’s answer',
    );
    const tools = model.requests[0]?.tools?.map((tool) => tool.name);
    expect(tools).toEqual(
      expect.arrayContaining(['schedule', 'list_schedules', 'cancel_schedule', 'edit_schedule']),
    );
    const [kept] = fleet.store.schedules.listActive(lobby);
    expect(kept).toMatchObject({
      createdBy: '@alice:hs.test',
      threadRoot: question,
      mentions: ['calc'],
      message: '@calc stand-up numbers',
    });
  });
});
