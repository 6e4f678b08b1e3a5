/**
 * Each example of MindRoom's docs/authorization.md, as the dispatcher's rules see it.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig, resolveEntitySpecs } from '../config/index.js';
import type { AuthorizationRules } from './authorization.js';
import {
  authorizationRulesFrom,
  canonicalUser,
  isSenderAllowedForEntity,
  isSenderAuthorized,
  matchesUserPattern,
} from './authorization.js';

const ROOM1 = '!room1:example.com';
const LOBBY = '!lobby:example.com';
const ABC = '!abc123:example.com';
const OPS = '!ops:example.com';

/** The rules the fleet builds from a config text (room refs resolved to these ids). */
function rulesOf(authorization: string, extra = ''): AuthorizationRules {
  const text = `models:\n  default: {provider: openai, id: x}\nagents:\n  code: {display_name: Code, rooms: [engineering]}\n  research: {display_name: Research, rooms: [research-project]}\n${extra}authorization:\n${authorization}`;
  const parsed = parseConfig(text, { env: {} });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  const router = resolveEntitySpecs(parsed.config, { serverName: 'example.com' }).find(
    (spec) => spec.kind === 'router',
  );
  if (router?.kind !== 'router') throw new Error('no router');
  const ids: Record<string, string> = {
    '!room1:example.com': ROOM1,
    '#lobby:example.com': LOBBY,
    '!abc123:example.com': ABC,
    '#ops:example.com': OPS,
  };
  return authorizationRulesFrom(router.authorization, 'example.com', (ref) => ids[ref]);
}

describe('authorization: the configuration example', () => {
  const rules = rulesOf(`  global_users:
    - "@admin:example.com"
    - "@developer:example.com"
  room_permissions:
    "!abc123:example.com":
      - "@user1:example.com"
      - "@user2:example.com"
    "#lobby:example.com":
      - "@user3:example.com"
    "ops":
      - "@user4:example.com"
  default_room_access: false
`);

  it('lets global users talk in every room', () => {
    for (const room of [ABC, LOBBY, OPS, '!elsewhere:example.com']) {
      expect(isSenderAuthorized(rules, '@admin:example.com', room)).toBe(true);
    }
  });

  it('admits a room list by room id, full alias and managed room key, and only there', () => {
    expect(isSenderAuthorized(rules, '@user1:example.com', ABC)).toBe(true);
    expect(isSenderAuthorized(rules, '@user3:example.com', LOBBY)).toBe(true);
    expect(isSenderAuthorized(rules, '@user4:example.com', OPS)).toBe(true);
    expect(isSenderAuthorized(rules, '@user1:example.com', LOBBY)).toBe(false);
    expect(isSenderAuthorized(rules, '@user4:example.com', ABC)).toBe(false);
  });

  it('uses default_room_access (false) for rooms without a list', () => {
    expect(isSenderAuthorized(rules, '@user1:example.com', '!other:example.com')).toBe(false);
  });

  it('never falls through from a room list to default_room_access', () => {
    const open = rulesOf(
      `  room_permissions:\n    "!abc123:example.com": ["@user1:example.com"]\n  default_room_access: true\n`,
    );
    expect(isSenderAuthorized(open, '@stranger:example.com', ABC)).toBe(false);
    expect(isSenderAuthorized(open, '@stranger:example.com', LOBBY)).toBe(true);
  });
});

