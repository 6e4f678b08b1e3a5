import { afterEach, describe, expect, it } from 'vitest';
import { FleetHarness } from '../../test/support/fleet-harness.js';
import { ScriptedChatModel, step } from '../../test/support/scripted-chat-model.js';

const YAML = `
models:
  default:
    provider: openai
    id: router-model
  calc_model:
    provider: openai
    id: calc-model
  scribe_model:
    provider: openai
    id: scribe-model
  crew_model:
    provider: openai
    id: crew-model
agents:
  calc:
    display_name: Calculator
    role: Does arithmetic.
    model: calc_model
    rooms: [lobby]
  scribe:
    display_name: Scribe
    role: Writes summaries.
    model: scribe_model
    rooms: [lobby]
teams:
  crew:
    display_name: Crew
    role: Calculator and Scribe together.
    agents: [calc, scribe]
    mode: coordinate
    model: crew_model
    rooms: [lobby]
authorization:
  global_users: ["@alice:hs.test"]
`;

let harness: FleetHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

describe('teams (component)', () => {
  it('lets two mentioned agents both answer, followed by a synthesis', async () => {
    const models = {
      default: new ScriptedChatModel({ steps: [step.text('Together: 4, and a summary.')] }),
      calc_model: new ScriptedChatModel({ steps: [step.text('2+2 is 4.')] }),
      scribe_model: new ScriptedChatModel({ steps: [step.text('Summary: easy sum.')] }),
      crew_model: new ScriptedChatModel(),
    };
    harness = new FleetHarness({ yaml: YAML, models });
    await harness.start();
    const fleet = harness;
    const alice = fleet.human('alice');
    const lobby = fleet.roomId('lobby');
    await alice.joinRoom(lobby);
    await fleet.send(alice, lobby, {
      body: 'Calculator and Scribe: what is 2+2, summarised?',
      format: 'plain',
      mentions: [fleet.userId('quorum_calc'), fleet.userId('quorum_scribe')],
    });
    const synthesis = await fleet.waitFor(
      () => fleet.replies(lobby, fleet.userId('quorum_router')).find((r) => r.status === 'final'),
      'the synthesis',
    );
    await fleet.orchestrator.idle();
    expect(fleet.replies(lobby, fleet.userId('quorum_calc')).map((r) => r.text)).toEqual([
      '_For Team Calculator + Scribe_\n\n2+2 is 4.',
    ]);
    expect(fleet.replies(lobby, fleet.userId('quorum_scribe')).map((r) => r.text)).toEqual([
      '_For Team Calculator + Scribe_\n\nSummary: easy sum.',
    ]);
    expect(synthesis.text).toContain('Together: 4, and a summary.');
    const synthesisPrompt = JSON.stringify(models.default.requests[0]?.messages);
    expect(synthesisPrompt).toContain('2+2 is 4.');
    expect(synthesisPrompt).toContain('Summary: easy sum.');
  });

  it('lets a coordinate team delegate to its members and post the synthesis', async () => {
    const models = {
      default: new ScriptedChatModel(),
      calc_model: new ScriptedChatModel({ steps: [step.text('It is 42.')] }),
      scribe_model: new ScriptedChatModel(),
      crew_model: new ScriptedChatModel({
        steps: [
          step.toolCalls([
            { name: 'delegate_to_member', arguments: { member: 'calc', task: 'Compute 6*7.' } },
          ]),
          step.text('The crew says: 42.'),
        ],
      }),
    };
    harness = new FleetHarness({ yaml: YAML, models });
    await harness.start();
    const fleet = harness;
    const alice = fleet.human('alice');
    const lobby = fleet.roomId('lobby');
    await alice.joinRoom(lobby);
    await fleet.send(alice, lobby, {
      body: 'Crew, what is 6*7?',
      format: 'plain',
      mentions: [fleet.userId('quorum_crew')],
    });
    const synthesis = await fleet.waitFor(
      () => fleet.replies(lobby, fleet.userId('quorum_crew')).find((r) => r.status === 'final'),
      'the team synthesis',
    );
    await fleet.orchestrator.idle();
    expect(synthesis.text).toContain('The crew says: 42.');
    expect(fleet.replies(lobby, fleet.userId('quorum_calc')).map((r) => r.text)).toEqual([
      '_For Crew: Compute 6*7._\n\nIt is 42.',
    ]);
    expect(JSON.stringify(models.calc_model.requests[0]?.messages)).toContain('Compute 6*7.');
    expect(models.crew_model.requests[0]?.tools?.map((tool) => tool.name)).toEqual([
      'delegate_to_member',
    ]);
    expect(models.scribe_model.calls).toHaveLength(0);
  });
});
