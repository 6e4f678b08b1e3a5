import { afterEach, describe, expect, it } from 'vitest';
import { FleetHarness } from '../../test/support/fleet-harness.js';
import { ScriptedChatModel, step } from '../../test/support/scripted-chat-model.js';
import { MatrixRequestError } from '../matrix/index.js';
import { asEventId } from '../shared/index.js';

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
authorization:
  global_users: ["@alice:hs.test"]
`;

let harness: FleetHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

async function boot(model: ScriptedChatModel, yaml = YAML): Promise<FleetHarness> {
  harness = new FleetHarness({ yaml, models: { default: model } });
  await harness.start();
  return harness;
}

describe('MultiAgentOrchestrator (component, fake homeserver)', () => {
  it('boots the router first, creates the room, and every bot becomes ready', async () => {
    const fleet = await boot(new ScriptedChatModel());
    const report = fleet.orchestrator.readiness();
    expect(report.ready).toBe(true);
    expect(report.entities.map((entity) => [entity.name, entity.state])).toEqual([
      ['router', 'syncing'],
      ['calc', 'syncing'],
      ['scribe', 'syncing'],
    ]);
    // Nobody reads a bot's unread counts: every bot account has notifications off.
    for (const localpart of ['quorum_router', 'quorum_calc', 'quorum_scribe']) {
      expect(fleet.homeserver.notificationsEnabled(fleet.userId(localpart))).toBe(false);
    }
    const lobby = fleet.roomId('lobby');
    expect(fleet.homeserver.joinedMembers(fleet.userId('quorum_router'), lobby).sort()).toEqual(
      [
        fleet.userId('quorum_calc'),
        fleet.userId('quorum_router'),
        fleet.userId('quorum_scribe'),
      ].sort(),
    );
  });

  it('answers a mention with a threaded reply from that agent only', async () => {
    const model = new ScriptedChatModel({ steps: [step.chunks(['The answer ', 'is 4.'])] });
    const fleet = await boot(model);
    const alice = fleet.human('alice');
    const lobby = fleet.roomId('lobby');
    await alice.joinRoom(lobby);
    const question = await fleet.send(alice, lobby, {
      body: 'Calculator: what is 2+2?',
      format: 'plain',
      mentions: [fleet.userId('quorum_calc')],
    });
    const reply = await fleet.waitFor(
      () => fleet.replies(lobby, fleet.userId('quorum_calc')).find((r) => r.status === 'final'),
      'the final reply',
    );
    expect(reply.text).toBe('The answer is 4.');
    expect(reply.event.content['m.relates_to']).toMatchObject({
      rel_type: 'm.thread',
      event_id: question,
    });
    await fleet.orchestrator.idle();
    expect(fleet.replies(lobby, fleet.userId('quorum_scribe'))).toEqual([]);
    expect(model.requests).toHaveLength(1);
    expect(JSON.stringify(model.requests[0]?.messages)).toContain('what is 2+2?');
  });

  it('lets agents whose rooms the router follows stand by, and brings them back while it is down', async () => {
    const model = new ScriptedChatModel({ steps: [step.text('Still here.')] });
    const fleet = await boot(model);
    const alice = fleet.human('alice');
    const lobby = fleet.roomId('lobby');
    const calc = fleet.userId('quorum_calc');
    const router = fleet.userId('quorum_router');
    await alice.joinRoom(lobby);
    // calc is only in the lobby, which the router follows: it checks in without long-polling.
    await fleet.waitFor(() => {
      const last = fleet.homeserver.lastSync(calc);
      return last?.excludeRooms.includes(lobby) === true && last.timeoutMs === 0 ? last : undefined;
    }, 'calc standing by');
    expect(fleet.homeserver.lastSync(router)).toMatchObject({ excludeRooms: [] });

    // The router's syncs fail from now on: it goes into backoff and calc long-polls the lobby.
    fleet.homeserver.failNextSyncs(
      router,
      1_000,
      new MatrixRequestError('server_error', 'homeserver hiccup (fake)', { httpStatus: 502 }),
    );
    await fleet.waitFor(
      () =>
        fleet.orchestrator.readiness().entities.find((e) => e.name === 'router')?.state ===
        'backoff'
          ? true
          : undefined,
      'the router in backoff',
    );
    await fleet.waitFor(() => {
      const last = fleet.homeserver.lastSync(calc);
      return last?.excludeRooms.length === 0 && last.timeoutMs > 0 ? last : undefined;
    }, 'calc long-polling the lobby itself');
    await fleet.send(alice, lobby, {
      body: 'Calculator: are you there?',
      format: 'plain',
      mentions: [calc],
    });
    const reply = await fleet.waitFor(
      () => fleet.replies(lobby, calc).find((r) => r.status === 'final'),
      'the reply received through calc’s own sync',
    );
    expect(reply.text).toBe('Still here.');
    await fleet.orchestrator.idle();
    expect(fleet.replies(lobby, calc)).toHaveLength(1);
  });

  it('ignores an unauthorized user', async () => {
    const model = new ScriptedChatModel();
    const fleet = await boot(model);
    const mallory = fleet.human('mallory');
    const lobby = fleet.roomId('lobby');
    const alice = fleet.human('alice');
    await alice.joinRoom(lobby);
    fleet.homeserver.inviteAs(alice.userId, lobby, mallory.userId);
    await mallory.joinRoom(lobby);
    await fleet.send(mallory, lobby, {
      body: 'hey',
      format: 'plain',
      mentions: [fleet.userId('quorum_calc')],
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await fleet.orchestrator.idle();
    expect(fleet.replies(lobby, fleet.userId('quorum_calc'))).toEqual([]);
    expect(model.calls).toHaveLength(0);
  });

  it('regenerates the reply in place when the question is edited', async () => {
    const model = new ScriptedChatModel({
      steps: [step.text('first answer'), step.text('second answer')],
    });
    const fleet = await boot(model);
    const alice = fleet.human('alice');
    const lobby = fleet.roomId('lobby');
    await alice.joinRoom(lobby);
    const question = await fleet.send(alice, lobby, {
      body: 'q1',
      format: 'plain',
      mentions: [fleet.userId('quorum_calc')],
    });
    await fleet.waitFor(
      () =>
        fleet
          .replies(lobby, fleet.userId('quorum_calc'))
          .find((r) => r.text === 'first answer' && r.status === 'final'),
      'the first answer',
    );
    await alice.editText(
      lobby,
      asEventId(question),
      { body: 'q2', format: 'plain', mentions: [fleet.userId('quorum_calc')] },
      { txnId: 'edit-1' },
    );
    await fleet.waitFor(
      () =>
        fleet.replies(lobby, fleet.userId('quorum_calc')).find((r) => r.text === 'second answer'),
      'the regenerated answer',
    );
    expect(fleet.replies(lobby, fleet.userId('quorum_calc'))).toHaveLength(1);
    expect(JSON.stringify(model.requests[1]?.messages)).toContain('q2');
  });

  it('runs a tool call and puts its result and a trace in the reply', async () => {
    const model = new ScriptedChatModel({
      steps: [
        step.toolCalls([{ name: 'calculator', arguments: { expression: '6*7' } }]),
        step.text('It is 42.'),
      ],
    });
    const yaml = YAML.replace(
      '    role: Does arithmetic.',
      '    role: Does arithmetic.\n    tools: [calculator]',
    );
    const fleet = await boot(model, yaml);
    const alice = fleet.human('alice');
    const lobby = fleet.roomId('lobby');
    await alice.joinRoom(lobby);
    await fleet.send(alice, lobby, {
      body: 'what is 6*7',
      format: 'plain',
      mentions: [fleet.userId('quorum_calc')],
    });
    const reply = await fleet.waitFor(
      () => fleet.replies(lobby, fleet.userId('quorum_calc')).find((r) => r.status === 'final'),
      'the final reply',
    );
    expect(reply.text).toContain('calculator');
    expect(reply.text).toContain('→ 42');
    expect(reply.text).toContain('It is 42.');
    const toolMessage = model.requests[1]?.messages.find((message) => message.role === 'tool');
    expect(toolMessage).toMatchObject({ role: 'tool', content: '42' });
    expect(model.requests[0]?.tools?.map((tool) => tool.name)).toEqual([
      'calculator',
      'handoff_to_agent',
    ]);
  });

  it('switches the model for one thread with !model', async () => {
    const main = new ScriptedChatModel({
      steps: [step.text('starting'), step.text('from default')],
    });
    const fast = new ScriptedChatModel({ steps: [step.text('from fast')] });
    const yaml = YAML.replace(
      '    id: scripted\n',
      '    id: scripted\n  fast:\n    provider: openai\n    id: scripted-fast\n',
    );
    harness = new FleetHarness({ yaml, models: { default: main, fast } });
    await harness.start();
    const fleet = harness;
    const alice = fleet.human('alice');
    const lobby = fleet.roomId('lobby');
    await alice.joinRoom(lobby);
    const root = await fleet.send(alice, lobby, {
      body: 'thread starter',
      format: 'plain',
      mentions: [fleet.userId('quorum_calc')],
    });
    await fleet.send(alice, lobby, {
      body: '!model fast',
      format: 'plain',
      thread: { rootId: asEventId(root) },
    });
    await fleet.waitFor(
      () =>
        fleet
          .replies(lobby, fleet.userId('quorum_router'))
          .find((r) => r.text.includes('now use `fast`')),
      'the !model confirmation',
    );
    await fleet.send(alice, lobby, {
      body: 'in the thread',
      format: 'plain',
      thread: { rootId: asEventId(root) },
      mentions: [fleet.userId('quorum_calc')],
    });
    await fleet.waitFor(
      () => fleet.replies(lobby, fleet.userId('quorum_calc')).find((r) => r.text === 'from fast'),
      'the fast reply',
    );
    await fleet.send(alice, lobby, {
      body: 'elsewhere',
      format: 'plain',
      mentions: [fleet.userId('quorum_calc')],
    });
    await fleet.waitFor(
      () =>
        fleet.replies(lobby, fleet.userId('quorum_calc')).find((r) => r.text === 'from default'),
      'the default reply',
    );
    expect(main.calls).toHaveLength(2);
    expect(fast.calls).toHaveLength(1);
  });

  it('sends an image in a DM to the model as an image part', async () => {
    const model = new ScriptedChatModel({ steps: [step.text('A cat.')] });
    const fleet = await boot(model);
    const alice = fleet.human('alice');
    const dm = await alice.createRoom({
      aliasLocalpart: 'alice-dm',
      name: 'DM',
      invite: [fleet.userId('quorum_calc')],
    });
    fleet.homeserver.inviteAs(alice.userId, dm, fleet.userId('quorum_calc'), { isDirect: true });
    await fleet.waitFor(
      () =>
        fleet.homeserver.joinedMembers(alice.userId, dm).includes(fleet.userId('quorum_calc'))
          ? true
          : undefined,
      'calc to join the DM',
    );
    const url = fleet.homeserver.putMedia(Buffer.from('png-bytes'), 'image/png');
    fleet.homeserver.send(
      alice.userId,
      'ALICE',
      dm,
      'm.room.message',
      { msgtype: 'm.image', body: 'cat.png', url, info: { mimetype: 'image/png' } },
      'img-1',
    );
    await fleet.waitFor(() => fleet.replies(dm, fleet.userId('quorum_calc'))[0], 'the reply');
    const content = model.requests[0]?.messages.at(-1)?.content;
    expect(content).toEqual([
      { type: 'text', text: 'alice: cat.png' },
      {
        type: 'image',
        url: `data:image/png;base64,${Buffer.from('png-bytes').toString('base64')}`,
      },
    ]);
  });

  it('uses the room’s model from room_models', async () => {
    const main = new ScriptedChatModel();
    const fast = new ScriptedChatModel({ steps: [step.text('from the room model')] });
    const yaml = YAML.replace(
      '    id: scripted\n',
      '    id: scripted\n  fast:\n    provider: openai\n    id: scripted-fast\n',
    ).concat('room_models:\n  lobby: fast\n');
    harness = new FleetHarness({ yaml, models: { default: main, fast } });
    await harness.start();
    const fleet = harness;
    const alice = fleet.human('alice');
    const lobby = fleet.roomId('lobby');
    await alice.joinRoom(lobby);
    await fleet.send(alice, lobby, {
      body: 'hi',
      format: 'plain',
      mentions: [fleet.userId('quorum_calc')],
    });
    await fleet.waitFor(
      () =>
        fleet
          .replies(lobby, fleet.userId('quorum_calc'))
          .find((r) => r.text === 'from the room model'),
      'the reply',
    );
    expect(main.calls).toHaveLength(0);
  });

  it('answers !help without calling a model', async () => {
    const model = new ScriptedChatModel();
    const fleet = await boot(model);
    const alice = fleet.human('alice');
    const lobby = fleet.roomId('lobby');
    await alice.joinRoom(lobby);
    await fleet.send(alice, lobby, { body: '!agents', format: 'plain' });
    const reply = await fleet.waitFor(
      () => fleet.replies(lobby, fleet.userId('quorum_router'))[0],
      'the router reply',
    );
    expect(reply.text).toContain('Calculator');
    expect(reply.text).toContain('Scribe');
    expect(model.calls).toHaveLength(0);
  });
});
