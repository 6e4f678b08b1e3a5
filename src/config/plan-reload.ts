/**
 * Reload plans: what to do with each entity when the config changes from one snapshot to the
 * next, computed from effective entity specs alone (pure, no I/O).
 */
import type { EntityKind, EntitySpec, ManagedRoom } from './entity-spec.js';
import { canonicalJson } from './fingerprint.js';

/**
 * - `start`: a new entity: start its bot and join its rooms.
 * - `stop`: a removed entity: stop its bot and leave its rooms; the Matrix account is kept.
 * - `restart`: something the running bot was built from changed (`changedFields`).
 * - `update`: only live-applicable fields changed (rooms; for the router also its routing
 *   table, managed rooms, authorization and bot accounts): hand the running bot the new spec
 *   and apply `join`/`leave`, no restart.
 * - `unchanged`: same fingerprint.
 */
export type EntityAction = 'start' | 'stop' | 'restart' | 'update' | 'unchanged';

/** The plan for one entity. */
export interface EntityPlan {
  readonly kind: EntityKind;
  readonly name: string;
  readonly localpart: string;
  readonly action: EntityAction;
  /** Spec fields that differ (`model.temperature`, `instructions`); empty for start/stop/unchanged. */
  readonly changedFields: readonly string[];
  /** Rooms to join (each needs an invite from the router first, for invite-only rooms). */
  readonly join: readonly string[];
  /** Rooms to leave. */
  readonly leave: readonly string[];
  /** The spec to run; `undefined` for `stop`. */
  readonly spec: EntitySpec | undefined;
  /** The spec that was running; `undefined` for `start`. */
  readonly previous: EntitySpec | undefined;
}

/** Everything a reload (or the first start, from no specs) has to do. */
export interface ReloadPlan {
  /** Router first, then agents, then teams; by name within a kind. */
  readonly entities: readonly EntityPlan[];
  /** Rooms to create if they do not exist yet (new managed rooms), before anyone joins. */
  readonly createRooms: readonly ManagedRoom[];
  /** False when every entity is unchanged and no room is to be created. */
  readonly hasChanges: boolean;
}

const LIVE_FIELDS: Readonly<Record<EntityKind, ReadonlySet<string>>> = {
  router: new Set(['rooms', 'routes', 'managedRooms', 'authorization', 'botAccounts']),
  agent: new Set(['rooms']),
  team: new Set(['rooms']),
};

const KIND_ORDER: Readonly<Record<EntityKind, number>> = { router: 0, agent: 1, team: 2 };

/**
 * Compares two sets of specs (as from `resolveEntitySpecs`). An entity is identified by kind
 * and name: an agent that becomes a team of the same name is a stop plus a start (of the same
 * account). Apply stops before starts.
 */
export function planReload(
  oldSpecs: readonly EntitySpec[],
  newSpecs: readonly EntitySpec[],
): ReloadPlan {
  const keyOf = (spec: EntitySpec): string => `${spec.kind}:${spec.name}`;
  const before = new Map(oldSpecs.map((spec) => [keyOf(spec), spec]));
  const after = new Map(newSpecs.map((spec) => [keyOf(spec), spec]));
  const entities: EntityPlan[] = [];
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    const previous = before.get(key);
    const spec = after.get(key);
    if (spec !== undefined && previous !== undefined) entities.push(compare(previous, spec));
    else if (spec !== undefined) entities.push(plan(spec, 'start', [], spec.rooms, [], undefined));
    else if (previous !== undefined)
      entities.push(plan(previous, 'stop', [], [], previous.rooms, previous));
  }
  entities.sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || a.name.localeCompare(b.name));

  const oldRooms = new Set(managedRoomsOf(oldSpecs).map((room) => room.alias));
  const createRooms = managedRoomsOf(newSpecs).filter((room) => !oldRooms.has(room.alias));
  const hasChanges =
    createRooms.length > 0 || entities.some((entity) => entity.action !== 'unchanged');
  return { entities, createRooms, hasChanges };
}

function plan(
  spec: EntitySpec,
  action: EntityAction,
  changedFields: readonly string[],
  join: readonly string[],
  leave: readonly string[],
  previous: EntitySpec | undefined,
): EntityPlan {
  return {
    kind: spec.kind,
    name: spec.name,
    localpart: spec.localpart,
    action,
    changedFields,
    join,
    leave,
    spec: action === 'stop' ? undefined : spec,
    previous,
  };
}

function compare(previous: EntitySpec, spec: EntitySpec): EntityPlan {
  if (previous.fingerprint === spec.fingerprint)
    return plan(spec, 'unchanged', [], [], [], previous);
  const changedFields = diffFields(previous, spec);
  const join = spec.rooms.filter((room) => !previous.rooms.includes(room));
  const leave = previous.rooms.filter((room) => !spec.rooms.includes(room));
  const live = LIVE_FIELDS[spec.kind];
  const isLive = changedFields.every((field) => live.has(field.split('.')[0] ?? field));
  return plan(spec, isLive ? 'update' : 'restart', changedFields, join, leave, previous);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Changed fields, one level deep into objects (`model.temperature`), sorted. */
export function diffFields(previous: object, next: object, depth = 1, prefix = ''): string[] {
  const a = previous as Record<string, unknown>;
  const b = next as Record<string, unknown>;
  const fields: string[] = [];
  for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    if (key === 'fingerprint') continue;
    const left = a[key];
    const right = b[key];
    if (canonicalJson(left) === canonicalJson(right)) continue;
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (depth > 0 && isPlainObject(left) && isPlainObject(right)) {
      fields.push(...diffFields(left, right, depth - 1, path));
    } else fields.push(path);
  }
  return fields;
}

function managedRoomsOf(specs: readonly EntitySpec[]): readonly ManagedRoom[] {
  for (const spec of specs) if (spec.kind === 'router') return spec.managedRooms;
  return [];
}

/**
 * One line per entity (`restart  agent calc (quorum_calc): model.temperature`), then one per
 * room to create. Deterministic: router, agents, teams.
 */
export function formatPlan(plan: ReloadPlan): string {
  const lines = plan.entities.map((entity) => {
    const head = `${entity.action.padEnd(9)} ${entity.kind.padEnd(6)} ${entity.name} (${entity.localpart})`;
    const details: string[] = [];
    if (entity.changedFields.length > 0) details.push(`changed ${entity.changedFields.join(', ')}`);
    if (entity.join.length > 0) details.push(`join ${entity.join.join(', ')}`);
    if (entity.leave.length > 0) details.push(`leave ${entity.leave.join(', ')}`);
    return details.length === 0 ? head : `${head}: ${details.join('; ')}`;
  });
  for (const room of plan.createRooms)
    lines.push(`${'create'.padEnd(9)} ${'room'.padEnd(6)} ${room.alias}`);
  return lines.join('\n');
}
