import {
  configPathScope,
  decideConfigEdit,
  parseConfigPath,
  type ConfigAccessSource,
  type ConfigAuthorityRules,
} from '../config/index.js';

export interface ConfigAccessDeps {
  /** The access rules of the running config (`configAuthorityRules`). */
  readonly rules: () => ConfigAuthorityRules;
  /** The room id a configured room reference (alias, key or id) stands for, when known. */
  readonly roomIdOf: (ref: string) => string | undefined;
  /** The user's power level in the room (undefined when it cannot be read). */
  readonly powerLevelOf: (roomId: string, userId: string) => Promise<number | undefined>;
}

/** Room admins (power level 100) may change settings scoped to their own room. */
const ROOM_ADMIN_LEVEL = 100;

/**
 * Who may see and change the config from chat (`!config`, `!usage`, `propose_config_change`),
 * over the running config's rules (see `decideConfigEdit`). A person's power level in the room
 * is looked up only for a room-scoped setting asked by someone who is not a config admin.
 */
export function createConfigAccess(deps: ConfigAccessDeps): ConfigAccessSource {
  return {
    configAuthority: () => deps.rules(),
    decideConfigEdit: async (userId, roomId, path) => {
      const rules = deps.rules();
      const parsed = parseConfigPath(path);
      const needsRoomPower =
        parsed.ok && !rules.admins.has(userId) && configPathScope(parsed.segments).kind === 'room';
      const isRoomAdmin =
        needsRoomPower && ((await deps.powerLevelOf(roomId, userId)) ?? 0) >= ROOM_ADMIN_LEVEL;
      return decideConfigEdit(rules, {
        userId,
        roomId,
        path,
        isRoomAdmin,
        roomIdOf: deps.roomIdOf,
      });
    },
  };
}