describe('authorization: bridge aliases', () => {
  const rules = rulesOf(`  global_users:
    - "@alice:example.com"
  room_permissions:
    "!room1:example.com":
      - "@bob:example.com"
  aliases:
    "@alice:example.com":
      - "@telegram_123:example.com"
      - "@signal_456:example.com"
    "@bob:example.com":
      - "@telegram_789:example.com"
`);

  it('treats @telegram_123 as @alice (global access)', () => {
    expect(canonicalUser(rules, '@telegram_123:example.com')).toBe('@alice:example.com');
    expect(isSenderAuthorized(rules, '@telegram_123:example.com', ROOM1)).toBe(true);
    expect(isSenderAuthorized(rules, '@signal_456:example.com', LOBBY)).toBe(true);
  });

  it('treats @telegram_789 as @bob (access to !room1 only)', () => {
    expect(isSenderAuthorized(rules, '@telegram_789:example.com', ROOM1)).toBe(true);
    expect(isSenderAuthorized(rules, '@telegram_789:example.com', LOBBY)).toBe(false);
  });

  it('admits an alias on another homeserver: it is listed explicitly', () => {
    const bridged = rulesOf(
      `  global_users: ["@alice:example.com"]\n  aliases:\n    "@alice:example.com": ["@alice_tg:bridge.example.net"]\n`,
    );
    expect(isSenderAuthorized(bridged, '@alice_tg:bridge.example.net', ROOM1)).toBe(true);
  });

  it('refuses an alias given to two users, or a canonical user used as an alias', () => {
    const models = 'models:\n  default: {provider: openai, id: x}\n';
    const twice = parseConfig(
      `${models}authorization:\n  aliases:\n    "@a:x": ["@t:x"]\n    "@b:x": ["@t:x"]\n`,
      { env: {} },
    );
    expect(!twice.ok && twice.issues.map((issue) => issue.message)).toContainEqual(
      expect.stringContaining('already an alias of @a:x'),
    );
    const canonical = parseConfig(
      `${models}authorization:\n  aliases:\n    "@a:x": ["@b:x"]\n    "@b:x": ["@c:x"]\n`,
      { env: {} },
    );
    expect(!canonical.ok && canonical.issues.map((issue) => issue.message)).toEqual([
      '@b:x is a canonical user here; an alias must be a different (bridged) account',
    ]);
  });
});

describe('authorization: globs in user lists', () => {
  it('matches fnmatch globs: *, ?, [abc], [!abc]', () => {
    expect(matchesUserPattern(['@*:example.org'], '@alice:example.org')).toBe(true);
    expect(matchesUserPattern(['@*:example.org'], '@alice:evil.org')).toBe(false);
    expect(matchesUserPattern(['*:example.com'], '@bob:example.com')).toBe(true);
    expect(matchesUserPattern(['@bot-?:x'], '@bot-1:x')).toBe(true);
    expect(matchesUserPattern(['@bot-?:x'], '@bot-12:x')).toBe(false);
    expect(matchesUserPattern(['@[ab]*:x'], '@bob:x')).toBe(true);
    expect(matchesUserPattern(['@[!ab]*:x'], '@bob:x')).toBe(false);
    expect(matchesUserPattern(['@*:example.org'], '@alice:example.org', false)).toBe(false);
  });

  it('admits everyone a glob in global_users or a room list matches, and no one else', () => {
    const rules = rulesOf(
      `  global_users: ["@*:example.com"]\n  room_permissions:\n    "#lobby:example.com": ["@team-*:partner.example.com"]\n`,
      'quorum:\n  allow_federation: true\n',
    );
    expect(isSenderAuthorized(rules, '@anyone:example.com', ROOM1)).toBe(true);
    expect(isSenderAuthorized(rules, '@team-x:partner.example.com', LOBBY)).toBe(true);
    expect(isSenderAuthorized(rules, '@other:partner.example.com', LOBBY)).toBe(false);
    expect(isSenderAuthorized(rules, '@x:elsewhere.org', ROOM1)).toBe(false);
  });

  it('never lets a glob admit a user of another homeserver while federation is off', () => {
    const rules = rulesOf(`  global_users: ["*", "@carol:partner.org"]\n`);
    expect(isSenderAuthorized(rules, '@anyone:example.com', ROOM1)).toBe(true);
    expect(isSenderAuthorized(rules, '@mallory:evil.org', ROOM1)).toBe(false);
    expect(isSenderAuthorized(rules, '@carol:partner.org', ROOM1)).toBe(true);
  });

  it("accepts MindRoom's '*:example.com' form and refuses what cannot match a user", () => {
    const withModel = (text: string): boolean =>
      parseConfig(`models:\n  default: {provider: openai, id: x}\n${text}`, { env: {} }).ok;
    expect(withModel('authorization:\n  global_users: ["*:example.com"]\n')).toBe(true);
    expect(withModel('authorization:\n  global_users: ["alice"]\n')).toBe(false);
  });
});

