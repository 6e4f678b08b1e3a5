import { describe, expect, it } from 'vitest';
import { canonicalCommandName } from './scheduling.js';

describe('canonicalCommandName', () => {
  it("maps MindRoom's spellings of the schedule commands and leaves other names alone", () => {
    expect(canonicalCommandName('listschedules')).toBe('list_schedules');
    expect(canonicalCommandName('inspect-schedule')).toBe('list_schedules');
    expect(canonicalCommandName('cancel-schedule')).toBe('cancel_schedule');
    expect(canonicalCommandName('editschedule')).toBe('edit_schedule');
    expect(canonicalCommandName('schedule')).toBe('schedule');
    expect(canonicalCommandName('help')).toBe('help');
  });

  it('never resolves a name through the object prototype', () => {
    for (const name of ['constructor', 'tostring', 'hasownproperty', '__proto__', 'valueof']) {
      expect(canonicalCommandName(name)).toBe(name);
    }
  });
});
