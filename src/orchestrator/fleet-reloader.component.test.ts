import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeBotClient } from '../../test/support/fake-bot-client.js';
import { FleetHarness } from '../../test/support/fleet-harness.js';
import { ScriptedChatModel, step } from '../../test/support/scripted-chat-model.js';
import { parseConfig } from '../config/index.js';
import type { ReadinessReport, RoomId } from '../shared/index.js';

const base = (agents: string, models = '') => `
models:
  default:
    provider: openai
    id: scripted
  other:
    provider: openai
    id: scripted-other
${models}
agents:
${agents}
authorization:
  global_users: ["@alice:hs.test"]
`;

const CALC = `  calc:
    display_name: Calculator
    rooms: [lobby]
`;
const SCRIBE = `  scribe:
    display_name: Scribe
    rooms: [lobby]
`;

function config(yaml: string) {
  const parsed = parseConfig(yaml, { env: {} });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.config;
}

let harness: FleetHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

function startedAt(fleet: FleetHarness): Record<string, string | null> {
  return Object.fromEntries(
    fleet.orchestrator.readiness().entities.map((e) => [e.name, e.started_at]),
  );
}

function reloadCount(fleet: FleetHarness, outcome: string): number {
  return fleet.metrics.registry.value('quorum_config_reloads_total', { outcome });
}

describe('live reload (component)', () => {
  it('counts a reload that changes nothing as unchanged, keeping the generation', async () => {
    const models = { default: new ScriptedChatModel(), other: new ScriptedChatModel() };
    harness = new FleetHarness({ yaml: base(CALC), models });
    await harness.start();
    const outcome = await harness.orchestrator.reload(config(base(CALC)));
    expect(outcome).toMatchObject({ generation: 1, plan: { hasChanges: false } });
    expect(reloadCount(harness, 'unchanged')).toBe(1);
    expect(reloadCount(harness, 'applied')).toBe(0);
    expect(harness.metrics.registry.render()).toContain(
      'quorum_config_reloads_total{outcome="unchanged"} 1',
    );
  });

  it('starts an added agent that then answers, touching nothing else', async () => {
    const models = {
      default: new ScriptedChatModel({ steps: [step.text('hello from scribe')] }),
      other: new ScriptedChatModel(),
    };
    harness = new FleetHarness({ yaml: base(CALC), models });
    await harness.start();
    const before = startedAt(harness);
    const outcome = await harness.orchestrator.reload(config(base(CALC + SCRIBE)));
    expect(outcome.plan.entities.map((e) => [e.name, e.action])).toEqual([
      ['router', 'update'],
      ['calc', 'unchanged'],
      ['scribe', 'start'],
    ]);
    const after = startedAt(harness);
    expect(after['calc']).toBe(before['calc']);
    expect(after['router']).toBe(before['router']);
    expect(harness.orchestrator.readiness()).toMatchObject({ ready: true, config_generation: 2 });
    expect(reloadCount(harness, 'applied')).toBe(1);

    const alice = harness.human('alice');
    const lobby = harness.roomId('lobby');
    await alice.joinRoom(lobby);
    await harness.send(alice, lobby, {
      body: 'hi',
      format: 'plain',
      mentions: [harness.userId('quorum_scribe')],
    });
    const reply = await harness.waitFor(
      () => harness?.replies(lobby, harness.userId('quorum_scribe'))[0],
      'scribe reply',
    );
    expect(reply.text).toBe('hello from scribe');
  });

  it('restarts only the agent whose model changed, and its next reply uses the new model', async () => {
    const models = {
      default: new ScriptedChatModel(),
      other: new ScriptedChatModel({ steps: [step.text('from other')] }),
    };
    harness = new FleetHarness({ yaml: base(CALC + SCRIBE), models });
    await harness.start();
    const before = startedAt(harness);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const changed = CALC.replace(
      'display_name: Calculator',
      'display_name: Calculator\n    model: other',
    );
    const outcome = await harness.orchestrator.reload(config(base(changed + SCRIBE)));
    expect(outcome.plan.entities.find((e) => e.name === 'calc')?.action).toBe('restart');
    const after = startedAt(harness);
    expect(after['calc']).not.toBe(before['calc']);
    expect(after['scribe']).toBe(before['scribe']);

    const alice = harness.human('alice');
    const lobby = harness.roomId('lobby');
    await alice.joinRoom(lobby);
    await harness.send(alice, lobby, {
      body: 'hi',
      format: 'plain',
      mentions: [harness.userId('quorum_calc')],
    });
    const reply = await harness.waitFor(
      () => harness?.replies(lobby, harness.userId('quorum_calc'))[0],
      'calc reply',
    );
    expect(reply.text).toBe('from other');
    expect(models.default.calls).toHaveLength(0);
  });

  it('never reports ready while a restarted agent is not running again yet', async () => {
    const models = { default: new ScriptedChatModel(), other: new ScriptedChatModel() };
    harness = new FleetHarness({ yaml: base(CALC + SCRIBE), models });
    await harness.start();
    const fleet = harness;
    // A role change restarts calc and updates the router's routing table, so the router
    // provisions rooms (and reads members) between calc's stop and its new start.
    const reports: ReadinessReport[] = [];
    const getJoinedMembers = FakeBotClient.prototype.getJoinedMembers;
    const spy = vi.spyOn(FakeBotClient.prototype, 'getJoinedMembers').mockImplementation(function (
      this: FakeBotClient,
      roomId: RoomId,
    ) {
      reports.push(fleet.orchestrator.readiness());
      return getJoinedMembers.call(this, roomId);
    });
    const changed = CALC.replace(
      'display_name: Calculator',
      'display_name: Calculator\n    role: Adds numbers.',
    );
    const outcome = await fleet.orchestrator.reload(config(base(changed + SCRIBE))).finally(() => {
      spy.mockRestore();
    });
    expect(outcome.plan.entities.map((e) => [e.name, e.action])).toEqual([
      ['router', 'update'],
      ['calc', 'restart'],
      ['scribe', 'unchanged'],
    ]);
    expect(reports.length).toBeGreaterThan(0);
    for (const report of reports) {
      expect(report.entities.map((e) => e.name)).toEqual(['router', 'calc', 'scribe']);
      expect(report.ready).toBe(false);
      expect(report.entities.find((e) => e.name === 'calc')).toMatchObject({
        state: 'starting',
        started_at: null,
        user_id: fleet.userId('quorum_calc'),
      });
    }
    expect(fleet.orchestrator.readiness()).toMatchObject({ ready: true, config_generation: 2 });
  });

  it('stops a removed agent and makes it leave its rooms, keeping its account', async () => {
    const models = { default: new ScriptedChatModel(), other: new ScriptedChatModel() };
    harness = new FleetHarness({ yaml: base(CALC + SCRIBE), models });
    await harness.start();
    const lobby = harness.roomId('lobby');
    await harness.orchestrator.reload(config(base(CALC)));
    expect(harness.orchestrator.readiness().entities.map((e) => e.name)).toEqual([
      'router',
      'calc',
    ]);
    expect(harness.homeserver.joinedMembers(harness.userId('quorum_router'), lobby)).not.toContain(
      harness.userId('quorum_scribe'),
    );
    expect(harness.store.accounts.get('scribe')).toBeDefined();
  });
});