describe('authorization: per-responder reply permissions (the documented example)', () => {
  const rules = rulesOf(
    `  global_users:
    - "@alice:example.com"
    - "@bob:example.com"
  aliases:
    "@alice:example.com":
      - "@telegram_111:example.com"
  agent_reply_permissions:
    "*":
      - "@alice:example.com"
    code:
      users:
        - "@alice:example.com"
      joined_rooms:
        - engineering
    research:
      joined_rooms:
        - research-project
    router:
      - "*"
`,
    'teams:\n  duo: {display_name: Duo, agents: [code, research]}\n',
  );
  const engineering = rulesKey(rules, 'code');
  const research = rulesKey(rules, 'research');
  const members = new Map([
    [engineering, new Set(['@carol:example.com'])],
    [research, new Set(['@dave:example.com', '@telegram_111:example.com'])],
  ]);

  it("restricts entities without their own entry to '*' (Alice)", () => {
    expect(isSenderAllowedForEntity(rules, '@alice:example.com', 'duo', members)).toBe(true);
    expect(isSenderAllowedForEntity(rules, '@bob:example.com', 'duo', members)).toBe(false);
    expect(isSenderAllowedForEntity(rules, '@telegram_111:example.com', 'duo', members)).toBe(true);
  });

  it('lets code answer Alice, or anyone joined to engineering', () => {
    expect(isSenderAllowedForEntity(rules, '@alice:example.com', 'code', members)).toBe(true);
    expect(isSenderAllowedForEntity(rules, '@carol:example.com', 'code', members)).toBe(true);
    expect(isSenderAllowedForEntity(rules, '@bob:example.com', 'code', members)).toBe(false);
  });

  it("lets research's own policy override '*': only research-project members", () => {
    expect(isSenderAllowedForEntity(rules, '@dave:example.com', 'research', members)).toBe(true);
    expect(isSenderAllowedForEntity(rules, '@bob:example.com', 'research', members)).toBe(false);
    // Alice is not in research's users, but her Telegram alias is joined to the grant room.
    expect(isSenderAllowedForEntity(rules, '@alice:example.com', 'research', members)).toBe(true);
  });

  it('lets the router answer anyone', () => {
    expect(isSenderAllowedForEntity(rules, '@bob:example.com', 'router', members)).toBe(true);
  });

  it('fails closed while a grant room membership is unknown', () => {
    expect(isSenderAllowedForEntity(rules, '@carol:example.com', 'code', new Map())).toBe(false);
    expect(isSenderAllowedForEntity(rules, '@alice:example.com', 'code', new Map())).toBe(true);
  });

  it('puts no restriction on an entity when neither its entry nor * exists', () => {
    const open = rulesOf('  agent_reply_permissions:\n    code: ["@alice:example.com"]\n');
    expect(isSenderAllowedForEntity(open, '@bob:example.com', 'research')).toBe(true);
    expect(isSenderAllowedForEntity(open, '@bob:example.com', 'code')).toBe(false);
  });

  it('refuses unknown entity keys and repeated grant rooms at load', () => {
    const models = 'models:\n  default: {provider: openai, id: x}\n';
    const unknown = parseConfig(
      `${models}authorization:\n  agent_reply_permissions:\n    nobody: ["*"]\n`,
      { env: {} },
    );
    expect(!unknown.ok && unknown.issues[0]?.message).toContain("unknown agent or team 'nobody'");
    const twice = parseConfig(
      `${models}agents:\n  code: {display_name: C, rooms: [eng]}\nauthorization:\n  agent_reply_permissions:\n    code: {joined_rooms: [eng, eng]}\n`,
      { env: {} },
    );
    expect(!twice.ok && twice.issues[0]?.message).toContain("'eng' is listed twice");
  });
});

/** The grant-room key the resolved config uses for `entity`'s first joined room. */
function rulesKey(rules: AuthorizationRules, entity: string): string {
  const room = rules.replyPermissions?.get(entity)?.joinedRooms[0];
  if (room === undefined) throw new Error(`no grant room for ${entity}`);
  return room;
}
