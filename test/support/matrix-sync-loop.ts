import { setTimeout as sleep } from 'node:timers/promises';
import { EventLog } from './event-log.js';
import { describeEvent } from './matrix-events.js';
import type { MatrixEvent } from './matrix-events.js';
import { MatrixHttpError, isRecord, matrixRequest } from './matrix-http.js';

/** An invite the user received (from `rooms.invite` of /sync). */
export interface ReceivedInvite {
  readonly roomId: string;
  /** Sender of the user's `m.room.member` invite event, when the stripped state had it. */
  readonly inviter: string | undefined;
}

/** A typing notification: who is typing in a room, as of this sync. */
export interface TypingUpdate {
  readonly roomId: string;
  readonly userIds: readonly string[];
}

/** Who and where the sync loop syncs. */
export interface SyncLoopOptions {
  readonly baseUrl: string;
  readonly userId: string;
  readonly accessToken: string;
  /** Long-poll timeout of one /sync request. */
  readonly pollTimeoutMs?: number;
}

/** A /sync filter: everything in the timeline, nothing this driver ignores anyway. */
const FILTER = JSON.stringify({
  presence: { not_types: ['*'] },
  account_data: { not_types: ['*'] },
  room: {
    timeline: { limit: 250 },
    state: { lazy_load_members: true },
    account_data: { not_types: ['*'] },
  },
});

/** Answers that retrying cannot fix (400 bad filter, 401 unknown token, 403 locked account). */
const FATAL_STATUSES: readonly number[] = [400, 401, 403];

/** Pause after a failed /sync (for example while a test restarts Synapse). */
const RETRY_DELAY_MS = 250;

/**
 * A background /sync loop that records what one user sees: every timeline event of every
 * room (deduplicated by event id), invites, and typing notifications.
 *
 * Owned by a {@link MatrixTestUser}; `stop()` aborts the pending long-poll, waits for the loop
 * to end and closes the logs (pending waits reject). Failed requests are retried every
 * {@link RETRY_DELAY_MS} until stopped, so the loop rides out a Synapse restart; the last
 * failure is shown in wait timeouts. Only answers in {@link FATAL_STATUSES} end the loop
 * (and close the logs with that error).
 */
export class SyncLoop {
  /** Every timeline event seen, in the order /sync delivered them. */
  readonly timeline: EventLog<MatrixEvent>;
  /** Every invite seen. */
  readonly invites: EventLog<ReceivedInvite>;
  /** Every change of the typing set of a room. */
  readonly typing: EventLog<TypingUpdate>;

  private readonly controller = new AbortController();
  private readonly seenEventIds = new Set<string>();
  private readonly options: SyncLoopOptions;
  private lastError: string | undefined;
  private gapCount = 0;
  private running: Promise<void> | undefined;
  private fatalError: Error | undefined;

  constructor(options: SyncLoopOptions) {
    this.options = options;
    const context = (): string =>
      [
        this.gapCount > 0 ? `(${this.gapCount} limited timeline(s): events may be missing)` : '',
        this.lastError === undefined ? '' : `last /sync failure: ${this.lastError}`,
      ]
        .filter((line) => line !== '')
        .join('\n');
    this.timeline = new EventLog(describeEvent, context);
    this.invites = new EventLog((i) => `invite to ${i.roomId} from ${i.inviter ?? '?'}`, context);
    this.typing = new EventLog((t) => `typing in ${t.roomId}: [${t.userIds.join(', ')}]`, context);
  }

  /** Starts the loop; resolves once the first (initial) sync has been recorded. */
  async start(): Promise<void> {
    if (this.running !== undefined) throw new Error('the sync loop is already running');
    let onFirst: () => void = () => undefined;
    const first = new Promise<void>((resolve) => (onFirst = resolve));
    this.running = this.loop(onFirst);
    await Promise.race([first, this.running]);
    if (this.fatalError !== undefined) throw this.fatalError;
  }

  /** Stops the loop and rejects pending waits. Idempotent. */
  async stop(): Promise<void> {
    this.controller.abort(new Error('sync loop stopped'));
    await this.running;
    this.closeLogs(`the sync loop of ${this.options.userId} was stopped`);
  }

