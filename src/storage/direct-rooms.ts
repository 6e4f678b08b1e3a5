import type { Db } from './database.js';

/** Rooms an entity joined because someone invited it to a direct message. */
export class DirectRoomStore {
  constructor(
    private readonly db: Db,
    private readonly now: () => number,
  ) {}

  add(entity: string, roomId: string, inviter: string): void {
    this.db
      .prepare(
        'INSERT OR IGNORE INTO direct_rooms (entity, room_id, inviter, created_at) VALUES (?, ?, ?, ?)',
      )
      .run(entity, roomId, inviter, this.now());
  }

  /** Every direct room, as (entity, roomId) pairs. */
  all(): { entity: string; roomId: string }[] {
    return this.db
      .prepare<[], { entity: string; room_id: string }>('SELECT entity, room_id FROM direct_rooms')
      .all()
      .map((row) => ({ entity: row.entity, roomId: row.room_id }));
  }

  remove(entity: string, roomId: string): void {
    this.db
      .prepare('DELETE FROM direct_rooms WHERE entity = ? AND room_id = ?')
      .run(entity, roomId);
  }
}
