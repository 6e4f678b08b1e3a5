/**
 * Who may see and change the config from chat (`!config`, the `propose_config_change` tool,
 * `!usage`), and which settings chat can never change. Pure functions over config data; the
 * caller supplies what needs I/O (whether the person is an admin of the room).
 *
 * The rules (MindRoom's, narrowed):
 * - `!config` is off unless `authorization.config_command_enabled: true`.
 * - Config admins are `quorum.config_admins`, or, when that is unset, the concrete user ids in
 *   `authorization.global_users` (MindRoom's rule; a glob there never makes anyone an admin).
 *   Bridge aliases do not count: a bridged account is not trusted with the config.
 * - Admins may show the config and change any setting chat may change; `!usage` is for admins.
 * - A room's admins (power 100, not config admins) may change that room's own entries:
 *   `room_models.<room>` and `rooms.<room>`.
 * - Settings that widen power are never changed from chat, by anyone: `authorization`,
 *   `tool_approval`, `models`, `mcp_servers`, `quorum`, `memory`, `knowledge_bases`,
 *   `bot_accounts`, an agent's `tools`, `include_default_tools` and `knowledge_bases`,
 *   `defaults.tools`, and anything holding a secret (`api_key`, `token`, `env`, `headers`, …).
 */
import { configPathScope, parseConfigPath } from './config-path.js';
import type { PathSegment } from './issues.js';
import { formatPath } from './issues.js';
import type { QuorumConfig } from './schema.js';
import { isSecretKeyName } from './secret-env.js';

/** What decides config access, taken from a config snapshot by {@link configAuthorityRules}. */
export interface ConfigAuthorityRules {
  /** `authorization.config_command_enabled`. */
  readonly isCommandEnabled: boolean;
  /** The config admins (concrete user ids). */
  readonly admins: ReadonlySet<string>;
}

/** Why chat may not do something with the config. */
export type ConfigRefusalReason =
  'disabled' | 'not-admin' | 'protected-path' | 'other-room' | 'bad-path';

/** A decision about config access, with a sentence for the person when refused. */
export type ConfigAccessVerdict =
  | { readonly isAllowed: true }
  | { readonly isAllowed: false; readonly reason: ConfigRefusalReason; readonly message: string };

/** A request to change one setting from chat. */
export interface ConfigEditRequest {
  readonly userId: string;
  /** The room the command (or the agent's turn) is in. */
  readonly roomId: string;
  /** The path as typed (`room_models.lobby`) or parsed. */
  readonly path: string | readonly PathSegment[];
  /**
   * Whether `userId` has admin power (100) in `roomId`. Only consulted for room-scoped paths
   * of people who are not config admins; callers may pass `false` without looking it up
   * whenever `configPathScope(path).kind` is `'global'`.
   */
  readonly isRoomAdmin: boolean;
  /** The room id a config room reference (`lobby`, `#lobby:server`, `!id:server`) names, if known. */
  readonly roomIdOf: (ref: string) => string | undefined;
}

/**
 * What the `!config` and `!usage` commands (and the `propose_config_change` tool) ask the
 * running daemon; the orchestrator implements it from the current config snapshot.
 */
export interface ConfigAccessSource {
  /** The access rules of the running config ({@link configAuthorityRules}). */
  configAuthority(): ConfigAuthorityRules;
  /**
   * {@link decideConfigEdit} for this request, with `isRoomAdmin` looked up (the person's power
   * level in `roomId`) only when the path is room-scoped and the person is not a config admin.
   */
  decideConfigEdit(userId: string, roomId: string, path: string): Promise<ConfigAccessVerdict>;
}

