import { describe, expect, it } from 'vitest';
import { formTeam, type TeamFormationInput } from './team-formation.js';

const teams = new Map([['devteam', ['coder', 'reviewer']]]);
function form(overrides: Partial<TeamFormationInput>) {
  return formTeam({
    mentioned: [],
    threadParticipants: [],
    directEntities: [],
    teams,
    ...overrides,
  });
}

describe('formTeam', () => {
  it('lets a single mentioned agent answer alone', () => {
    expect(form({ mentioned: ['calc'], threadParticipants: ['a', 'b'] })).toEqual({
      kind: 'single',
      responder: 'calc',
    });
  });

  it('forms an ad-hoc collaborate team from several mentioned agents', () => {
    expect(form({ mentioned: ['calc', 'scribe'] })).toEqual({
      kind: 'team',
      members: ['calc', 'scribe'],
      mode: 'collaborate',
    });
  });

  it('uses the configured ad-hoc mode', () => {
    expect(form({ mentioned: ['calc', 'scribe'], adHocMode: 'coordinate' })).toMatchObject({
      mode: 'coordinate',
    });
  });

  it('keeps a thread in which two agents answered working as that team', () => {
    expect(form({ threadParticipants: ['calc', 'scribe', 'calc'] })).toEqual({
      kind: 'team',
      members: ['calc', 'scribe'],
      mode: 'collaborate',
    });
  });

  it('lets the only thread participant continue alone', () => {
    expect(form({ threadParticipants: ['calc'] })).toEqual({ kind: 'single', responder: 'calc' });
  });

  it('makes a DM with several agents a team, and one with one agent a single responder', () => {
    expect(form({ directEntities: ['calc', 'scribe'] })).toMatchObject({ kind: 'team' });
    expect(form({ directEntities: ['calc'], threadParticipants: ['x', 'y'] })).toEqual({
      kind: 'single',
      responder: 'calc',
    });
  });

  it('lets a configured team speak for its members in a thread', () => {
    expect(form({ threadParticipants: ['devteam', 'coder', 'reviewer'] })).toEqual({
      kind: 'single',
      responder: 'devteam',
    });
  });

  it('expands a configured team into its members when it is mentioned with another agent', () => {
    expect(form({ mentioned: ['devteam', 'scribe'] })).toEqual({
      kind: 'team',
      members: ['coder', 'reviewer', 'scribe'],
      mode: 'collaborate',
    });
  });

  it('drops agents that handed the thread over', () => {
    expect(form({ threadParticipants: ['calc', 'scribe'], handedOff: new Set(['calc']) })).toEqual({
      kind: 'single',
      responder: 'scribe',
    });
  });

  it('leaves the decision to the router when nobody is involved yet', () => {
    expect(form({})).toEqual({ kind: 'none' });
  });
});
