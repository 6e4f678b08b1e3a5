import type { TeamMode } from '../teams/index.js';

/**
 * The responder key of an ad-hoc team's turn (several agents mentioned together, or a thread
 * they keep working in as a team): `adhoc:<mode>:<poster>:<member>+<member>`. The poster is
 * the entity whose account writes the team's synthesis. Not a valid entity name, so it never
 * collides with one.
 */
export function adHocTeamKey(mode: TeamMode, poster: string, members: readonly string[]): string {
  return `adhoc:${mode}:${poster}:${members.join('+')}`;
}

export interface AdHocTeam {
  readonly mode: TeamMode;
  readonly poster: string;
  readonly members: readonly string[];
}

/** The ad-hoc team a responder key names, or undefined for any other responder. */
export function parseAdHocTeamKey(key: string): AdHocTeam | undefined {
  const match = /^adhoc:(coordinate|collaborate):([^:]+):(.+)$/.exec(key);
  if (match === null) return undefined;
  const [, mode, poster = '', members = ''] = match;
  return {
    mode: mode === 'coordinate' ? 'coordinate' : 'collaborate',
    poster,
    members: members.split('+'),
  };
}
