/**
 * Who answers a message when several agents are involved: the pure rule the dispatcher
 * applies before thread continuity and the router. Mentioning several agents forms an
 * ad-hoc team for the thread; a thread in which two or more agents were mentioned or
 * answered keeps working as that team; so does a DM with several agents.
 */
import type { TeamMode } from '../agents/index.js';

/** How a team works on a request (defined with the turn's responder). */
export type { TeamMode };

/** Input of {@link formTeam}: entity names only, in the order they appear. */
export interface TeamFormationInput {
  /** Agents and configured teams the message mentions (config order). */
  readonly mentioned: readonly string[];
  /** Agents and configured teams mentioned or answering earlier in the thread, oldest first. */
  readonly threadParticipants: readonly string[];
  /** Agents and teams of the DM the message is in; empty outside a DM. */
  readonly directEntities: readonly string[];
  /** Configured teams: name → member agent names. */
  readonly teams: ReadonlyMap<string, readonly string[]>;
  /**
   * Agents that handed the thread over to another agent; they no longer count as thread
   * participants (unless mentioned again).
   */
  readonly handedOff?: ReadonlySet<string>;
  /** Mode of ad-hoc teams; default `collaborate`. */
  readonly adHocMode?: TeamMode;
}

/** Who answers: one entity (an agent or a configured team), an ad-hoc team, or undecided. */
export type TeamFormation =
  | { readonly kind: 'single'; readonly responder: string }
  | { readonly kind: 'team'; readonly members: readonly string[]; readonly mode: TeamMode }
  | { readonly kind: 'none' };

/**
 * Applies, in order: the message's mentions; else the DM's entities; else the thread's
 * participants (minus those that handed off); else `none` (the dispatcher goes on to the
 * router). Within the chosen group, an agent that belongs to a configured team in the same
 * group is represented by that team; one entity left answers alone (`single`); two or more
 * form an ad-hoc team of agents, a configured team among them contributing its members.
 * Pure.
 */
export function formTeam(input: TeamFormationInput): TeamFormation {
  const mode = input.adHocMode ?? 'collaborate';
  if (input.mentioned.length > 0) return fromGroup(input.mentioned, input.teams, mode);
  if (input.directEntities.length > 0) return fromGroup(input.directEntities, input.teams, mode);
  const handedOff = input.handedOff ?? new Set<string>();
  const participants = input.threadParticipants.filter((name) => !handedOff.has(name));
  return fromGroup(participants, input.teams, mode);
}

function fromGroup(
  names: readonly string[],
  teams: ReadonlyMap<string, readonly string[]>,
  mode: TeamMode,
): TeamFormation {
  const group = unique(names);
  const teamsInGroup = group.filter((name) => teams.has(name));
  const representedByTeam = new Set(teamsInGroup.flatMap((team) => teams.get(team) ?? []));
  const entities = group.filter((name) => teams.has(name) || !representedByTeam.has(name));
  const [only] = entities;
  if (only === undefined) return { kind: 'none' };
  if (entities.length === 1) return { kind: 'single', responder: only };
  const members = unique(entities.flatMap((name) => teams.get(name) ?? [name]));
  const [onlyMember] = members;
  if (members.length === 1 && onlyMember !== undefined) {
    return { kind: 'single', responder: onlyMember };
  }
  return { kind: 'team', members, mode };
}

function unique(names: readonly string[]): string[] {
  return [...new Set(names)];
}
