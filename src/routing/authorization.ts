/**
 * Who may talk to Quorum's entities (MindRoom's `authorization` block), as pure functions.
 *
 * MindRoom's order (docs/authorization.md, "Authorization Flow"):
 * 1. Quorum's own accounts are always authorized (the dispatcher handles them first);
 * 2. a bridge alias (`aliases`) is resolved to its canonical user for every later check;
 * 3. `global_users` may talk everywhere;
 * 4. a room listed in `room_permissions` admits only its list (no fall-through);
 * 5. other rooms use `default_room_access`.
 * Per responder, `agent_reply_permissions` then narrows who each agent, team or the router
 * answers (see {@link isSenderAllowedForEntity}).
 *
 * User lists take MindRoom's `fnmatch` globs (`*`, `?`, `[abc]`, `[!abc]`): `@*:example.org`
 * is everyone on that server. (MindRoom compares `global_users` and `room_permissions`
 * exactly, where a glob admits nobody; Quorum matches them as written.) Quorum addition: with
 * `quorum.allow_federation` off, a user of another homeserver is admitted only by an exact
 * entry (their id, or an alias), never by a glob.
 */
import type { ResolvedAuthorization } from '../config/index.js';
import { globToRegExp } from '../interactions/index.js';
import { serverNameOf } from '../shared/index.js';

/** One responder's `agent_reply_permissions` entry. */
export interface ReplyPolicy {
  /** User ids or globs (`*` = anyone). */
  readonly users: readonly string[];
  /** Grant rooms: people joined to any of them may use the entity (keys of `grantRoomMembers`). */
  readonly joinedRooms: readonly string[];
}

/** Who may talk to Quorum's agents, resolved to room ids (pure data). */
export interface AuthorizationRules {
  /** User ids or globs allowed in every room. */
  readonly globalUsers: ReadonlySet<string>;
  /** Per room id: the only users (ids or globs) allowed there (overrides `defaultRoomAccess`). */
  readonly roomPermissions: ReadonlyMap<string, ReadonlySet<string>>;
  /** Whether users not listed anywhere may use rooms without an explicit permission list. */
  readonly defaultRoomAccess: boolean;
  /** Whether users of other homeservers may be answered when not listed explicitly. */
  readonly allowFederation: boolean;
  /** This deployment's homeserver name. */
  readonly serverName: string;
  /** Bridge alias user id → the canonical user it stands for (`authorization.aliases`). */
  readonly aliases?: ReadonlyMap<string, string>;
  /** Per entity name, or `*` for every entity without its own: `agent_reply_permissions`. */
  readonly replyPermissions?: ReadonlyMap<string, ReplyPolicy>;
}

/**
 * Joined members of the grant rooms named in `joinedRooms` policies, by the same room key.
 * A key that is absent means the membership is not known (yet): that room grants nobody
 * (MindRoom fails closed while membership is unresolved).
 */
export type GrantRoomMembers = ReadonlyMap<string, ReadonlySet<string>>;

/** The canonical user `sender` stands for: the alias's owner, or the sender itself. */
export function canonicalUser(rules: AuthorizationRules, sender: string): string {
  return rules.aliases?.get(sender) ?? sender;
}

