import type { AgentSpec, TeamSpec } from '../config/index.js';
import type { RouteCandidate } from './router-model.js';

const DESCRIPTION_CHARS = 300;

/**
 * How the router model sees an agent or team: an agent's tools and the start of its
 * instructions; a team's members and mode. Pure.
 */
export function routeCandidateFromSpec(spec: AgentSpec | TeamSpec): RouteCandidate {
  if (spec.kind === 'team') {
    return {
      name: spec.name,
      displayName: spec.displayName,
      kind: 'team',
      role: spec.role,
      tools: spec.members,
      description: `A team (${spec.mode} mode) of ${spec.members.join(', ')}.`,
    };
  }
  const instructions = spec.instructions.join(' ').trim();
  return {
    name: spec.name,
    displayName: spec.displayName,
    kind: 'agent',
    role: spec.role,
    tools: spec.tools.map((tool) => tool.name),
    ...(instructions.length > 0
      ? {
          description:
            instructions.length > DESCRIPTION_CHARS
              ? `${instructions.slice(0, DESCRIPTION_CHARS)}…`
              : instructions,
        }
      : {}),
  };
}
