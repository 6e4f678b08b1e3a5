/**
 * The `/sync` filters of a {@link BotSdkClient}: uploaded once per client and set of
 * excluded rooms, and reused by every later sync.
 */
import type { UserId } from '../shared/index.js';
import { runAbortable } from './abortable-request.js';
import { asRecord, type ClientRequest } from './client-request.js';
import { MatrixRequestError } from './errors.js';
import { buildSyncFilter } from './sync-response.js';

/** Filter ids by the rooms they exclude; a failed upload is forgotten and retried next time. */
export class SyncFilters {
  /** Uploaded filters by the rooms they exclude (sorted, joined). */
  private readonly filterIds = new Map<string, Promise<string>>();

  constructor(
    private readonly request: ClientRequest,
    private readonly userId: UserId,
    private readonly timelineLimit: number,
  ) {}

  /**
   * The filter id for `excludeRooms`, uploading it the first time; a failed upload is
   * retried by the next sync. Rejects with `signal`'s reason when it aborts first (the
   * upload itself carries on for the next caller).
   */
  ensure(signal: AbortSignal, excludeRooms: readonly string[]): Promise<string> {
    const sorted = [...excludeRooms].sort();
    const key = sorted.join(',');
    let pending = this.filterIds.get(key);
    if (pending === undefined) {
      pending = this.upload(sorted);
      this.filterIds.set(key, pending);
      pending.catch(() => {
        this.filterIds.delete(key);
      });
    }
    const upload = pending;
    return runAbortable('POST /filter', () => upload, [signal]);
  }

  private async upload(excludeRooms: readonly string[]): Promise<string> {
    const path = `/_matrix/client/v3/user/${encodeURIComponent(this.userId)}/filter`;
    const raw = await this.request('POST /filter', 'POST', path, {
      body: buildSyncFilter(this.timelineLimit, excludeRooms),
    });
    const filterId = asRecord(raw, 'POST /filter')['filter_id'];
    if (typeof filterId !== 'string') {
      throw new MatrixRequestError('invalid_response', 'filter upload answered without filter_id');
    }
    return filterId;
  }
}
