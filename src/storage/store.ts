import { AccountStore } from './account-store.js';
import { openDatabase } from './database.js';
import { DirectRoomStore } from './direct-rooms.js';
import { IngressJournal } from './ingress-journal.js';
import { InteractionStore } from './interaction-store.js';
import { ResponseTracker } from './response-tracker.js';
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
  private isClosed = false;
  private readonly db;

  /** Opens `path` (`:memory:` for tests); `now` is the clock used for timestamps. */
  constructor(path: string, now: () => number = Date.now) {
    this.db = openDatabase({ path });
    this.accounts = new AccountStore(this.db, now);
    this.journal = new IngressJournal(this.db, now);
    this.turns = new ResponseTracker(this.db, now);
    this.directRooms = new DirectRoomStore(this.db, now);
    this.usage = new UsageStore(this.db, now);
    this.threadSettings = new ThreadSettingsStore(this.db, now);
    this.teamState = new TeamStateStore(this.db, now);
    this.interactions = new InteractionStore(this.db, now);
  }

  /** Closes the database. Idempotent. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.db.close();
  }
}
