import type {
  AgentSkill,
  AgentToolSettings,
  EntityModels,
  FleetDirectory,
  RoomDirectory,
} from '../agents/index.js';
import type { CommandEntityInfo } from '../commands/index.js';
import {
  findMentionedEntities,
  routeCandidateFromSpec,
  type RouteCandidate,
} from '../routing/index.js';
import { localpartOf } from '../shared/index.js';
import type { DetachedEntity, TeamDirectory, TeamInfo } from '../teams/index.js';
import type { TeamMember } from '../teams/index.js';
import type { Fleet } from './fleet.js';
import type { RoomRegistry } from './room-registry.js';

/** Everything the stages look up about the running fleet, over the current `Fleet`. */
export interface FleetLookups extends FleetDirectory, TeamDirectory, RoomDirectory {
  settingsOf(name: string): AgentToolSettings | undefined;
  modelsOf(name: string): EntityModels | undefined;
  candidateOf(name: string): RouteCandidate | undefined;
  routerModel(): string | undefined;
  entitiesFor(roomId: string): CommandEntityInfo[];
  /** The agents and teams that can answer outside Matrix, in config order. */
  detachedEntities(): DetachedEntity[];
}

/**
 * The fleet as the turn runner, the team runner, the tooling, routing and commands see it,
 * read from the current fleet on every call (so a reload takes effect at once).
 */
export function createFleetLookups(
  fleet: () => Fleet,
  registry: RoomRegistry,
  skillsFor: (names: readonly string[], agent: string) => readonly AgentSkill[],
): FleetLookups {
  const nameOf = (userId: string): string => {
    const current = fleet();
    const entity = current.entityOf(userId);
    if (entity !== undefined) return current.spec(entity)?.displayName ?? entity;
    return localpartOf(userId);
  };
  return {
    profile: (name) =>
      fleet().profile(name, (names, agent) => (names.length === 0 ? [] : skillsFor(names, agent))),
    peersIn: (roomId, except) => fleet().peersIn(roomId, except, registry),
    isTeam: (name) => fleet().spec(name)?.kind === 'team',
    hasEntity: (name) => fleet().spec(name) !== undefined,
    nameOf,
    userIdOf: (name) => {
      const spec = fleet().spec(name);
      return spec === undefined ? name : fleet().userIdOf(spec);
    },
    mentionsIn: (text, except) => mentionsIn(fleet(), text, except),
    threadModeOf: (name) => {
      const spec = fleet().spec(name);
      return spec === undefined || spec.kind === 'router' ? 'thread' : spec.threadMode;
    },
    team: (name) => teamInfo(fleet(), name),
    member: (name) => memberOf(fleet(), name),
    roomsOf: (entity) => registry.roomsOf(entity),
    aliasOf: (roomId) => registry.aliasOf(roomId),
    settingsOf: (name) => {
      const spec = fleet().spec(name);
      return spec?.kind === 'agent'
        ? {
            tools: spec.tools,
            timezone: spec.timezone,
            toolApproval: spec.toolApproval,
          }
        : undefined;
    },
    modelsOf: (name) => {
      const spec = fleet().spec(name);
      if (spec === undefined) return undefined;
      const roomModels = Object.fromEntries(
        Object.entries(spec.roomModels).map(([room, model]) => [room, model.name]),
      );
      return { model: spec.model.name, roomModels };
    },
    candidateOf: (name) => {
      const spec = fleet().spec(name);
      return spec === undefined || spec.kind === 'router'
        ? undefined
        : routeCandidateFromSpec(spec);
    },
    routerModel: () => fleet().router()?.model.name,
    entitiesFor: (roomId) => entitiesFor(fleet(), registry, roomId),
    detachedEntities: () =>
      fleet().specs.flatMap((spec) =>
        spec.kind === 'router'
          ? []
          : [{ name: spec.name, displayName: spec.displayName, role: spec.role, kind: spec.kind }],
      ),
  };
}

/** The agents and teams an entity's text mentions, through the dispatcher's own parser. */
function mentionsIn(fleet: Fleet, text: string, except: string): string[] {
  if (!text.includes('@')) return [];
  const targets = fleet.specs
    .filter((spec) => spec.kind !== 'router' && spec.name !== except)
    .map((spec) => ({
      name: spec.name,
      userId: fleet.userIdOf(spec),
      displayName: spec.displayName,
    }));
  const names = new Set(findMentionedEntities({ body: text, mentionedUserIds: [] }, targets));
  return targets.filter((target) => names.has(target.name)).map((target) => target.userId);
}

function teamInfo(fleet: Fleet, name: string): TeamInfo | undefined {
  const spec = fleet.spec(name);
  if (spec?.kind !== 'team') return undefined;
  return {
    displayName: spec.displayName,
    members: spec.members,
    mode: spec.mode,
    maxTurns: spec.maxTurns,
    maxTokens: spec.maxTokens,
  };
}

function memberOf(fleet: Fleet, name: string): TeamMember | undefined {
  const spec = fleet.spec(name);
  return spec === undefined || spec.kind === 'router'
    ? undefined
    : { name, displayName: spec.displayName, role: spec.role };
}

function entitiesFor(fleet: Fleet, registry: RoomRegistry, roomId: string): CommandEntityInfo[] {
  const joined = registry.joinedEntities(roomId);
  return fleet.specs.flatMap((spec) =>
    spec.kind === 'router'
      ? []
      : [
          {
            name: spec.name,
            kind: spec.kind,
            displayName: spec.displayName,
            role: spec.role,
            model: spec.model.name,
            isInRoom: joined.has(spec.name),
          },
        ],
  );
}
