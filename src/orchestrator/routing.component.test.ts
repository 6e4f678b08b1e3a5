import { afterEach, describe, expect, it } from 'vitest';
import { FleetHarness } from '../../test/support/fleet-harness.js';
import { ScriptedChatModel, step } from '../../test/support/scripted-chat-model.js';
import { DaemonError } from '../shared/index.js';

const YAML = `
models:
  default:
    provider: openai
    id: scripted
  routing:
    provider: openai
    id: scripted-router
router:
  model: routing
agents:
  calc:
    display_name: Calculator
    role: Does arithmetic.
    rooms: [lobby]
  scribe:
    display_name: Scribe
    role: Writes summaries.
    rooms: [lobby]
authorization:
  global_users: ["@alice:hs.test"]
`;

let harness: FleetHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

async function boot(agents: ScriptedChatModel, router: ScriptedChatModel): Promise<FleetHarness> {
  harness = new FleetHarness({ yaml: YAML, models: { default: agents, routing: router } });
  await harness.start();
  return harness;
}

describe('routing (component)', () => {
  it('lets the router model pick exactly one agent for an unmentioned message', async () => {
    const agents = new ScriptedChatModel({ steps: [step.text('Here is a summary.')] });
    const router = new ScriptedChatModel({
      steps: [step.json({ agent: 'scribe', reason: 'asks for a summary' })],
    });
    const fleet = await boot(agents, router);
    const alice = fleet.human('alice');
    const lobby = fleet.roomId('lobby');
    await alice.joinRoom(lobby);
    await fleet.send(alice, lobby, { body: 'can someone summarise the plan?', format: 'plain' });
    const reply = await fleet.waitFor(
      () => fleet.replies(lobby, fleet.userId('quorum_scribe'))[0],
      'the routed reply',
    );
    await fleet.orchestrator.idle();
    expect(reply.text).toBe('Here is a summary.');
    expect(fleet.replies(lobby, fleet.userId('quorum_calc'))).toEqual([]);
    expect(router.requests[0]?.responseFormat?.name).toBe('route');
    expect(JSON.stringify(router.requests[0]?.messages)).toContain('summarise the plan');
    expect(router.calls).toHaveLength(1);
  });

  it('continues a routed thread with the chosen agent, without asking the router again', async () => {
    const agents = new ScriptedChatModel({ steps: [step.text('7'), step.text('12')] });
    const router = new ScriptedChatModel({
      steps: [step.json({ agent: 'calc', reason: 'numbers' })],
    });
    const fleet = await boot(agents, router);
    const alice = fleet.human('alice');
    const lobby = fleet.roomId('lobby');
    await alice.joinRoom(lobby);
    const root = await fleet.send(alice, lobby, { body: 'what is 3+4?', format: 'plain' });
    await fleet.waitFor(
      () => fleet.replies(lobby, fleet.userId('quorum_calc'))[0],
      'the first reply',
    );
    await fleet.send(alice, lobby, { body: 'and 5+7?', format: 'plain', thread: { rootId: root } });
    await fleet.waitFor(
      () => fleet.replies(lobby, fleet.userId('quorum_calc'))[1],
      'the second reply',
    );
    await fleet.orchestrator.idle();
    expect(router.calls).toHaveLength(1);
  });

  it('asks the person to mention someone when the router model fails', async () => {
    const agents = new ScriptedChatModel();
    const router = new ScriptedChatModel({
      steps: [step.error(new DaemonError('server_error', 'upstream', 'down'))],
    });
    const fleet = await boot(agents, router);
    const alice = fleet.human('alice');
    const lobby = fleet.roomId('lobby');
    await alice.joinRoom(lobby);
    await fleet.send(alice, lobby, { body: 'hello there', format: 'plain' });
    const notice = await fleet.waitFor(
      () => fleet.replies(lobby, fleet.userId('quorum_router'))[0],
      'the router notice',
    );
    await fleet.orchestrator.idle();
    expect(notice.text).toContain('@calc');
    expect(notice.text).toContain('@scribe');
    expect(notice.event.content['msgtype']).toBe('m.notice');
    expect(agents.calls).toHaveLength(0);
  });
});
