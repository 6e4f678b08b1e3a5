/**
 * Quorum's `/sync` filter and the pure parsing of a `/sync` response into a `SyncBatch`
 * (plus the to-device and key data the crypto machine needs).
 */
import type { RoomId, UserId } from '../shared/index.js';
import { asRoomId, asUserId } from '../shared/index.js';
import { MatrixRequestError } from './errors.js';
import type { JoinedRoomUpdate, RawEvent, RoomInvite, SyncBatch } from './types.js';

/** Timeline event types Quorum handles; everything else is filtered out by the homeserver. */
export const TIMELINE_EVENT_TYPES: readonly string[] = [
  'm.room.message',
  'm.reaction',
  'm.room.redaction',
  'm.room.member',
  'm.room.encrypted',
  'm.room.name',
  'm.room.encryption',
  // The crypto room tracker re-reads a room's settings when this changes.
  'm.room.history_visibility',
];

/** State event types Quorum reads from the `state` section. */
export const STATE_EVENT_TYPES: readonly string[] = [
  'm.room.member',
  'm.room.name',
  'm.room.encryption',
  'm.room.history_visibility',
];

/** Events per room in one sync; more makes the timeline `limited` and the caller backfills. */
export const DEFAULT_TIMELINE_LIMIT = 50;

/**
 * The filter uploaded once per client (spec "Filtering"): no presence, no account data, no
 * ephemeral events (typing, receipts), lazy-loaded members, only the handled event types.
 */
export function buildSyncFilter(
  timelineLimit = DEFAULT_TIMELINE_LIMIT,
  excludeRooms: readonly string[] = [],
): Record<string, unknown> {
  return {
    presence: { not_types: ['*'] },
    account_data: { not_types: ['*'] },
    room: {
      ...(excludeRooms.length > 0 ? { not_rooms: [...excludeRooms] } : {}),
      account_data: { not_types: ['*'] },
      ephemeral: { not_types: ['*'] },
      state: { types: [...STATE_EVENT_TYPES], lazy_load_members: true },
      timeline: {
        types: [...TIMELINE_EVENT_TYPES],
        limit: timelineLimit,
        lazy_load_members: true,
      },
    },
  };
}

/** The RoomEventFilter for `/messages`, admitting the same types as the sync timeline. */
export function buildMessagesFilter(): Record<string, unknown> {
  return { types: [...TIMELINE_EVENT_TYPES], lazy_load_members: true };
}

/** What the crypto machine needs from one sync (see matrix-bot-sdk MatrixClient.processSync). */
export interface SyncCryptoData {
  readonly toDeviceEvents: readonly Record<string, unknown>[];
  readonly oneTimeKeyCounts: Readonly<Record<string, number>>;
  readonly unusedFallbackKeyTypes: readonly string[];
  readonly changedDeviceUsers: readonly string[];
  readonly leftDeviceUsers: readonly string[];
}

/** The result of {@link parseSyncResponse}. */
export interface ParsedSync {
  readonly batch: SyncBatch;
  readonly crypto: SyncCryptoData;
  /** Events dropped because they lacked an id, sender, type or timestamp. */
  readonly droppedEvents: number;
}

type Json = Readonly<Record<string, unknown>>;

/**
 * Parses a `/sync` response body. Invalid room ids and malformed events are skipped (and
 * counted); joined-room events get `room_id` filled in.
 *
 * @throws MatrixRequestError `invalid_response` when the body is not an object with a string
 * `next_batch`.
 */
export function parseSyncResponse(raw: unknown, ownUserId: UserId): ParsedSync {
  if (!isRecord(raw) || typeof raw['next_batch'] !== 'string') {
    throw new MatrixRequestError('invalid_response', 'GET /sync answered without next_batch');
  }
  const counter = { dropped: 0 };
  const rooms = recordAt(raw, 'rooms') ?? {};
  const joined: JoinedRoomUpdate[] = [];
  for (const [roomId, room] of roomEntries(recordAt(rooms, 'join'))) {
    const timeline = recordAt(room, 'timeline') ?? {};
    joined.push({
      roomId,
      timeline: eventsOf(timeline, roomId, counter),
      limited: timeline['limited'] === true,
      prevBatch: typeof timeline['prev_batch'] === 'string' ? timeline['prev_batch'] : undefined,
      state: eventsOf(recordAt(room, 'state') ?? {}, roomId, counter),
    });
  }
  const invited: RoomInvite[] = [];
  for (const [roomId, room] of roomEntries(recordAt(rooms, 'invite'))) {
    invited.push(inviteOf(roomId, room, ownUserId));
  }
  const left = roomEntries(recordAt(rooms, 'leave')).map(([roomId]) => roomId);
  return {
    batch: { nextBatch: raw['next_batch'], joined, invited, left },
    crypto: cryptoDataOf(raw),
    droppedEvents: counter.dropped,
  };
}