const USER_ID = /^@[^\s:*?[\]]+:\S+$/;
const GLOB = /[*?[]/;

/** The access rules of a config snapshot. */
export function configAuthorityRules(config: QuorumConfig): ConfigAuthorityRules {
  const listed = config.quorum.config_admins;
  const admins = (listed ?? config.authorization.global_users).filter(
    (user) => USER_ID.test(user) && !GLOB.test(user),
  );
  return {
    isCommandEnabled: config.authorization.config_command_enabled,
    admins: new Set(admins),
  };
}

const DISABLED =
  '`!config` is turned off. An operator can turn it on with `authorization.config_command_enabled: true` in config.yaml.';
const NOT_ADMIN =
  'Only config admins may use `!config` (see `quorum.config_admins` in config.yaml).';

/** Whether `userId` may see the config (`!config show`): admins, when `!config` is on. */
export function decideConfigView(rules: ConfigAuthorityRules, userId: string): ConfigAccessVerdict {
  if (!rules.isCommandEnabled) return refuse('disabled', DISABLED);
  return rules.admins.has(userId) ? ALLOWED : refuse('not-admin', NOT_ADMIN);
}

/** Whether `userId` may see token usage (`!usage`): config admins only. */
export function decideUsageView(rules: ConfigAuthorityRules, userId: string): ConfigAccessVerdict {
  return rules.admins.has(userId)
    ? ALLOWED
    : refuse('not-admin', 'Only config admins may see token usage (`quorum.config_admins`).');
}

/**
 * Whether `request.userId` may change `request.path` from `request.roomId`: `!config` must be
 * on, the path must not be protected (see {@link protectedPathProblem}), and the person must be
 * a config admin, or an admin of the room the path's room entry names, asking from that room.
 */
export function decideConfigEdit(
  rules: ConfigAuthorityRules,
  request: ConfigEditRequest,
): ConfigAccessVerdict {
  if (!rules.isCommandEnabled) return refuse('disabled', DISABLED);
  let segments: readonly PathSegment[];
  if (typeof request.path === 'string') {
    const parsed = parseConfigPath(request.path);
    if (!parsed.ok) return refuse('bad-path', parsed.error);
    segments = parsed.segments;
  } else {
    segments = request.path;
  }
  const isProtected = protectedPathProblem(segments, undefined, undefined);
  if (isProtected !== undefined) return refuse('protected-path', isProtected);
  if (rules.admins.has(request.userId)) return ALLOWED;
  const scope = configPathScope(segments);
  if (scope.kind !== 'room') return refuse('not-admin', NOT_ADMIN);
  if (request.roomIdOf(scope.room) !== request.roomId) {
    return refuse(
      'other-room',
      `Room admins may change only the settings of the room they ask from; ${formatPath(segments)} is about another room.`,
    );
  }
  return request.isRoomAdmin
    ? ALLOWED
    : refuse(
        'not-admin',
        'Only config admins, or admins of this room for its own settings, may change the config.',
      );
}

/** Path patterns chat can never change; `*` matches any one segment. */
export const PROTECTED_CONFIG_PATHS: readonly (readonly string[])[] = [
  ['authorization'],
  ['tool_approval'],
  ['models'],
  ['mcp_servers'],
  ['quorum'],
  ['memory'],
  ['knowledge_bases'],
  ['bot_accounts'],
  ['agents', '*', 'tools'],
  ['agents', '*', 'include_default_tools'],
  ['agents', '*', 'knowledge_bases'],
  ['defaults', 'tools'],
];

/**
 * Why chat may not change `path`, or `undefined` when it may: the path (or anything below it
 * in the value it replaces, `before`, or the value it writes, `after`) is protected, or holds
 * a secret. Setting `agents.calc` to a map that contains `tools` is refused like setting
 * `agents.calc.tools`.
 */
export function protectedPathProblem(
  path: readonly PathSegment[],
  before: unknown,
  after: unknown,
): string | undefined {
  for (const value of [undefined, before, after]) {
    let found: readonly PathSegment[] | undefined;
    visitPaths(value, [...path], (inner) => {
      if (found === undefined && isProtectedPath(inner)) found = inner;
    });
    if (found !== undefined) {
      const shown = formatPath(found);
      return `${shown === '' ? 'that' : `\`${shown}\``} can only be changed in config.yaml on the server: settings that grant power (authorization, tools, approvals, models, MCP servers, quorum, secrets) are never changed from chat.`;
    }
  }
  return undefined;
}

function isProtectedPath(path: readonly PathSegment[]): boolean {
  if (
    path.some((segment) => isSecretKeyName(segment) || segment === 'env' || segment === 'headers')
  )
    return true;
  return PROTECTED_CONFIG_PATHS.some(
    (pattern) =>
      pattern.length <= path.length &&
      pattern.every((part, index) => part === '*' || part === path[index]),
  );
}

/** Calls `visit` with `path` and the path of every map key and list item below it in `value`. */
function visitPaths(
  value: unknown,
  path: PathSegment[],
  visit: (path: readonly PathSegment[]) => void,
): void {
  visit(path);
  if (Array.isArray(value)) {
    value.forEach((item: unknown, index) => {
      visitPaths(item, [...path, index], visit);
    });
  } else if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) visitPaths(inner, [...path, key], visit);
  }
}

const ALLOWED: ConfigAccessVerdict = { isAllowed: true };

function refuse(reason: ConfigRefusalReason, message: string): ConfigAccessVerdict {
  return { isAllowed: false, reason, message };
}
