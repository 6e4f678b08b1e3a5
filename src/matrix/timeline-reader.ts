/**
 * History reads of a {@link BotSdkClient}: one event, a backfill page of `/messages`, and a
 * thread through `/relations`, each decrypted where it can be.
 */
import type { EventId, RoomId } from '../shared/index.js';
import { asRecord, roomPath, type ClientRequest } from './client-request.js';
import { MatrixRequestError } from './errors.js';
import { buildMessagesFilter, eventsOf, toRawEvent } from './sync-response.js';
import type { BackfillOptions, RawEvent } from './types.js';

/** Thread pages requested from `/relations` (Synapse caps a page at 100). */
const RELATIONS_PAGE_SIZE = 100;

/** Decrypts the events of one room it can (the rest stay as they are). */
export type DecryptEvents = (roomId: RoomId, events: RawEvent[]) => Promise<RawEvent[]>;

/** Timeline reads over one client's requests. */
export class TimelineReader {
  constructor(
    private readonly request: ClientRequest,
    private readonly decryptAll: DecryptEvents,
  ) {}

  /** One page of `roomId`'s history backwards from `options.from`; `end` is the next page's token. */
  async backfill(
    roomId: RoomId,
    options: BackfillOptions,
  ): Promise<{ events: readonly RawEvent[]; end: string | undefined }> {
    const query: Record<string, unknown> = {
      dir: 'b',
      from: options.from,
      limit: options.limit,
      filter: JSON.stringify(buildMessagesFilter()),
    };
    if (options.to !== undefined) query['to'] = options.to;
    const raw = await this.request('GET /messages', 'GET', `${roomPath(roomId)}/messages`, {
      query,
      signal: options.signal,
    });
    const body = asRecord(raw, 'GET /messages');
    const events = await this.decryptAll(roomId, eventsOf(body, roomId, { dropped: 0 }, 'chunk'));
    const end = typeof body['end'] === 'string' && events.length > 0 ? body['end'] : undefined;
    return { events, end };
  }

  async getEvent(roomId: RoomId, eventId: EventId): Promise<RawEvent> {
    const path = `${roomPath(roomId)}/event/${encodeURIComponent(eventId)}`;
    const raw = await this.request('GET /event', 'GET', path);
    const event = toRawEvent(asRecord(raw, 'GET /event'), roomId);
    if (event === undefined) {
      throw new MatrixRequestError('invalid_response', 'GET /event answered a malformed event');
    }
    const [decrypted] = await this.decryptAll(roomId, [event]);
    return decrypted ?? event;
  }

  /** The thread's root, then its newest `limit` events oldest first (across pages). */
  async getThread(
    roomId: RoomId,
    rootId: EventId,
    options: { limit: number; signal?: AbortSignal },
  ): Promise<readonly RawEvent[]> {
    const root = await this.getEvent(roomId, rootId);
    const newestFirst: RawEvent[] = [];
    let from: string | undefined;
    while (newestFirst.length < options.limit) {
      const query: Record<string, unknown> = {
        dir: 'b',
        limit: Math.min(RELATIONS_PAGE_SIZE, options.limit - newestFirst.length),
      };
      if (from !== undefined) query['from'] = from;
      const path =
        `/_matrix/client/v1/rooms/${encodeURIComponent(roomId)}/relations/` +
        `${encodeURIComponent(rootId)}/m.thread`;
      const raw = await this.request('GET /relations', 'GET', path, {
        query,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
      const body = asRecord(raw, 'GET /relations');
      const page = eventsOf(body, roomId, { dropped: 0 }, 'chunk');
      newestFirst.push(...page);
      const next = body['next_batch'];
      if (typeof next !== 'string' || page.length === 0) break;
      from = next;
    }
    const replies = await this.decryptAll(roomId, newestFirst.slice(0, options.limit).reverse());
    return [root, ...replies];
  }
}
