import { describe, expect, it } from 'vitest';
import type { ConfigEditRequest } from './config-authority.js';
import {
  configAuthorityRules,
  decideConfigEdit,
  decideConfigView,
  decideUsageView,
  protectedPathProblem,
} from './config-authority.js';
import { parseConfig } from './parse-config.js';
import type { QuorumConfig } from './schema.js';

function config(authorization: string, quorum = ''): QuorumConfig {
  const result = parseConfig(
    `models:\n  default: {provider: openai, id: x}\nagents:\n  calc: {display_name: C, rooms: [lobby]}\nauthorization:\n${authorization}\n${quorum}`,
    { env: {} },
  );
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.config;
}

const LOBBY = '!lobby:example.org';
const OTHER = '!other:example.org';
const roomIdOf = (ref: string): string | undefined =>
  ({ lobby: LOBBY, '#lobby:example.org': LOBBY, other: OTHER })[ref];

function edit(path: string, overrides: Partial<ConfigEditRequest> = {}): ConfigEditRequest {
  return {
    userId: '@alice:example.org',
    roomId: LOBBY,
    path,
    isRoomAdmin: false,
    roomIdOf,
    ...overrides,
  };
}

describe('configAuthorityRules', () => {
  it('is off by default, with the concrete global users as admins', () => {
    const rules = configAuthorityRules(
      config("  global_users: ['@alice:example.org', '@*:example.org', '*']"),
    );
    expect(rules.isCommandEnabled).toBe(false);
    expect([...rules.admins]).toEqual(['@alice:example.org']);
  });

  it('takes quorum.config_admins instead of the global users when set', () => {
    const rules = configAuthorityRules(
      config(
        "  global_users: ['@alice:example.org']\n  config_command_enabled: true",
        "quorum:\n  config_admins: ['@ops:example.org']\n",
      ),
    );
    expect(rules.isCommandEnabled).toBe(true);
    expect([...rules.admins]).toEqual(['@ops:example.org']);
    const none = configAuthorityRules(
      config("  global_users: ['@alice:example.org']", 'quorum:\n  config_admins: []\n'),
    );
    expect(none.admins.size).toBe(0);
  });

  it('never makes a bridge alias of an admin an admin', () => {
    const rules = configAuthorityRules(
      config(
        "  global_users: ['@alice:example.org']\n  aliases: {'@alice:example.org': ['@telegram_1:example.org']}",
      ),
    );
    expect(rules.admins.has('@telegram_1:example.org')).toBe(false);
  });
});

describe('decideConfigView and decideUsageView', () => {
  const rules = { isCommandEnabled: true, admins: new Set(['@alice:example.org']) };

  it('shows the config to admins only, and only when enabled', () => {
    expect(decideConfigView(rules, '@alice:example.org').isAllowed).toBe(true);
    expect(decideConfigView(rules, '@bob:example.org')).toMatchObject({ reason: 'not-admin' });
    expect(
      decideConfigView({ ...rules, isCommandEnabled: false }, '@alice:example.org'),
    ).toMatchObject({ reason: 'disabled' });
  });

  it('shows usage to admins, whether or not !config is on', () => {
    expect(
      decideUsageView({ ...rules, isCommandEnabled: false }, '@alice:example.org').isAllowed,
    ).toBe(true);
    expect(decideUsageView(rules, '@bob:example.org').isAllowed).toBe(false);
  });
});

describe('decideConfigEdit', () => {
  const rules = { isCommandEnabled: true, admins: new Set(['@alice:example.org']) };

  it('lets an admin change an ordinary setting', () => {
    expect(decideConfigEdit(rules, edit('agents.calc.model')).isAllowed).toBe(true);
  });

  it('refuses everyone while disabled', () => {
    expect(
      decideConfigEdit({ ...rules, isCommandEnabled: false }, edit('agents.calc.model')),
    ).toMatchObject({ isAllowed: false, reason: 'disabled' });
  });

  it('refuses protected settings even to admins', () => {
    for (const path of [
      'authorization.global_users',
      'authorization.room_permissions.lobby',
      'tool_approval.rules[0].action',
      'models.default.base_url',
      'mcp_servers.x.url',
      'quorum.config_admins',
      'agents.calc.tools',
      'mcp_servers.x.env.GITHUB_TOKEN',
    ]) {
      expect(decideConfigEdit(rules, edit(path)), path).toMatchObject({
        isAllowed: false,
        reason: 'protected-path',
      });
    }
  });

  it('refuses a person who is not an admin, however the room is set up', () => {
    expect(
      decideConfigEdit(
        rules,
        edit('agents.calc.model', { userId: '@bob:example.org', isRoomAdmin: true }),
      ),
    ).toMatchObject({ reason: 'not-admin' });
  });

  it("lets a room admin change that room's own entries, from that room only", () => {
    const bob = { userId: '@bob:example.org', isRoomAdmin: true };
    expect(decideConfigEdit(rules, edit('room_models.lobby', bob)).isAllowed).toBe(true);
    expect(
      decideConfigEdit(rules, edit('rooms["#lobby:example.org"].description', bob)).isAllowed,
    ).toBe(true);
    expect(decideConfigEdit(rules, edit('room_models.other', bob))).toMatchObject({
      reason: 'other-room',
    });
    expect(decideConfigEdit(rules, edit('room_models.unknown', bob))).toMatchObject({
      reason: 'other-room',
    });
    expect(
      decideConfigEdit(rules, edit('room_models.lobby', { ...bob, isRoomAdmin: false })),
    ).toMatchObject({ reason: 'not-admin' });
  });

  it('refuses a path that does not parse', () => {
    expect(decideConfigEdit(rules, edit('agents..calc'))).toMatchObject({ reason: 'bad-path' });
  });
});

describe('protectedPathProblem', () => {
  it('finds protected settings below the edited path, before and after', () => {
    expect(protectedPathProblem(['agents', 'calc'], { role: 'x' }, { role: 'y' })).toBeUndefined();
    expect(protectedPathProblem(['agents', 'calc'], { tools: ['a'] }, { role: 'y' })).toContain(
      'agents.calc.tools',
    );
    expect(protectedPathProblem(['agents'], undefined, { x: { tools: [] } })).toContain(
      'agents.x.tools',
    );
    expect(protectedPathProblem(['rooms', 'lobby'], undefined, { token: 'x' })).toContain(
      'rooms.lobby.token',
    );
  });
});