/** Whether `user` matches one of `patterns` (ids or globs); globs only when `isGlobAllowed`. */
export function matchesUserPattern(
  patterns: Iterable<string>,
  user: string,
  isGlobAllowed = true,
): boolean {
  for (const pattern of patterns) {
    if (pattern === user) return true;
    if (isGlobAllowed && /[*?[]/.test(pattern) && globToRegExp(pattern).test(user)) return true;
  }
  return false;
}

/**
 * Whether `sender` may get replies in `roomId`, following MindRoom's order: aliases resolved,
 * then global users, then the room's permission list, then the default access. A user from
 * another homeserver is refused unless listed by exact id or federation is allowed.
 */
export function isSenderAuthorized(
  rules: AuthorizationRules,
  sender: string,
  roomId: string,
): boolean {
  const isAlias = rules.aliases?.has(sender) === true;
  const user = canonicalUser(rules, sender);
  // An alias is an explicit entry of its own; otherwise a foreign user needs an exact one.
  const isForeign = !rules.allowFederation && !isAlias && serverNameOf(sender) !== rules.serverName;
  if (matchesUserPattern(rules.globalUsers, user, !isForeign)) return true;
  const roomList = rules.roomPermissions.get(roomId);
  if (roomList !== undefined) return matchesUserPattern(roomList, user, !isForeign);
  if (isForeign) return false;
  return rules.defaultRoomAccess;
}

/**
 * Whether `entity` (an agent, team or `router` name) may reply to `sender`, by
 * `agent_reply_permissions` (MindRoom's rules): the entity's own policy, else the `*` policy,
 * else no restriction; a `*` user means anyone; otherwise the canonical sender must match
 * `users` or be joined (itself or one of its aliases) to one of the policy's grant rooms.
 * Quorum's own accounts are not judged here: they always pass (the dispatcher checks first).
 */
export function isSenderAllowedForEntity(
  rules: AuthorizationRules,
  sender: string,
  entity: string,
  grantRoomMembers: GrantRoomMembers = new Map(),
): boolean {
  const policy = rules.replyPermissions?.get(entity) ?? rules.replyPermissions?.get('*');
  if (policy === undefined || policy.users.includes('*')) return true;
  const user = canonicalUser(rules, sender);
  if (matchesUserPattern(policy.users, user)) return true;
  const identities = [user, ...aliasesOf(rules, user)];
  return policy.joinedRooms.some((room) => {
    const members = grantRoomMembers.get(room);
    return members !== undefined && identities.some((identity) => members.has(identity));
  });
}

function aliasesOf(rules: AuthorizationRules, user: string): string[] {
  const out: string[] = [];
  for (const [alias, owner] of rules.aliases ?? []) if (owner === user) out.push(alias);
  return out;
}

/**
 * The dispatcher's rules from the config's resolved `authorization`: room references in
 * `room_permissions` become room ids through `roomIdOf` (unknown ones stay as written, so
 * they match nothing but are not lost), aliases become an alias → owner map.
 */
export function authorizationRulesFrom(
  source: ResolvedAuthorization,
  serverName: string,
  roomIdOf: (ref: string) => string | undefined,
): AuthorizationRules {
  const roomPermissions = new Map<string, ReadonlySet<string>>();
  for (const [ref, users] of Object.entries(source.roomPermissions)) {
    const id = roomIdOf(ref) ?? ref;
    roomPermissions.set(id, new Set([...(roomPermissions.get(id) ?? []), ...users]));
  }
  const aliases = new Map<string, string>();
  for (const [owner, list] of Object.entries(source.aliases)) {
    for (const alias of list) aliases.set(alias, owner);
  }
  return {
    globalUsers: new Set([...source.globalUsers, ...source.globalUserPatterns]),
    roomPermissions,
    defaultRoomAccess: source.defaultRoomAccess,
    allowFederation: source.allowFederation,
    serverName,
    aliases,
    replyPermissions: new Map(Object.entries(source.agentReplyPermissions)),
  };
}

/**
 * Whether `sender` may talk to `entity` in `roomId`: the room's authorization and the entity's
 * reply permissions (a team's members' too, via `teamMembers`). Thread history uses it to
 * decide whose messages reach the entity's prompt (Quorum's own accounts are trusted by the
 * caller before asking).
 */
export function maySenderTalkTo(
  rules: AuthorizationRules,
  sender: string,
  roomId: string,
  entity: string,
  options: {
    readonly teamMembers?: readonly string[];
    readonly grantRoomMembers?: GrantRoomMembers;
  } = {},
): boolean {
  if (!isSenderAuthorized(rules, sender, roomId)) return false;
  return [entity, ...(options.teamMembers ?? [])].every((name) =>
    isSenderAllowedForEntity(rules, sender, name, options.grantRoomMembers),
  );
}
