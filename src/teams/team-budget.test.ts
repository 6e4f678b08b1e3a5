import { describe, expect, it } from 'vitest';
import { BudgetMeter, budgetNote, withBudgetNote } from './team-budget.js';

describe('BudgetMeter', () => {
  it('blocks on tokens before turns and remembers the first limit hit', () => {
    const meter = new BudgetMeter({ maxTurns: 2, maxTokens: 100 });
    expect(meter.blockingLimit).toBeUndefined();
    meter.addTurn();
    meter.addTurn();
    expect(meter.remainingTurns).toBe(0);
    expect(meter.blockingLimit).toBe('turns');
    meter.addTokens(100);
    expect(meter.blockingLimit).toBe('tokens');
    meter.markHit('turns');
    meter.markHit('tokens');
    expect(meter.hit).toBe('turns');
  });

  it('ignores negative and non-finite token counts', () => {
    const meter = new BudgetMeter({ maxTurns: 1, maxTokens: 10 });
    meter.addTokens(-5);
    meter.addTokens(Number.NaN);
    expect(meter.tokens).toBe(0);
  });

  it('adds the note only once a limit was hit', () => {
    const meter = new BudgetMeter({ maxTurns: 1, maxTokens: 10 });
    expect(withBudgetNote('answer', meter)).toBe('answer');
    meter.addTokens(12);
    meter.markHit('tokens');
    expect(withBudgetNote('answer\n', meter)).toBe(
      'answer\n\n_⚠️ Team budget reached: 12 of 10 tokens used. This answer is based on the work done so far._',
    );
    expect(withBudgetNote('', meter)).toBe(meter.note());
  });

  it('words the turn limit in member turns', () => {
    expect(
      budgetNote('turns', { turns: 8, tokens: 0, budget: { maxTurns: 8, maxTokens: 1 } }),
    ).toBe(
      '_⚠️ Team budget reached: 8 of 8 member turns used. This answer is based on the work done so far._',
    );
  });
});
