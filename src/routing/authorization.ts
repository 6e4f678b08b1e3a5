import { serverNameOf } from '../shared/index.js';

/** Who may talk to Quorum's agents, resolved to room ids (pure data). */
export interface AuthorizationRules {
  /** Users allowed in every room. */
  readonly globalUsers: ReadonlySet<string>;
  /** Per room id: the only users allowed there (overrides `defaultRoomAccess`). */
  readonly roomPermissions: ReadonlyMap<string, ReadonlySet<string>>;
  /** Whether users not listed anywhere may use rooms without an explicit permission list. */
  readonly defaultRoomAccess: boolean;
  /** Whether users of other homeservers may be answered when not listed explicitly. */
  readonly allowFederation: boolean;
  /** This deployment's homeserver name. */
  readonly serverName: string;
}

/**
 * Whether `sender` may get replies in `roomId`, following MindRoom's order: global users,
 * then the room's permission list, then the default access. A user from another homeserver
 * is refused unless listed explicitly or federation is allowed.
 */
export function isSenderAuthorized(
  rules: AuthorizationRules,
  sender: string,
  roomId: string,
): boolean {
  if (rules.globalUsers.has(sender)) return true;
  const roomList = rules.roomPermissions.get(roomId);
  if (roomList !== undefined) return roomList.has(sender);
  if (!rules.allowFederation && serverNameOf(sender) !== rules.serverName) return false;
  return rules.defaultRoomAccess;
}
