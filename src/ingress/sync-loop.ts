import type {
  RawEvent,
  RoomInvite,
  SyncBatch,
  SyncSource,
  TimelineSource,
} from '../matrix/index.js';
import type { Admission, IngressJournal, JournalEntry } from '../storage/index.js';
import {
  AbortReason,
  isAborted,
  linkSignal,
  runTask,
  type Clock,
  type LinkedSignal,
  type Logger,
  type RoomId,
} from '../shared/index.js';
import { toAdmissions, type AdmissionPolicy } from './admission.js';
import type { UndecryptableNotifier } from './undecryptable-notifier.js';

/**
 * What another bot of the process already receives for this one. Every event in an excluded
 * room reaches the dispatcher through that bot, so this one leaves those rooms out of its
 * syncs. When every room it is in is covered, it does not long-poll at all (the homeserver
 * wakes a pending long-poll for every event in any of the user's rooms, filter or not, and
 * recomputes it): it checks in every `standbyIntervalMs` for invites and new rooms instead.
 */
export interface SyncCoverage {
  readonly excludeRooms: readonly RoomId[];
  readonly isFullyCovered: boolean;
}

const NO_COVERAGE: SyncCoverage = { excludeRooms: [], isFullyCovered: false };

/** Default pause between a fully covered bot's check-ins. */
export const DEFAULT_STANDBY_INTERVAL_MS = 5_000;

/** Receives what one sync batch brought, after it was durably admitted. */
export interface IngressSink {
  /** Newly admitted events (no other bot admitted them before), oldest first. */
  onAdmitted(entries: readonly JournalEntry[], bot: string): void;
  onInvites(invites: readonly RoomInvite[], bot: string): void;
  onLeftRooms(roomIds: readonly RoomId[], bot: string): void;
}

export interface SyncLoopOptions {
  readonly bot: string;
  readonly client: SyncSource & TimelineSource;
  readonly journal: IngressJournal;
  readonly sink: IngressSink;
  readonly clock: Clock;
  readonly log: Logger;
  readonly isEntityUser: (userId: string) => boolean;
  readonly catchUpWindowMs: number;
  /** Long-poll timeout sent to the homeserver. */
  readonly pollTimeoutMs: number;
  /** Most `/messages` pages read to fill one `limited` gap. */
  readonly maxBackfillPages?: number;
  /** What another bot of the process already follows for this one; read before every request. */
  readonly coverage?: () => SyncCoverage;
  /** How often a fully covered bot checks in (invites, new rooms); default 5 s. */
  readonly standbyIntervalMs?: number;
  /** Called after every successful batch (health, watchdog). */
  readonly onBatch: (batch: SyncBatch) => void;
  /** Posts the note for messages that stayed undecryptable (see `SyncBatch.undecryptable`). */
  readonly undecryptable?: Pick<UndecryptableNotifier, 'notify'>;
}

/**
 * One bot's sync loop. It long-polls `/sync`, backfills `limited` gaps through `/messages`,
 * and admits the batch's events to the journal in the same transaction that stores the new
 * sync token; only then does it hand the new events on. It never runs handlers itself.
 * Runs until `signal` aborts (resolves) or a request fails (rejects; the supervisor restarts it).
 */
export class SyncLoop {
  /** Aborts the long-poll in flight, if any (see `refresh`). */
  private currentPoll: LinkedSignal | undefined;

  constructor(private readonly options: SyncLoopOptions) {}

  /**
   * Ends the long-poll (or standby pause) in flight so the next request goes out at once with
   * fresh coverage. Nothing is lost: an abandoned request's token is not used.
   */
  refresh(): void {
    this.currentPoll?.abort(new AbortReason('stopped', 'sync options changed'));
  }

  async run(signal: AbortSignal): Promise<void> {
    try {
      await this.loop(signal);
    } finally {
      this.options.journal.flushSyncToken(this.options.bot);
    }
  }