  private closeLogs(reason: string): void {
    this.timeline.close(reason);
    this.invites.close(reason);
    this.typing.close(reason);
  }

  private async loop(onFirst: () => void): Promise<void> {
    const { signal } = this.controller;
    let since: string | undefined;
    while (!signal.aborted) {
      const query = new URLSearchParams({
        filter: FILTER,
        set_presence: 'offline',
        timeout: String(since === undefined ? 0 : (this.options.pollTimeoutMs ?? 10_000)),
      });
      if (since !== undefined) query.set('since', since);
      try {
        const response = await matrixRequest(this.options.baseUrl, {
          method: 'GET',
          path: `/_matrix/client/v3/sync?${query.toString()}`,
          accessToken: this.options.accessToken,
          signal,
        });
        this.record(response);
        if (typeof response['next_batch'] === 'string') since = response['next_batch'];
        this.lastError = undefined;
        onFirst();
      } catch (error: unknown) {
        if (this.isStopped()) return;
        this.lastError = error instanceof Error ? error.message : String(error);
        if (error instanceof MatrixHttpError && FATAL_STATUSES.includes(error.status)) {
          // A bad token or a malformed request will not heal by retrying: end the loop loudly.
          this.fatalError = error;
          this.closeLogs(`the sync loop of ${this.options.userId} failed: ${error.message}`);
          return;
        }
        // Bound the wait by the abort, so stop() never waits for a retry delay.
        await sleep(RETRY_DELAY_MS, undefined, { signal }).catch(() => undefined);
      }
    }
  }

  // A method, not `signal.aborted`, because the compiler narrows that to false inside the loop.
  private isStopped(): boolean {
    return this.controller.signal.aborted;
  }

  private record(response: Record<string, unknown>): void {
    const rooms = isRecord(response['rooms']) ? response['rooms'] : {};
    for (const [roomId, room] of entries(rooms['join'])) {
      const timeline = isRecord(room['timeline']) ? room['timeline'] : {};
      if (timeline['limited'] === true && this.seenEventIds.size > 0) this.gapCount += 1;
      for (const event of list(timeline['events'])) this.recordEvent(roomId, event);
      const ephemeral = isRecord(room['ephemeral']) ? room['ephemeral'] : {};
      for (const event of list(ephemeral['events'])) {
        const content = isRecord(event['content']) ? event['content'] : {};
        if (event['type'] === 'm.typing' && Array.isArray(content['user_ids'])) {
          const userIds = content['user_ids'].filter((id): id is string => typeof id === 'string');
          this.typing.push({ roomId, userIds });
        }
      }
    }
    for (const [roomId, room] of entries(rooms['leave'])) {
      const timeline = isRecord(room['timeline']) ? room['timeline'] : {};
      for (const event of list(timeline['events'])) this.recordEvent(roomId, event);
    }
    for (const [roomId, room] of entries(rooms['invite'])) {
      const state = isRecord(room['invite_state']) ? room['invite_state'] : {};
      const ownInvite = list(state['events']).find(
        (e) => e['type'] === 'm.room.member' && e['state_key'] === this.options.userId,
      );
      const inviter = ownInvite?.['sender'];
      this.invites.push({ roomId, inviter: typeof inviter === 'string' ? inviter : undefined });
    }
  }

  private recordEvent(roomId: string, raw: Record<string, unknown>): void {
    const eventId = raw['event_id'];
    if (typeof eventId !== 'string' || this.seenEventIds.has(eventId)) return;
    this.seenEventIds.add(eventId);
    this.timeline.push({
      ...(raw as Omit<MatrixEvent, 'room_id'>),
      room_id: roomId,
      content: isRecord(raw['content']) ? raw['content'] : {},
    });
  }
}

function entries(value: unknown): [string, Record<string, unknown>][] {
  if (!isRecord(value)) return [];
  return Object.entries(value).flatMap(([key, item]) =>
    isRecord(item) ? [[key, item] as [string, Record<string, unknown>]] : [],
  );
}

function list(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}
