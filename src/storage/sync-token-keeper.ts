/**
 * Each bot's sync token: written with the batch that brought new events, and otherwise held
 * in memory and written at most every TOKEN_SAVE_INTERVAL_MS (or on flush).
 */
import type { Db } from './database.js';

/** A sync token of a batch with nothing new is written at least this often. */
const TOKEN_SAVE_INTERVAL_MS = 30_000;

/** The `sync_tokens` table plus the tokens not yet written. */
export class SyncTokenKeeper {
  /** Tokens of batches with nothing new, not yet written (see `keep`). */
  private readonly pendingTokens = new Map<string, string>();
  private readonly tokenSavedAt = new Map<string, number>();
  private readonly saveToken;

  constructor(
    private readonly db: Db,
    private readonly now: () => number,
  ) {
    this.saveToken = db.prepare(
      `INSERT INTO sync_tokens (bot, next_batch, updated_at) VALUES (?, ?, ?)
       ON CONFLICT(bot) DO UPDATE SET next_batch = excluded.next_batch, updated_at = excluded.updated_at`,
    );
  }

  /**
   * A batch that brought nothing new (every event was admitted by another bot) needs no
   * durable write: its token is kept in memory and saved with the next new event, at least
   * every TOKEN_SAVE_INTERVAL_MS, or on flush. Replaying it after a crash only re-delivers
   * events the journal already holds. This spares one fsync per bot per event in rooms with
   * several bots. Call within the transaction that admits the batch.
   */
  keep(bot: string, nextBatch: string, now: number, hasNewEvents: boolean): void {
    const lastSaved = this.tokenSavedAt.get(bot) ?? 0;
    if (hasNewEvents || now - lastSaved >= TOKEN_SAVE_INTERVAL_MS) {
      this.saveToken.run(bot, nextBatch, now);
      this.tokenSavedAt.set(bot, now);
      this.pendingTokens.delete(bot);
    } else {
      this.pendingTokens.set(bot, nextBatch);
    }
  }

  /** Writes `bot`'s in-memory token, if any. */
  flush(bot: string): void {
    const pending = this.pendingTokens.get(bot);
    if (pending === undefined) return;
    const now = this.now();
    this.saveToken.run(bot, pending, now);
    this.tokenSavedAt.set(bot, now);
    this.pendingTokens.delete(bot);
  }

  /** The token `bot`'s next sync resumes from (a pending in-memory one first). */
  token(bot: string): string | undefined {
    const pending = this.pendingTokens.get(bot);
    if (pending !== undefined) return pending;
    const row = this.db
      .prepare<[string], { next_batch: string }>('SELECT next_batch FROM sync_tokens WHERE bot = ?')
      .get(bot);
    return row?.next_batch;
  }
}