  private async loop(signal: AbortSignal): Promise<void> {
    const { bot, journal } = this.options;
    const isStopped = (): boolean => isAborted(signal);
    // The first sync of a run does not long-poll: it returns what is new at once, so a
    // (re)started bot is ready in one round trip instead of after a poll timeout.
    let timeoutMs = 0;
    for (;;) {
      if (isStopped()) return;
      const since = journal.syncToken(bot);
      const batch = await this.poll(since, timeoutMs, signal);
      if (batch === 'stopped') return;
      if (batch === 'refreshed') {
        // Refreshed: ask again at once with the new options.
        timeoutMs = 0;
        continue;
      }
      timeoutMs = this.options.pollTimeoutMs;
      const admissions = await this.admissionsOf(batch, since, signal);
      // Events held encrypted until their keys came replace their copy in the same transaction.
      const replacements = (batch.decryptedLate ?? []).flatMap((event) =>
        event.room_id === undefined
          ? []
          : toAdmissions(event.room_id, [event], this.admissionPolicy(), false),
      );
      // A stop requested while the long-poll was in flight still admits the batch (nothing is
      // lost), but hands nothing on.
      const admitted = journal.admit(bot, batch.nextBatch, admissions, replacements);
      this.options.onBatch(batch);
      if (isStopped()) return;
      this.handOn(batch, admitted);
    }
  }

  /** One `/sync` (after the standby pause when the router covers every room of the bot). */
  private async poll(
    since: string | undefined,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<SyncBatch | 'stopped' | 'refreshed'> {
    const poll = linkSignal(signal);
    this.currentPoll = poll;
    try {
      const coverage = this.options.coverage?.() ?? NO_COVERAGE;
      const isStandby = coverage.isFullyCovered && timeoutMs > 0;
      if (isStandby) {
        await this.options.clock.sleep(
          this.options.standbyIntervalMs ?? DEFAULT_STANDBY_INTERVAL_MS,
          poll.signal,
        );
      }
      return await this.options.client.sync({
        since,
        timeoutMs: isStandby ? 0 : timeoutMs,
        signal: poll.signal,
        excludeRooms: coverage.excludeRooms,
      });
    } catch (error: unknown) {
      if (isAborted(signal)) return 'stopped';
      if (isAborted(poll.signal)) return 'refreshed';
      throw error;
    } finally {
      this.currentPoll = undefined;
      poll.cleanup();
    }
  }

  /** The batch's timeline events to admit, with the gap of a limited timeline backfilled. */
  private async admissionsOf(
    batch: SyncBatch,
    since: string | undefined,
    signal: AbortSignal,
  ): Promise<Admission[]> {
    const isFirstSync = since === undefined;
    const admissions: Admission[] = [];
    for (const room of batch.joined) {
      let timeline: readonly RawEvent[] = room.timeline;
      if (room.limited && !isFirstSync && room.prevBatch !== undefined) {
        const gap = await this.backfill(room.roomId, room.prevBatch, since, signal);
        if (gap.length > 0)
          this.options.log.info('backfilled a limited timeline', {
            roomId: room.roomId,
            events: gap.length,
          });
        timeline = [...gap, ...timeline];
      }
      admissions.push(...toAdmissions(room.roomId, timeline, this.admissionPolicy(), isFirstSync));
    }
    return admissions;
  }

  private admissionPolicy(): AdmissionPolicy {
    return {
      isEntityUser: this.options.isEntityUser,
      nowMs: this.options.clock.now(),
      catchUpWindowMs: this.options.catchUpWindowMs,
    };
  }

  /** Hands what the batch admitted (and its invites, leaves, undecryptable events) on. */
  private handOn(batch: SyncBatch, admitted: readonly JournalEntry[]): void {
    const { bot, sink, log } = this.options;
    if (admitted.length > 0) sink.onAdmitted(admitted, bot);
    if (batch.invited.length > 0) sink.onInvites(batch.invited, bot);
    if (batch.left.length > 0) sink.onLeftRooms(batch.left, bot);
    const undecryptable = batch.undecryptable ?? [];
    if (undecryptable.length > 0 && this.options.undecryptable !== undefined) {
      runTask(this.options.undecryptable.notify(undecryptable), {
        log,
        what: 'note undecryptable messages',
      });
    }
  }

  /** Reads the gap before a limited timeline, oldest first, stopping at the previous sync token. */
  private async backfill(
    roomId: RoomId,
    from: string,
    to: string | undefined,
    signal: AbortSignal,
  ): Promise<RawEvent[]> {
    const pages: RawEvent[][] = [];
    let token: string | undefined = from;
    for (
      let page = 0;
      page < (this.options.maxBackfillPages ?? 10) && token !== undefined;
      page++
    ) {
      const result = await this.options.client.backfill(roomId, {
        from: token,
        to,
        limit: 100,
        signal,
      });
      if (result.events.length === 0) break;
      pages.push([...result.events].reverse());
      token = result.end;
    }
    return pages.reverse().flat();
  }
}
