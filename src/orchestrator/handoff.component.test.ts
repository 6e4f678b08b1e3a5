import { afterEach, describe, expect, it } from 'vitest';
import { FleetHarness } from '../../test/support/fleet-harness.js';
import { ScriptedChatModel, step } from '../../test/support/scripted-chat-model.js';

const agents = ['ann', 'bob', 'cat', 'dan', 'eve'];
const YAML = `
models:
  default:
    provider: openai
    id: router-model
${agents.map((name) => `  m_${name}:\n    provider: openai\n    id: ${name}-model`).join('\n')}
agents:
${agents.map((name) => `  ${name}:\n    display_name: ${name.toUpperCase()}\n    role: Agent ${name}.\n    model: m_${name}\n    rooms: [lobby]`).join('\n')}
authorization:
  global_users: ["@alice:hs.test"]
`;

let harness: FleetHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

const handTo = (target: string) =>
  step.toolCalls([
    { name: 'handoff_to_agent', arguments: { target, reason: `${target} knows better` } },
  ]);

describe('handoffs (component)', () => {
  it('hands a conversation along a chain that stops at depth 3 and never returns', async () => {
    const models: Record<string, ScriptedChatModel> = {
      default: new ScriptedChatModel(),
      m_ann: new ScriptedChatModel({ steps: [handTo('bob'), step.text('Over to BOB.')] }),
      m_bob: new ScriptedChatModel({ steps: [handTo('cat'), step.text('Over to CAT.')] }),
      m_cat: new ScriptedChatModel({ steps: [handTo('dan'), step.text('Over to DAN.')] }),
      m_dan: new ScriptedChatModel({ steps: [step.text('DAN answers at last.')] }),
      m_eve: new ScriptedChatModel(),
    };
    harness = new FleetHarness({ yaml: YAML, models });
    await harness.start();
    const fleet = harness;
    const alice = fleet.human('alice');
    const lobby = fleet.roomId('lobby');
    await alice.joinRoom(lobby);
    await fleet.send(alice, lobby, {
      body: 'ANN, who knows?',
      format: 'plain',
      mentions: [fleet.userId('quorum_ann')],
    });
    const last = await fleet.waitFor(
      () => fleet.replies(lobby, fleet.userId('quorum_dan')).find((r) => r.status === 'final'),
      'DAN’s answer',
    );
    await fleet.orchestrator.idle();
    expect(last.text).toContain('DAN answers at last.');
    expect(last.text).toContain('CAT handed this over');
    // DAN is three handoffs deep: it is offered no handoff tool, so the chain ends with it.
    expect(
      models['m_dan']?.requests[0]?.tools?.some((tool) => tool.name === 'handoff_to_agent') ??
        false,
    ).toBe(false);
    // Nobody is offered an agent already in the chain.
    const catTargets = JSON.stringify(models['m_cat']?.requests[0]?.tools);
    expect(catTargets).not.toContain('"ann"');
    expect(catTargets).not.toContain('"bob"');
    expect(models['m_eve']?.calls).toHaveLength(0);
    for (const name of ['ann', 'bob', 'cat', 'dan']) {
      expect(fleet.replies(lobby, fleet.userId(`quorum_${name}`))).toHaveLength(1);
    }
  });
});