/** Our own `m.room.member` invite in the stripped invite state tells who invited us and whether it is a DM. */
function inviteOf(roomId: RoomId, room: Json, ownUserId: UserId): RoomInvite {
  const events = arrayAt(recordAt(room, 'invite_state'), 'events');
  const own = events.find(
    (event) =>
      event['type'] === 'm.room.member' &&
      event['state_key'] === ownUserId &&
      recordAt(event, 'content')?.['membership'] === 'invite',
  );
  const content = own === undefined ? undefined : recordAt(own, 'content');
  return {
    roomId,
    inviter: own === undefined ? undefined : tryUserId(own['sender']),
    isDirect: content?.['is_direct'] === true,
  };
}

function cryptoDataOf(raw: Json): SyncCryptoData {
  const counts = recordAt(raw, 'device_one_time_keys_count') ?? {};
  const oneTimeKeyCounts: Record<string, number> = {};
  for (const [algorithm, count] of Object.entries(counts)) {
    if (typeof count === 'number') oneTimeKeyCounts[algorithm] = count;
  }
  const deviceLists = recordAt(raw, 'device_lists');
  // MSC2732 was stabilised as device_unused_fallback_key_types; older Synapse sends the prefix.
  const fallback =
    raw['device_unused_fallback_key_types'] ??
    raw['org.matrix.msc2732.device_unused_fallback_key_types'];
  return {
    toDeviceEvents: arrayAt(recordAt(raw, 'to_device'), 'events'),
    oneTimeKeyCounts,
    unusedFallbackKeyTypes: stringsOf(fallback),
    changedDeviceUsers: stringsOf(deviceLists?.['changed']),
    leftDeviceUsers: stringsOf(deviceLists?.['left']),
  };
}

/**
 * The well-formed events of a `{ events: [...] }` section, with `room_id` set. Exported for
 * `/messages` and `/relations` responses, whose `chunk` holds the same event shape.
 */
export function eventsOf(
  section: Json,
  roomId: RoomId,
  counter: { dropped: number },
  key = 'events',
): RawEvent[] {
  const out: RawEvent[] = [];
  for (const event of arrayAt(section, key)) {
    const raw = toRawEvent(event, roomId);
    if (raw === undefined) counter.dropped++;
    else out.push(raw);
  }
  return out;
}

/** `event` as a RawEvent in `roomId`, or `undefined` when a required field is missing. */
export function toRawEvent(event: Json, roomId: RoomId): RawEvent | undefined {
  if (
    typeof event['event_id'] !== 'string' ||
    typeof event['sender'] !== 'string' ||
    typeof event['type'] !== 'string' ||
    typeof event['origin_server_ts'] !== 'number'
  ) {
    return undefined;
  }
  const content = recordAt(event, 'content') ?? {};
  return { ...(event as unknown as RawEvent), room_id: roomId, content };
}

function roomEntries(section: Json | undefined): [RoomId, Json][] {
  if (section === undefined) return [];
  const out: [RoomId, Json][] = [];
  for (const [roomId, room] of Object.entries(section)) {
    if (!isRecord(room) || !roomId.startsWith('!')) continue;
    out.push([asRoomId(roomId), room]);
  }
  return out;
}

function tryUserId(value: unknown): UserId | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    return asUserId(value);
  } catch {
    return undefined;
  }
}

function stringsOf(value: unknown): string[] {
  return Array.isArray(value)
    ? value.filter((item): item is string => typeof item === 'string')
    : [];
}

function arrayAt(record: Json | undefined, key: string): Json[] {
  const value = record?.[key];
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

function recordAt(record: Json, key: string): Json | undefined {
  const value = record[key];
  return isRecord(value) ? value : undefined;
}

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
