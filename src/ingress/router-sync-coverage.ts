import type { SyncCoverage } from './sync-loop.js';
import { asRoomId, type SupervisedStatus } from '../shared/index.js';

/** A bot whose sync can be told to re-read its coverage. */
export interface RefreshableSync {
  readonly name: string;
  refreshSync(): void;
}

export interface RouterSyncCoverageDeps {
  readonly routerName: string;
  /** The router's supervised status, `undefined` while it has no bot. */
  readonly routerStatus: () => Pick<SupervisedStatus, 'state' | 'lastSyncAt'> | undefined;
  readonly now: () => number;
  /**
   * The longest the router may go without a sync response and still cover the others (its
   * poll timeout plus a margin): a silently hung long-poll ends the coverage long before the
   * watchdog restarts the router.
   */
  readonly routerSilenceLimitMs: number;
  /** The rooms an entity is joined to (DMs included). */
  readonly roomsOf: (entity: string) => readonly string[];
  /** Every running bot (the router among them). */
  readonly bots: () => Iterable<RefreshableSync>;
}

const NOTHING_COVERED: SyncCoverage = { excludeRooms: [], isFullyCovered: false };

/**
 * Every event in a room the router is in reaches the process through the router's sync, and
 * the dispatcher decides for all bots at once. So the other bots leave the router's rooms out
 * of their own syncs, and a bot whose every room is the router's stops long-polling (see
 * `SyncCoverage`): the homeserver then computes one sync per event for the fleet instead of
 * one per bot in the room, which is most of the reply latency a busy room adds.
 *
 * Coverage holds only while the router is syncing and its responses keep coming. Whenever a bot's coverage changes (the
 * router goes into backoff or stops, leaves a room, the bot joins a room the router is not
 * in, such as a DM), the bot's pending request is replaced at once. Events are never lost:
 * every loop resumes from its own token.
 */
export class RouterSyncCoverage {
  /** The coverage each bot's current request was made with. */
  private readonly inUse = new Map<string, SyncCoverage>();

  constructor(private readonly deps: RouterSyncCoverageDeps) {}

  /** The coverage of `entity`'s next request (its sync loop calls this before each one). */
  coverageFor(entity: string): SyncCoverage {
    const coverage = this.compute(entity);
    this.inUse.set(entity, coverage);
    return coverage;
  }

  /** How `entity`'s latest request went out; `null` before its first. */
  syncModeOf(entity: string): 'long_poll' | 'standby' | null {
    const used = this.inUse.get(entity);
    if (used === undefined) return null;
    return used.isFullyCovered ? 'standby' : 'long_poll';
  }

  /**
   * Call after the router's state or any membership changed: every bot whose coverage now
   * differs from the one its pending request uses is refreshed.
   */
  update(): void {
    for (const bot of this.deps.bots()) {
      const used = this.inUse.get(bot.name);
      if (used !== undefined && keyOf(used) !== keyOf(this.compute(bot.name))) bot.refreshSync();
    }
  }

  private isRouterDelivering(): boolean {
    const status = this.deps.routerStatus();
    if (status?.state !== 'syncing' || status.lastSyncAt === undefined) return false;
    return this.deps.now() - status.lastSyncAt <= this.deps.routerSilenceLimitMs;
  }

  private compute(entity: string): SyncCoverage {
    if (entity === this.deps.routerName || !this.isRouterDelivering()) {
      return NOTHING_COVERED;
    }
    const routerRooms = this.deps.roomsOf(this.deps.routerName);
    const covered = new Set(routerRooms);
    return {
      excludeRooms: routerRooms.map((roomId) => asRoomId(roomId)),
      isFullyCovered: this.deps.roomsOf(entity).every((roomId) => covered.has(roomId)),
    };
  }
}

function keyOf(coverage: SyncCoverage): string {
  return `${coverage.isFullyCovered ? 'standby' : 'poll'}:${[...coverage.excludeRooms].sort().join(',')}`;
}
