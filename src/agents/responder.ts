/** How a team's members work together: one delegates, or all answer and one synthesises. */
export type TeamMode = 'coordinate' | 'collaborate';

/**
 * Who answers a turn: one entity (an agent, a configured team or the router), or an ad-hoc
 * team of agents that were mentioned together (or share a thread). A turn record stores it
 * as a string key (`responderKey`); code works with this typed value.
 */
export type Responder =
  | { readonly kind: 'entity'; readonly name: string }
  | {
      readonly kind: 'adhoc-team';
      readonly mode: TeamMode;
      /** The entity whose account writes the team's synthesis (the router, or a member in a DM). */
      readonly poster: string;
      readonly members: readonly string[];
    };

const AD_HOC_KEY = /^adhoc:(coordinate|collaborate):([^:]+):(.+)$/;

/**
 * The stored key of a responder: the entity name, or `adhoc:<mode>:<poster>:<a>+<b>` for an
 * ad-hoc team. An ad-hoc key is not a valid entity name, so the two never collide.
 */
export function responderKey(responder: Responder): string {
  return responder.kind === 'entity'
    ? responder.name
    : `adhoc:${responder.mode}:${responder.poster}:${responder.members.join('+')}`;
}

/** The responder a stored key names (any key that is not an ad-hoc team's is an entity). */
export function parseResponder(key: string): Responder {
  const match = AD_HOC_KEY.exec(key);
  if (match === null) return { kind: 'entity', name: key };
  const [, mode, poster = '', members = ''] = match;
  return {
    kind: 'adhoc-team',
    mode: mode === 'coordinate' ? 'coordinate' : 'collaborate',
    poster,
    members: members.split('+'),
  };
}

/** The entity whose account posts the responder's reply. */
export function postingEntity(responder: Responder): string {
  return responder.kind === 'entity' ? responder.name : responder.poster;
}

/** The agents a responder stands for: its members for an ad-hoc team, else itself. */
export function responderMembers(responder: Responder): readonly string[] {
  return responder.kind === 'entity' ? [responder.name] : responder.members;
}

/** An ad-hoc team of `members`, whose synthesis `poster` writes. */
export function adHocResponder(
  mode: TeamMode,
  poster: string,
  members: readonly string[],
): Responder {
  return { kind: 'adhoc-team', mode, poster, members };
}
