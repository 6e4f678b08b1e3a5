/**
 * The room state reads the shared encryption directory needs (room-encryption-directory.ts):
 * `m.room.encryption`, history visibility and the members who get room keys, over one
 * client's authenticated GETs.
 */
import type { RoomId, UserId } from '../shared/index.js';
import { asUserId, hasErrorCode } from '../shared/index.js';
import { asRecord, roomPath } from './client-request.js';
import type { RoomStateReader } from './room-encryption-directory.js';

/** One authenticated GET (errors already mapped to MatrixRequestError). */
export type MatrixGet = (
  what: string,
  path: string,
  query?: Record<string, unknown>,
) => Promise<unknown>;

/** A {@link RoomStateReader} on `get`. A missing state event reads as `undefined`. */
export function createRoomStateReader(get: MatrixGet): RoomStateReader {
  const stateContent = async (
    roomId: RoomId,
    type: string,
  ): Promise<Readonly<Record<string, unknown>> | undefined> => {
    try {
      return asRecord(await get(`GET ${type}`, `${roomPath(roomId)}/state/${type}/`), type);
    } catch (error) {
      if (hasErrorCode(error, 'not_found')) return undefined;
      throw error;
    }
  };
  return {
    readEncryption: (roomId) => stateContent(roomId, 'm.room.encryption'),
    readHistoryVisibility: async (roomId) => {
      const content = await stateContent(roomId, 'm.room.history_visibility');
      const value = content?.['history_visibility'];
      return typeof value === 'string' ? value : undefined;
    },
    readMembers: async (roomId) => {
      const raw = await get('GET /members', `${roomPath(roomId)}/members`, {
        not_membership: 'leave',
      });
      const chunk = asRecord(raw, 'GET /members')['chunk'];
      return membersOf(Array.isArray(chunk) ? (chunk as unknown[]) : []);
    },
  };
}

/** Joined and invited users of a `/members` chunk (both receive room keys). */
function membersOf(chunk: readonly unknown[]): UserId[] {
  const members: UserId[] = [];
  for (const event of chunk) {
    if (typeof event !== 'object' || event === null) continue;
    const { state_key: userId, content } = event as Record<string, unknown>;
    const membership =
      typeof content === 'object' && content !== null
        ? (content as Record<string, unknown>)['membership']
        : undefined;
    if (typeof userId !== 'string' || (membership !== 'join' && membership !== 'invite')) {
      continue;
    }
    try {
      members.push(asUserId(userId));
    } catch {
      // Not a user id: not someone to share keys with.
    }
  }
  return members;
}
