import { describe, expect, it } from 'vitest';
import type { EntitySpec } from './entity-spec.js';
import { parseConfig } from './parse-config.js';
import type { EntityPlan } from './plan-reload.js';
import { diffFields, formatPlan, planReload } from './plan-reload.js';
import { resolveEntitySpecs } from './resolve-entities.js';

const S = 'example.org';

function specsOf(text: string): readonly EntitySpec[] {
  const result = parseConfig(text, { env: {} });
  if (!result.ok) throw new Error(JSON.stringify(result.issues, null, 2));
  return resolveEntitySpecs(result.config, { serverName: S });
}

function entity(plan: ReturnType<typeof planReload>, name: string): EntityPlan {
  const found = plan.entities.find((e) => e.name === name);
  if (found === undefined) throw new Error(`no plan for ${name}`);
  return found;
}

const BASE = `models:
  default: {provider: openai, id: gpt-a}
agents:
  calc: {display_name: Calc, rooms: [lobby]}
  scribe: {display_name: Scribe, rooms: [lobby, dev], instructions: [Take notes.]}
teams:
  crew: {display_name: Crew, agents: [calc, scribe], rooms: [dev]}
`;

describe('planReload', () => {
  it('starts everything on the first start, router first, and creates the managed rooms', () => {
    const plan = planReload([], specsOf(BASE));
    expect(plan.entities.map((e) => [e.action, e.kind, e.name])).toEqual([
      ['start', 'router', 'router'],
      ['start', 'agent', 'calc'],
      ['start', 'agent', 'scribe'],
      ['start', 'team', 'crew'],
    ]);
    expect(entity(plan, 'scribe').join).toEqual([`#dev:${S}`, `#lobby:${S}`]);
    expect(plan.createRooms.map((room) => room.alias)).toEqual([`#dev:${S}`, `#lobby:${S}`]);
    expect(plan.hasChanges).toBe(true);
  });

  it('reports no changes for the same config', () => {
    const plan = planReload(specsOf(BASE), specsOf(BASE));
    expect(plan.entities.every((e) => e.action === 'unchanged')).toBe(true);
    expect(plan.createRooms).toEqual([]);
    expect(plan.hasChanges).toBe(false);
  });

  it('restarts an entity whose behaviour changed, listing the changed fields', () => {
    const edited = BASE.replace('instructions: [Take notes.]', 'instructions: [Take short notes.]');
    const plan = planReload(specsOf(BASE), specsOf(edited));
    expect(entity(plan, 'scribe')).toMatchObject({
      action: 'restart',
      changedFields: ['instructions'],
      join: [],
      leave: [],
    });
    expect(entity(plan, 'calc').action).toBe('unchanged');
    expect(entity(plan, 'router').action).toBe('unchanged');
  });

  it('names nested fields that changed in the model', () => {
    const edited = BASE.replace('id: gpt-a}', 'id: gpt-a, temperature: 0.1}');
    const plan = planReload(specsOf(BASE), specsOf(edited));
    expect(entity(plan, 'calc').changedFields).toEqual(['model.temperature']);
    expect(entity(plan, 'router').changedFields).toEqual(['model.temperature']);
  });

  it('stops a removed entity and leaves its rooms', () => {
    const removed = BASE.replace('  calc: {display_name: Calc, rooms: [lobby]}\n', '').replace(
      '[calc, scribe]',
      '[scribe]',
    );
    const plan = planReload(specsOf(BASE), specsOf(removed));
    expect(entity(plan, 'calc')).toMatchObject({
      action: 'stop',
      leave: [`#lobby:${S}`],
      join: [],
      spec: undefined,
    });
    expect(entity(plan, 'calc').previous?.name).toBe('calc');
    expect(entity(plan, 'crew')).toMatchObject({ action: 'restart', changedFields: ['members'] });
  });

  it('updates an entity whose rooms alone changed, without a restart', () => {
    const moved = BASE.replace(
      'calc: {display_name: Calc, rooms: [lobby]}',
      'calc: {display_name: Calc, rooms: [dev, lab]}',
    );
    const plan = planReload(specsOf(BASE), specsOf(moved));
    expect(entity(plan, 'calc')).toMatchObject({
      action: 'update',
      changedFields: ['rooms'],
      join: [`#dev:${S}`, `#lab:${S}`],
      leave: [`#lobby:${S}`],
    });
    expect(entity(plan, 'router')).toMatchObject({
      action: 'update',
      join: [`#lab:${S}`],
      leave: [],
    });
    expect(plan.createRooms.map((room) => room.alias)).toEqual([`#lab:${S}`]);
  });

  it('restarts when rooms change together with something that needs a restart', () => {
    const edited = BASE.replace(
      'calc: {display_name: Calc, rooms: [lobby]}',
      'calc: {display_name: Calculator, rooms: [dev]}',
    );
    expect(entity(planReload(specsOf(BASE), specsOf(edited)), 'calc')).toMatchObject({
      action: 'restart',
      changedFields: ['displayName', 'rooms'],
      join: [`#dev:${S}`],
      leave: [`#lobby:${S}`],
    });
  });

  it('treats an agent that becomes a team as a stop and a start', () => {
    const swapped = `models:\n  default: {provider: openai, id: gpt-a}\nagents:\n  scribe: {display_name: Scribe}\nteams:\n  calc: {display_name: Calc, agents: [scribe]}\n`;
    const plan = planReload(specsOf(BASE), specsOf(swapped));
    const calc = plan.entities.filter((e) => e.name === 'calc').map((e) => [e.kind, e.action]);
    expect(calc).toEqual([
      ['agent', 'stop'],
      ['team', 'start'],
    ]);
  });

  it('formats one line per entity, then the rooms to create', () => {
    const edited = BASE.replace(
      'instructions: [Take notes.]',
      'instructions: [Take short notes.]',
    ).replace(
      'calc: {display_name: Calc, rooms: [lobby]}',
      'calc: {display_name: Calc, rooms: [lobby, lab]}',
    );
    expect(formatPlan(planReload(specsOf(BASE), specsOf(edited))).split('\n')).toEqual([
      `update    router router (quorum_router): changed managedRooms, rooms, routes; join #lab:${S}`,
      `update    agent  calc (quorum_calc): changed rooms; join #lab:${S}`,
      'restart   agent  scribe (quorum_scribe): changed instructions',
      'unchanged team   crew (quorum_crew)',
      `create    room   #lab:${S}`,
    ]);
  });
});

describe('diffFields', () => {
  it('descends one level into objects and ignores the fingerprint', () => {
    expect(
      diffFields(
        { a: 1, b: { x: 1, y: { deep: 1 } }, c: [1], fingerprint: 'x' },
        { a: 1, b: { x: 2, y: { deep: 2 } }, c: [2], fingerprint: 'y' },
      ),
    ).toEqual(['b.x', 'b.y', 'c']);
  });
});
