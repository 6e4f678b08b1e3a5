import { configPathScope, normalizeRoomRef } from '../config/index.js';

export interface ConfigEditAuthorityDeps {
  /** The config's global users (they may change any setting). */
  readonly globalUsers: () => readonly string[];
  /** The homeserver's name, for room references without one. */
  readonly serverName: () => string;
  /** The room id a configured room reference (alias or id) stands for, when known. */
  readonly roomIdOf: (ref: string) => string | undefined;
  /** The user's power level in the room (undefined when it cannot be read). */
  readonly powerLevelOf: (roomId: string, userId: string) => Promise<number | undefined>;
}

/** Decides whether a person may change a config setting from a room. */
export type ConfigEditAuthority = (
  userId: string,
  roomId: string,
  path: string,
) => Promise<boolean>;

/** Room admins (power level 100) may change settings scoped to their own room. */
const ROOM_ADMIN_LEVEL = 100;

/**
 * Who may change the config from chat (`!config set`, `propose_config_change`): global users
 * may change any setting; a room admin may change settings scoped to the room they write in
 * (`room_models.<room>` and the like).
 */
export function createConfigEditAuthority(deps: ConfigEditAuthorityDeps): ConfigEditAuthority {
  return async (userId, roomId, path) => {
    if (deps.globalUsers().includes(userId)) return true;
    const scope = configPathScope(path);
    if (scope.kind !== 'room') return false;
    const scopedRoom = deps.roomIdOf(normalizeRoomRef(scope.room, deps.serverName()));
    if (scopedRoom !== roomId) return false;
    return ((await deps.powerLevelOf(roomId, userId)) ?? 0) >= ROOM_ADMIN_LEVEL;
  };
}
