import type { Db } from './database.js';

/** Small per-thread settings (such as the model chosen with `!model`). */
export class ThreadSettingsStore {
  constructor(
    private readonly db: Db,
    private readonly now: () => number,
  ) {}

  get(roomId: string, threadRoot: string, key: string): string | undefined {
    return this.db
      .prepare<[string, string, string], { value: string }>(
        'SELECT value FROM thread_settings WHERE room_id = ? AND thread_root = ? AND key = ?',
      )
      .get(roomId, threadRoot, key)?.value;
  }

  set(roomId: string, threadRoot: string, key: string, value: string): void {
    this.db
      .prepare(
        `INSERT INTO thread_settings (room_id, thread_root, key, value, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(room_id, thread_root, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      )
      .run(roomId, threadRoot, key, value, this.now());
  }

  delete(roomId: string, threadRoot: string, key: string): void {
    this.db
      .prepare('DELETE FROM thread_settings WHERE room_id = ? AND thread_root = ? AND key = ?')
      .run(roomId, threadRoot, key);
  }
}
