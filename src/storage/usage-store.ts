import type { Db } from './database.js';

export interface UsageRecord {
  readonly responder: string;
  readonly roomId: string;
  readonly userId: string;
  readonly model: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** The thread the call served (for `quorum.thread_token_budget`); absent outside threads. */
  readonly threadRoot?: string | undefined;
}

export interface UsageTotals {
  readonly key: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly calls: number;
}

/** Token usage per model call, summarised per agent, room or user. */
export class UsageStore {
  constructor(
    private readonly db: Db,
    private readonly now: () => number,
  ) {}

  record(usage: UsageRecord): void {
    this.db
      .prepare(
        `INSERT INTO usage (at, responder, room_id, user_id, model, input_tokens, output_tokens, thread_root)
         VALUES (@now, @responder, @roomId, @userId, @model, @inputTokens, @outputTokens, @threadRoot)`,
      )
      .run({
        responder: usage.responder,
        roomId: usage.roomId,
        userId: usage.userId,
        model: usage.model,
        inputTokens: usage.inputTokens,
        outputTokens: usage.outputTokens,
        threadRoot: usage.threadRoot ?? null,
        now: this.now(),
      });
  }

  /** Tokens (input + output) all calls recorded for this thread spent: the budget's input. */
  threadTokens(roomId: string, threadRoot: string): number {
    const row = this.db
      .prepare<[string, string], { total: number | null }>(
        'SELECT SUM(input_tokens + output_tokens) AS total FROM usage WHERE room_id = ? AND thread_root = ?',
      )
      .get(roomId, threadRoot);
    return row?.total ?? 0;
  }

  /** Totals grouped by `by`, for calls at or after `sinceMs`, largest first. */
  totals(by: 'responder' | 'room_id' | 'user_id' | 'model', sinceMs = 0): UsageTotals[] {
    return this.db
      .prepare<[number], { key: string; input: number; output: number; calls: number }>(
        `SELECT ${by} AS key, SUM(input_tokens) AS input, SUM(output_tokens) AS output, COUNT(*) AS calls
         FROM usage WHERE at >= ? GROUP BY ${by} ORDER BY SUM(input_tokens + output_tokens) DESC`,
      )
      .all(sinceMs)
      .map((row) => ({
        key: row.key,
        inputTokens: row.input,
        outputTokens: row.output,
        calls: row.calls,
      }));
  }
}
