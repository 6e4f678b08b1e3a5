import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { FleetHarness } from '../../test/support/fleet-harness.js';
import { ScriptedChatModel, step } from '../../test/support/scripted-chat-model.js';
import type { RawEvent } from '../matrix/index.js';
import { asEventId, type RoomId } from '../shared/index.js';

const YAML = `# The team's config. Keep this comment.
models:
  default:
    provider: openai
    id: scripted
  fast:
    provider: openai
    id: scripted-fast # a cheaper model
agents:
  calc:
    display_name: Calculator
    role: Does arithmetic.
    tools: [ask_user, calculator]
    rooms: [lobby]
tool_approval:
  rules:
    - match: calcul*
      action: require_approval
authorization:
  global_users: ["@alice:hs.test"]
  default_room_access: true
  config_command_enabled: true
`;

let harness: FleetHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

async function boot(model: ScriptedChatModel): Promise<{ fleet: FleetHarness; lobby: RoomId }> {
  harness = new FleetHarness({
    yaml: YAML,
    models: { default: model, fast: new ScriptedChatModel() },
    withConfigFile: true,
  });
  await harness.start();
  const lobby = harness.roomId('lobby');
  return { fleet: harness, lobby };
}

/** The card (a notice) `sender` posted in the room, whose body contains `text`. */
function card(
  fleet: FleetHarness,
  roomId: RoomId,
  sender: string,
  text: string,
): RawEvent | undefined {
  return fleet.homeserver
    .events({ roomId, type: 'm.room.message' })
    .find(
      (event) =>
        event.sender === sender &&
        event.content['msgtype'] === 'm.notice' &&
        String(event.content['body']).includes(text),
    );
}

describe('interactions (component)', () => {
  it('resumes an ask_user turn with the option the asker reacted with', async () => {
    const model = new ScriptedChatModel({
      steps: [
        step.toolCalls([
          { name: 'ask_user', arguments: { question: 'Which colour?', options: ['red', 'blue'] } },
        ]),
        step.text('You chose blue.', {
          expect: (request) => {
            expect(JSON.stringify(request.messages)).toContain('blue');
          },
        }),
      ],
    });
    const { fleet, lobby } = await boot(model);
    const alice = fleet.human('alice');
    await alice.joinRoom(lobby);
    await fleet.send(alice, lobby, {
      body: 'pick a colour',
      format: 'plain',
      mentions: [fleet.userId('quorum_calc')],
    });
    const question = await fleet.waitFor(
      () => card(fleet, lobby, fleet.userId('quorum_calc'), 'Which colour?'),
      'the question card',
    );
    await fleet.waitFor(
      () =>
        fleet.homeserver.events({ roomId: lobby, type: 'm.reaction' }).length >= 2
          ? true
          : undefined,
      'the option reactions',
    );
    await alice.react(lobby, asEventId(question.event_id), '2️⃣', { txnId: 'pick-blue' });
    const reply = await fleet.waitFor(
      () =>
        fleet
          .replies(lobby, fleet.userId('quorum_calc'))
          .find((r) => r.status === 'final' && r.text.includes('You chose blue.')),
      'the answer',
    );
    expect(reply.text).toContain('ask_user');
  });

  it('runs a tool behind require_approval only after the requester’s ✅; another user’s ✅ does nothing', async () => {
    const model = new ScriptedChatModel({
      steps: [
        step.toolCalls([{ name: 'calculator', arguments: { expression: '6*7' } }]),
        step.text('Approved: 42.'),
      ],
    });
    const { fleet, lobby } = await boot(model);
    const alice = fleet.human('alice');
    const bob = fleet.human('bob');
    await alice.joinRoom(lobby);
    fleet.homeserver.inviteAs(alice.userId, lobby, bob.userId);
    await bob.joinRoom(lobby);
    await fleet.send(alice, lobby, {
      body: 'compute it',
      format: 'plain',
      mentions: [fleet.userId('quorum_calc')],
    });
    const approval = await fleet.waitFor(
      () => card(fleet, lobby, fleet.userId('quorum_calc'), 'calculator'),
      'the approval card',
    );
    await bob.react(lobby, asEventId(approval.event_id), '✅', { txnId: 'bob-approves' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(model.calls).toHaveLength(1);
    await alice.react(lobby, asEventId(approval.event_id), '✅', { txnId: 'alice-approves' });
    const reply = await fleet.waitFor(
      () => fleet.replies(lobby, fleet.userId('quorum_calc')).find((r) => r.status === 'final'),
      'the answer',
    );
    expect(reply.text).toContain('Approved: 42.');
    expect(JSON.stringify(model.requests[1]?.messages)).toContain('"42"');
  });

  it('denies a tool call when the requester replies to the approval card', async () => {
    const model = new ScriptedChatModel({
      steps: [
        step.toolCalls([{ name: 'calculator', arguments: { expression: '1/3' } }]),
        step.text('Understood, not computed.'),
      ],
    });
    const { fleet, lobby } = await boot(model);
    const alice = fleet.human('alice');
    await alice.joinRoom(lobby);
    const question = await fleet.send(alice, lobby, {
      body: 'compute',
      format: 'plain',
      mentions: [fleet.userId('quorum_calc')],
    });
    const approval = await fleet.waitFor(
      () => card(fleet, lobby, fleet.userId('quorum_calc'), 'calculator'),
      'the approval card',
    );
    fleet.homeserver.send(
      alice.userId,
      'ALICE',
      lobby,
      'm.room.message',
      {
        msgtype: 'm.text',
        body: 'no, too imprecise',
        'm.relates_to': {
          rel_type: 'm.thread',
          event_id: question,
          is_falling_back: false,
          'm.in_reply_to': { event_id: approval.event_id },
        },
      },
      'deny-1',
    );
    await fleet.waitFor(
      () => fleet.replies(lobby, fleet.userId('quorum_calc')).find((r) => r.status === 'final'),
      'the answer',
    );
    expect(JSON.stringify(model.requests[1]?.messages)).toContain(
      'denied this call: no, too imprecise',
    );
  });

  it('changes config.yaml only after ✅, keeping its comments; a non-admin is refused', async () => {
    const { fleet, lobby } = await boot(new ScriptedChatModel());
    const alice = fleet.human('alice');
    const bob = fleet.human('bob');
    await alice.joinRoom(lobby);
    fleet.homeserver.inviteAs(alice.userId, lobby, bob.userId);
    await bob.joinRoom(lobby);
    const configPath = fleet.configPath ?? '';

    await fleet.send(bob, lobby, { body: '!config set agents.calc.model fast', format: 'plain' });
    await fleet.waitFor(
      () => card(fleet, lobby, fleet.userId('quorum_router'), 'Only config admins'),
      'the refusal',
    );

    await fleet.send(alice, lobby, { body: '!config set agents.calc.model fast', format: 'plain' });
    const proposal = await fleet.waitFor(
      () => card(fleet, lobby, fleet.userId('quorum_router'), 'agents.calc.model'),
      'the proposal',
    );
    expect(String(proposal.content['body'])).toContain('+    model: fast');
    expect(readFileSync(configPath, 'utf8')).toBe(YAML);
    await alice.react(lobby, asEventId(proposal.event_id), '✅', { txnId: 'confirm' });
    await fleet.waitFor(
      () => card(fleet, lobby, fleet.userId('quorum_router'), 'Applied'),
      'the applied note',
    );
    const written = readFileSync(configPath, 'utf8');
    expect(written).toContain("# The team's config. Keep this comment.");
    expect(written).toContain('id: scripted-fast # a cheaper model');
    expect(written).toContain('    model: fast\n');
  });
});
