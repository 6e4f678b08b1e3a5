/**
 * Room membership and directory operations of a {@link BotSdkClient}: join, leave, invite,
 * joined rooms and members, power levels, aliases, room creation and turning on encryption.
 * Raw calls rather than the SDK's helpers, which start with a hidden whoami request.
 */
import type { RoomAlias, RoomId, UserId } from '../shared/index.js';
import { asRoomId, asUserId, hasErrorCode } from '../shared/index.js';
import { asRecord, branded, roomPath, type ClientRequest } from './client-request.js';
import { MatrixRequestError } from './errors.js';
import type { CreateRoomOptions } from './types.js';

/** The `m.room.encryption` content Quorum creates (spec: Megolm, the only room algorithm). */
const MEGOLM_ENCRYPTION = { algorithm: 'm.megolm.v1.aes-sha2' };

/** Room operations over one client's requests; every rejection is a MatrixRequestError. */
export class RoomOperations {
  constructor(private readonly request: ClientRequest) {}

  async joinRoom(roomIdOrAlias: RoomId | RoomAlias): Promise<RoomId> {
    const path = `/_matrix/client/v3/join/${encodeURIComponent(roomIdOrAlias)}`;
    const raw = await this.request('POST /join', 'POST', path, { body: {} });
    return branded(asRecord(raw, 'POST /join')['room_id'], asRoomId, 'POST /join');
  }

  async leaveRoom(roomId: RoomId): Promise<void> {
    await this.request('POST /leave', 'POST', `${roomPath(roomId)}/leave`, { body: {} });
  }

  async invite(roomId: RoomId, userId: UserId): Promise<void> {
    await this.request('POST /invite', 'POST', `${roomPath(roomId)}/invite`, {
      body: { user_id: userId },
    });
  }

  async getJoinedRooms(): Promise<readonly RoomId[]> {
    const raw = await this.request('GET /joined_rooms', 'GET', '/_matrix/client/v3/joined_rooms');
    const rooms = asRecord(raw, 'GET /joined_rooms')['joined_rooms'];
    if (!Array.isArray(rooms)) {
      throw new MatrixRequestError('invalid_response', 'GET /joined_rooms answered no list');
    }
    return rooms.map((roomId: unknown) => branded(roomId, asRoomId, 'GET /joined_rooms'));
  }

  async getJoinedMembers(roomId: RoomId): Promise<readonly UserId[]> {
    const raw = await this.request(
      'GET /joined_members',
      'GET',
      `${roomPath(roomId)}/joined_members`,
    );
    const joined = asRecord(asRecord(raw, 'GET /joined_members')['joined'], 'GET /joined_members');
    return Object.keys(joined).map((userId) => branded(userId, asUserId, 'GET /joined_members'));
  }

  /** `userId`'s power level in `roomId`: its own entry, else `users_default`, else 0. */
  async getUserPowerLevel(roomId: RoomId, userId: UserId): Promise<number> {
    const raw = await this.request(
      'GET power_levels',
      'GET',
      `${roomPath(roomId)}/state/m.room.power_levels/`,
    );
    const levels = asRecord(raw, 'GET power_levels');
    const users = levels['users'];
    const own =
      typeof users === 'object' && users !== null
        ? (users as Record<string, unknown>)[userId]
        : undefined;
    if (typeof own === 'number') return own;
    const fallback = levels['users_default'];
    return typeof fallback === 'number' ? fallback : 0;
  }

  /** The room `alias` points at, or `undefined` when the alias is unknown. */
  async resolveAlias(alias: RoomAlias): Promise<RoomId | undefined> {
    try {
      const path = `/_matrix/client/v3/directory/room/${encodeURIComponent(alias)}`;
      const raw = await this.request('GET /directory/room', 'GET', path);
      const roomId = asRecord(raw, 'GET /directory/room')['room_id'];
      return branded(roomId, asRoomId, 'GET /directory/room');
    } catch (error) {
      if (hasErrorCode(error, 'not_found')) return undefined;
      throw error;
    }
  }

  /** Creates a room with shared history (and Megolm when `isEncrypted`). */
  async createRoom(options: CreateRoomOptions): Promise<RoomId> {
    const raw = await this.request('POST /createRoom', 'POST', '/_matrix/client/v3/createRoom', {
      body: {
        preset: options.isPublic === true ? 'public_chat' : 'private_chat',
        room_alias_name: options.aliasLocalpart,
        name: options.name,
        ...(options.topic === undefined ? {} : { topic: options.topic }),
        invite: [...options.invite],
        initial_state: [
          {
            type: 'm.room.history_visibility',
            state_key: '',
            content: { history_visibility: 'shared' },
          },
          ...(options.isEncrypted === true
            ? [{ type: 'm.room.encryption', state_key: '', content: MEGOLM_ENCRYPTION }]
            : []),
        ],
      },
    });
    return branded(asRecord(raw, 'POST /createRoom')['room_id'], asRoomId, 'POST /createRoom');
  }

  /** Turns on Megolm in `roomId`; false when the room already had encryption. */
  async enableEncryption(roomId: RoomId): Promise<boolean> {
    const current = await this.request(
      'GET m.room.encryption',
      'GET',
      `${roomPath(roomId)}/state/m.room.encryption/`,
    ).catch((error: unknown) => {
      if (hasErrorCode(error, 'not_found')) return undefined;
      throw error;
    });
    if (
      current !== undefined &&
      typeof asRecord(current, 'GET m.room.encryption')['algorithm'] === 'string'
    ) {
      return false;
    }
    await this.request(
      'PUT m.room.encryption',
      'PUT',
      `${roomPath(roomId)}/state/m.room.encryption/`,
      {
        body: MEGOLM_ENCRYPTION,
      },
    );
    return true;
  }
}
