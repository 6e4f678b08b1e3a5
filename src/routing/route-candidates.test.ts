import { describe, expect, it } from 'vitest';
import { parseConfig, resolveEntitySpecs, type AgentSpec, type TeamSpec } from '../config/index.js';
import { routeCandidateFromSpec } from './route-candidates.js';

const CONFIG = `models:
  default: {provider: openai, id: gpt-a}
agents:
  calc:
    display_name: Calculator
    role: Does arithmetic
    instructions: [Show your working., Use the calculator tool.]
    tools: [calculator]
    rooms: [lobby]
  scribe: {display_name: Scribe, role: Writes, rooms: [lobby]}
teams:
  desk: {display_name: Desk, role: Answers everything, agents: [calc, scribe], mode: collaborate, rooms: [lobby]}
`;

function specs(): { calc: AgentSpec; desk: TeamSpec } {
  const parsed = parseConfig(CONFIG, { env: {} });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  const all = resolveEntitySpecs(parsed.config, { serverName: 'hs' });
  const calc = all.find((spec) => spec.name === 'calc');
  const desk = all.find((spec) => spec.name === 'desk');
  if (calc?.kind !== 'agent' || desk?.kind !== 'team') throw new Error('missing specs');
  return { calc, desk };
}

describe('routeCandidateFromSpec', () => {
  it('describes an agent by its role, tools and instructions', () => {
    const candidate = routeCandidateFromSpec(specs().calc);
    expect(candidate).toMatchObject({
      name: 'calc',
      displayName: 'Calculator',
      kind: 'agent',
      role: 'Does arithmetic',
      description: 'Show your working. Use the calculator tool.',
    });
    expect(candidate.tools).toContain('calculator');
  });

  it('describes a team by its members and mode', () => {
    expect(routeCandidateFromSpec(specs().desk)).toEqual({
      name: 'desk',
      displayName: 'Desk',
      kind: 'team',
      role: 'Answers everything',
      tools: ['calc', 'scribe'],
      description: 'A team (collaborate mode) of calc, scribe.',
    });
  });
});
