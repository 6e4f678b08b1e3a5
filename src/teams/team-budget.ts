/**
 * The cap on one team run (the work on one human message): member turns and output tokens.
 * Defaults come from the config (`teams.<name>.max_turns` / `max_tokens`).
 */

/** Limits of one team run. Both are positive. */
export interface TeamBudget {
  /** Most member turns (collaborate: members that run; coordinate: delegations). */
  readonly maxTurns: number;
  /** Most output tokens, members and the team's own model together. */
  readonly maxTokens: number;
}

/** Which limit a run reached. */
export type BudgetLimit = 'turns' | 'tokens';

/** Counts a run's spending against its budget and remembers the first limit reached. */
export class BudgetMeter {
  private turnCount = 0;
  private tokenCount = 0;
  private firstHit: BudgetLimit | undefined;

  constructor(readonly budget: TeamBudget) {}

  get turns(): number {
    return this.turnCount;
  }

  get tokens(): number {
    return this.tokenCount;
  }

  /** Member turns still allowed (never negative). */
  get remainingTurns(): number {
    return Math.max(0, this.budget.maxTurns - this.turnCount);
  }

  /** The limit that blocks further member turns now, if any (tokens first). */
  get blockingLimit(): BudgetLimit | undefined {
    if (this.tokenCount >= this.budget.maxTokens) return 'tokens';
    if (this.turnCount >= this.budget.maxTurns) return 'turns';
    return undefined;
  }

  /** The first limit that refused work, once one did. */
  get hit(): BudgetLimit | undefined {
    return this.firstHit;
  }

  addTurn(): void {
    this.turnCount += 1;
  }

  addTokens(count: number): void {
    if (Number.isFinite(count) && count > 0) this.tokenCount += count;
  }

  /** Records that `limit` refused work (the first one recorded is kept). */
  markHit(limit: BudgetLimit): void {
    this.firstHit ??= limit;
  }

  /** The note to show in the thread once a limit was hit; undefined otherwise. */
  note(): string | undefined {
    return this.firstHit === undefined ? undefined : budgetNote(this.firstHit, this);
  }
}

/**
 * The visible note for a reached limit, e.g. "⚠️ Team budget reached: 8 of 8 member turns
 * used. This answer is based on the work done so far."
 */
export function budgetNote(
  limit: BudgetLimit,
  usage: { readonly turns: number; readonly tokens: number; readonly budget: TeamBudget },
): string {
  const spent =
    limit === 'turns'
      ? `${usage.turns} of ${usage.budget.maxTurns} member turns used`
      : `${usage.tokens} of ${usage.budget.maxTokens} tokens used`;
  return `_⚠️ Team budget reached: ${spent}. This answer is based on the work done so far._`;
}

/** `text` with the meter's note (if any) appended as its own paragraph. */
export function withBudgetNote(text: string, meter: BudgetMeter): string {
  const note = meter.note();
  if (note === undefined) return text;
  return text.trim().length > 0 ? `${text.trimEnd()}\n\n${note}` : note;
}
