import { AccountStore } from './account-store.js';
import { openDatabase } from './database.js';
import { DirectRoomStore } from './direct-rooms.js';
import { IngressJournal } from './ingress-journal.js';
import { MemoryStore } from './memory-store.js';
import { InteractionStore } from './interaction-store.js';
import { ResponseTracker } from './response-tracker.js';
import { ScheduleStore } from './schedule-store.js';
import { TeamStateStore } from './team-state-store.js';
import { ThreadSettingsStore } from './thread-settings.js';
import { UsageStore } from './usage-store.js';

/**
 * All of Quorum's repositories over one SQLite database. The caller owns it and must
 * `close()` it (after every writer has stopped).
 */
export class QuorumStore {
  readonly accounts: AccountStore;
  readonly journal: IngressJournal;
  readonly turns: ResponseTracker;
  readonly directRooms: DirectRoomStore;
  readonly usage: UsageStore;
  readonly threadSettings: ThreadSettingsStore;
  readonly teamState: TeamStateStore;
  readonly interactions: InteractionStore;
  readonly schedules: ScheduleStore;
  /** Agents' memories (durable connection: a person's fact must survive a power cut). */
  readonly memories: MemoryStore;
  private isClosed = false;
  private readonly db;
  /** A second connection without fsync per commit, for records that may be lost on power failure. */
  private readonly relaxedDb;

  /** Opens `path` (`:memory:` for tests); `now` is the clock used for timestamps. */
  constructor(path: string, now: () => number = Date.now) {
    this.db = openDatabase({ path });
    this.relaxedDb = path === ':memory:' ? this.db : openDatabase({ path, synchronous: 'NORMAL' });
    this.accounts = new AccountStore(this.db, now);
    this.journal = new IngressJournal(this.db, now, this.relaxedDb);
    this.turns = new ResponseTracker(this.db, now, this.relaxedDb);
    this.directRooms = new DirectRoomStore(this.db, now);
    this.usage = new UsageStore(this.relaxedDb, now);
    this.threadSettings = new ThreadSettingsStore(this.relaxedDb, now);
    this.teamState = new TeamStateStore(this.relaxedDb, now);
    this.interactions = new InteractionStore(this.db, now);
    this.schedules = new ScheduleStore(this.db, now);
    this.memories = new MemoryStore(this.db, now);
  }

  /** Closes the database. Idempotent. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    if (this.relaxedDb !== this.db) this.relaxedDb.close();
    this.db.close();
  }
}
