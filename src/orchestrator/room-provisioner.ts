import type { RouterSpec } from '../config/index.js';
import type { BotClient } from '../matrix/index.js';
import { asDaemonError, asRoomAlias, asUserId, type Logger, type RoomId } from '../shared/index.js';
import type { Fleet } from './fleet.js';
import type { RoomRegistry } from './room-registry.js';

/**
 * The router's part of boot (and of reloads): resolves every managed room's alias, creates
 * the rooms that do not exist yet, and invites the entities configured for each room and
 * the global users. Invites that fail because the user is already in the room are expected.
 */
export async function provisionRooms(
  client: BotClient,
  fleet: Fleet,
  registry: RoomRegistry,
  log: Logger,
): Promise<void> {
  const router: RouterSpec | undefined = fleet.router();
  if (router === undefined) return;
  const globalUsers = router.authorization.globalUsers;
  const membersFor = (ref: string): string[] =>
    fleet.specs
      .filter((spec) => spec.kind !== 'router' && spec.rooms.includes(ref))
      .map((spec) => fleet.userIdOf(spec));

  for (const room of router.managedRooms) {
    const invitees = [...new Set([...membersFor(room.alias), ...globalUsers])];
    let roomId: RoomId | undefined = await client.resolveAlias(asRoomAlias(room.alias));
    if (roomId === undefined) {
      roomId = await client.createRoom({
        aliasLocalpart: room.key,
        name: room.name,
        ...(room.topic.length > 0 ? { topic: room.topic } : {}),
        invite: invitees.map((user) => asUserId(user)),
        ...(room.isEncrypted ? { isEncrypted: true } : {}),
      });
      log.info('created a room', {
        alias: room.alias,
        roomId,
        invited: invitees.length,
        encrypted: room.isEncrypted,
      });
    } else {
      await inviteMissing(client, roomId, invitees, log);
      // E2EE (issue 16): `rooms.<key>.encrypted` also turns it on in an existing room.
      if (room.isEncrypted) await ensureEncrypted(client, roomId, room.alias, log);
    }
    registry.setAlias(room.alias, roomId);
  }
  // Rooms given by id or by a foreign alias are not created, but their members are invited.
  const managed = new Set(router.managedRooms.map((room) => room.alias));
  for (const ref of router.rooms) {
    if (managed.has(ref)) continue;
    try {
      const roomId = ref.startsWith('#')
        ? await client.resolveAlias(asRoomAlias(ref))
        : (ref as RoomId);
      if (roomId === undefined) continue;
      registry.setAlias(ref, roomId);
      await client.joinRoom(roomId);
      await inviteMissing(client, roomId, membersFor(ref), log);
    } catch (error: unknown) {
      log.warn('could not prepare an external room', { room: ref, error });
    }
  }
}

async function ensureEncrypted(
  client: BotClient,
  roomId: RoomId,
  alias: string,
  log: Logger,
): Promise<void> {
  try {
    if (await client.enableEncryption(roomId)) {
      log.info('turned on end-to-end encryption in a room', { alias, roomId });
    }
  } catch (error: unknown) {
    if (asDaemonError(error)?.code === 'rate_limited') throw error;
    log.warn('could not turn on end-to-end encryption in a room', { alias, roomId, error });
  }
}

async function inviteMissing(
  client: BotClient,
  roomId: RoomId,
  users: readonly string[],
  log: Logger,
): Promise<void> {
  if (users.length === 0) return;
  let members: ReadonlySet<string>;
  try {
    await client.joinRoom(roomId);
    members = new Set(await client.getJoinedMembers(roomId));
  } catch (error: unknown) {
    log.warn('could not read room members', { roomId, error });
    return;
  }
  for (const user of users) {
    if (members.has(user)) continue;
    try {
      await client.invite(roomId, asUserId(user));
    } catch (error: unknown) {
      const code = asDaemonError(error)?.code;
      if (code === 'rate_limited') throw error;
      // Already invited, or banned: nothing to do here.
      log.debug('invite not sent', { roomId, user, code });
    }
  }
}
