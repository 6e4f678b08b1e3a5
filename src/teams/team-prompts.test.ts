import { describe, expect, it } from 'vitest';
import { contributionAttribution, delegatedTaskPrompt } from './team-prompts.js';

describe('team prompts', () => {
  it('gives a delegated member its task and the request it belongs to', () => {
    expect(
      delegatedTaskPrompt({
        teamName: 'Dev Team',
        request: 'Alice: build it',
        task: 'write tests',
      }),
    ).toBe(
      'Dev Team asks you to do this sub-task:\nwrite tests\n\nIt is part of this request:\nAlice: build it\n\nAnswer the sub-task only; the team will combine the results.',
    );
  });

  it('attributes a contribution to its team on one short line', () => {
    expect(contributionAttribution('Dev Team')).toBe('_For Dev Team_');
    expect(contributionAttribution('Dev Team', 'check\nthe   tests')).toBe(
      '_For Dev Team: check the tests_',
    );
    expect(contributionAttribution('T', 'x'.repeat(200))).toBe(`_For T: ${'x'.repeat(120)}…_`);
  });
});
