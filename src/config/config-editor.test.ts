import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConfigEditProposal } from './config-editor.js';
import {
  proposeConfigSet,
  proposeConfigUnset,
  REDACTED_VALUE,
  showConfigPath,
} from './config-editor.js';
import { hashConfigText } from './parse-config.js';

const EXAMPLE = readFileSync(resolve(import.meta.dirname, '../../config.example.yaml'), 'utf8');
const ENV = { OPENAI_API_KEY: 'test-key' };
/** The editing mechanics, without chat's limits (tested in 'chat limits' below). */
const OPERATOR = { origin: 'operator' } as const;

/** A config written with the habits real files have: comments everywhere, blank lines, quotes. */
const CONFIG = `# Team config (hand-written)

models:
  default:
    provider: openai   # the usual
    id: gpt-4o-mini
  fast:
    provider: openai
    id: 'gpt-4o-mini'

agents:
  calc:
    display_name: "Calculator"
    role: Adds numbers.
    model: default
    tools: [calculator]   # only one
    rooms:
      - lobby

      # the second room
      - dev
  notes:
    display_name: Notes
    role: |
      Keeps notes.
      Never forgets.
    rooms: [lobby]

teams:

# people
authorization:
  global_users: ['@alice:example.org']
`;

function accepted(proposal: ConfigEditProposal): Extract<ConfigEditProposal, { ok: true }> {
  if (!proposal.ok) throw new Error(`expected a proposal, got: ${proposal.error}`);
  return proposal;
}

function set(text: string, path: string, value: string): Extract<ConfigEditProposal, { ok: true }> {
  return accepted(proposeConfigSet(text, path, value, ENV, OPERATOR));
}

function unset(text: string, path: string): Extract<ConfigEditProposal, { ok: true }> {
  return accepted(proposeConfigUnset(text, path, ENV, OPERATOR));
}

function refusal(proposal: ConfigEditProposal): string {
  if (proposal.ok) throw new Error(`expected a refusal, got:\n${proposal.diff}`);
  return proposal.error;
}

describe('proposeConfigSet', () => {
  it('replaces a scalar in place, keeping its trailing comment and every other byte', () => {
    const result = set(CONFIG, 'models.default.id', 'gpt-4o');
    expect(result.newText).toBe(CONFIG.replace('    id: gpt-4o-mini\n', '    id: gpt-4o\n'));
    expect(result.validation).toEqual({ isValid: true, issues: [], warnings: [] });
    expect(result.isReformatted).toBe(false);
    expect(result.path).toBe('models.default.id');
  });

  it('keeps a comment on the edited line', () => {
    const result = set(CONFIG, 'agents.calc.tools', '[calculator, current_time]');
    expect(result.newText).toBe(
      CONFIG.replace(
        'tools: [calculator]   # only one',
        'tools: [calculator, current_time]   # only one',
      ),
    );
  });

  it('reads the value as YAML: booleans, numbers, quoted text, lists and maps', () => {
    expect(set(CONFIG, 'agents.calc.markdown', 'false').newText).toContain(
      '    rooms:\n      - lobby\n\n      # the second room\n      - dev\n    markdown: false\n  notes:',
    );
    expect(set(CONFIG, 'agents.calc.num_history_runs', '5').newText).toContain(
      '    num_history_runs: 5\n',
    );
    expect(set(CONFIG, 'agents.calc.role', '"Adds: numbers"').newText).toContain(
      '    role: "Adds: numbers"\n',
    );
    expect(set(CONFIG, 'agents.calc.display_name', 'The Calculator').newText).toContain(
      '    display_name: The Calculator\n',
    );
  });

  it('writes a new mapping in block form under its key', () => {
    const result = set(
      CONFIG,
      'agents.helper',
      '{display_name: Helper, role: Helps., rooms: [lobby]}',
    );
    expect(result.newText).toBe(
      CONFIG.replace(
        '    rooms: [lobby]\n\nteams:',
        '    rooms: [lobby]\n  helper:\n    display_name: Helper\n    role: Helps.\n    rooms: [lobby]\n\nteams:',
      ),
    );
    expect(result.validation.isValid).toBe(true);
  });

  it('creates missing intermediate maps', () => {
    const result = set(CONFIG, 'room_models.lobby', 'fast');
    expect(result.newText).toBe(`${CONFIG}room_models:\n  lobby: fast\n`);
    expect(result.validation.isValid).toBe(true);
  });

  it('fills a key written without a value', () => {
    const result = set(
      CONFIG,
      'teams.pair',
      '{display_name: Pair, role: Both., agents: [calc, notes], rooms: [lobby]}',
    );
    expect(result.newText).toContain(
      '\nteams:\n  pair:\n    display_name: Pair\n    role: Both.\n    agents: [calc, notes]\n    rooms: [lobby]\n\n# people\n',
    );
    expect(result.validation.isValid).toBe(true);
  });

  it('replaces, appends and rewrites list items', () => {
    expect(set(CONFIG, 'agents.calc.rooms[1]', 'science').newText).toBe(
      CONFIG.replace('      - dev\n', '      - science\n'),
    );
    expect(set(CONFIG, 'agents.calc.rooms.2', 'science').newText).toBe(
      CONFIG.replace('      - dev\n', '      - dev\n      - science\n'),
    );
    // A flow list is rewritten whole, on one line.
    expect(set(CONFIG, 'agents.notes.rooms[1]', 'dev').newText).toBe(
      CONFIG.replace('    rooms: [lobby]\n\nteams:', '    rooms: [lobby, dev]\n\nteams:'),
    );
  });

  it('keeps a block list in block form when the whole list is replaced', () => {
    expect(set(CONFIG, 'agents.calc.rooms', '[lobby, science]').newText).toBe(
      CONFIG.replace(
        '      - lobby\n\n      # the second room\n      - dev\n',
        '      - lobby\n      - science\n',
      ),
    );
  });

  it('replaces a block scalar with an inline value', () => {
    expect(set(CONFIG, 'agents.notes.role', 'Keeps notes.').newText).toBe(
      CONFIG.replace(
        '    role: |\n      Keeps notes.\n      Never forgets.\n',
        '    role: Keeps notes.\n',
      ),
    );
  });

  it('takes a single line YAML cannot read as text, as MindRoom does', () => {
    const result = set(CONFIG, 'authorization.global_users[1]', '@bob:example.org');
    expect(result.newText).toContain('global_users: ["@alice:example.org", "@bob:example.org"]');
    expect(result.validation.isValid).toBe(true);
  });

  it('writes multi-line text as one quoted line', () => {
    expect(set(CONFIG, 'agents.calc.role', '"Adds.\\nSubtracts."').newText).toContain(
      '    role: "Adds.\\nSubtracts."\n',
    );
  });

  it('reports validation failures with their line in the new text', () => {
    const result = set(CONFIG, 'agents.calc.model', 'gpt5');
    expect(result.validation.isValid).toBe(false);
    expect(result.validation.issues).toEqual([
      expect.objectContaining({
        path: 'agents.calc.model',
        line: 15,
        message: expect.stringContaining("unknown model 'gpt5'") as string,
      }),
    ]);
  });

  it('shows a minimal unified diff with two lines of context', () => {
    expect(set(CONFIG, 'models.default.id', 'gpt-4o').diff).toBe(
      [
        '@@ -4,5 +4,5 @@',
        '   default:',
        '     provider: openai   # the usual',
        '-    id: gpt-4o-mini',
        '+    id: gpt-4o',
        '   fast:',
        '     provider: openai',
      ].join('\n'),
    );
  });

  it('gives the hashes that applyConfigEdit checks', () => {
    const result = set(CONFIG, 'models.default.id', 'gpt-4o');
    expect(result.oldHash).toBe(hashConfigText(CONFIG));
    expect(result.newHash).toBe(hashConfigText(result.newText));
  });

  it('refuses literal secrets, and accepts environment references', () => {
    expect(
      refusal(proposeConfigSet(CONFIG, 'models.default.api_key', 'hunter2', ENV, OPERATOR)),
    ).toContain("'api_key' must not hold a literal secret");
    expect(
      refusal(
        proposeConfigSet(CONFIG, 'models.fast.extra', '{headers: {token: abc123}}', ENV, OPERATOR),
      ),
    ).toContain('refusing to write models.fast.extra.headers.token');
    expect(
      refusal(
        proposeConfigSet(
          CONFIG,
          'agents.calc.role',
          'sk-' + 'abcdefghijklmnopqrstuvwxyz',
          ENV,
          OPERATOR,
        ),
      ),
    ).toContain('looks like a literal API key');
    const reference = set(CONFIG, 'models.default.api_key', '${OPENAI_API_KEY}');
    expect(reference.newText).toContain('    api_key: "${OPENAI_API_KEY}"\n');
    expect(reference.validation.isValid).toBe(true);
  });

  it('refuses a change that changes nothing', () => {
    expect(refusal(proposeConfigSet(CONFIG, 'agents.calc.model', 'default', ENV, OPERATOR))).toBe(
      'agents.calc.model is already default; nothing to change',
    );
  });

  it('refuses bad paths and values with a sentence saying why', () => {
    expect(refusal(proposeConfigSet(CONFIG, 'agents..calc', 'x', ENV, OPERATOR))).toContain(
      'is not a config path',
    );
    expect(refusal(proposeConfigSet(CONFIG, 'agents.calc.model.id', 'x', ENV, OPERATOR))).toBe(
      'agents.calc.model is a single value, not a map or a list',
    );
    expect(refusal(proposeConfigSet(CONFIG, 'agents.calc.rooms[5]', 'x', ENV, OPERATOR))).toContain(
      'agents.calc.rooms has 2 items',
    );
    expect(
      refusal(proposeConfigSet(CONFIG, 'agents.calc.rooms.first', 'x', ENV, OPERATOR)),
    ).toContain('is a list: name an item by index');
    expect(
      refusal(proposeConfigSet(CONFIG, 'agents.calc.model', '[a, b', ENV, OPERATOR)),
    ).toContain('the value is not valid YAML');
    expect(refusal(proposeConfigSet(CONFIG, 'agents.calc.model', '  ', ENV, OPERATOR))).toContain(
      'give a value',
    );
    expect(refusal(proposeConfigSet(CONFIG, '', 'x', ENV, OPERATOR))).toContain('give a path');
  });

  it('refuses to edit through a YAML alias', () => {
    const text = 'base: &base\n  provider: openai\nmodels:\n  default: *base\n';
    expect(refusal(proposeConfigSet(text, 'models.default.id', 'x', ENV, OPERATOR))).toContain(
      'is a YAML alias (*base)',
    );
  });

  it('refuses to edit a file with YAML errors', () => {
    expect(refusal(proposeConfigSet('a: [1\n', 'a', '2', ENV, OPERATOR))).toContain('YAML errors');
  });

  it('writes into an empty file', () => {
    const result = set('# nothing yet\n', 'models.default', '{provider: openai, id: gpt-4o}');
    expect(result.newText).toBe(
      '# nothing yet\nmodels:\n  default:\n    provider: openai\n    id: gpt-4o\n',
    );
    expect(result.validation.isValid).toBe(true);
  });

  it('keeps CRLF line endings', () => {
    const text = CONFIG.replaceAll('\n', '\r\n');
    const result = set(text, 'agents.calc.timezone', 'UTC');
    expect(result.newText).toBe(
      text.replace('      - dev\r\n', '      - dev\r\n    timezone: UTC\r\n'),
    );
  });

  it('edits inside a flow mapping by rewriting that mapping on one line', () => {
    const text = 'models: {default: {provider: openai, id: a}}  # inline\nagents: {}\n';
    const result = set(text, 'models.default.id', 'b');
    expect(result.newText).toBe(
      'models: {default: {provider: openai, id: b}}  # inline\nagents: {}\n',
    );
  });

  it('re-serialises a layout it cannot splice, and says so', () => {
    const result = set(
      '{models: {default: {provider: openai, id: a}}}\n',
      'models.default.id',
      'b',
    );
    expect(result.isReformatted).toBe(true);
    expect(result.newText).toBe('{models: {default: {provider: openai, id: b}}}\n');
  });

  it('redacts literal secrets already in the file from the diff', () => {
    const text = 'models:\n  default:\n    provider: openai\n    api_key: hunter2\n    id: a\n';
    const result = set(text, 'models.default.id', 'b');
    expect(result.diff).toContain(`     api_key: ${REDACTED_VALUE}`);
    expect(result.diff).not.toContain('hunter2');
    expect(result.newText).toContain('hunter2');
  });

  it('edits every path of the example config without touching other lines', () => {
    for (const [path, value] of [
      ['agents.calc.model', 'default'],
      ['quorum.catch_up_minutes', '30'],
      ['authorization.global_users', "['@bob:example.org']"],
      ['teams.crew.max_turns', '4'],
      ['defaults.markdown', 'false'],
      ['rooms.lobby.description', 'Hello there.'],
    ] as const) {
      const result = set(EXAMPLE, path, value);
      expect(result.isReformatted).toBe(false);
      expect(result.validation.isValid).toBe(true);
      const changed = result.diff.split('\n').filter((line) => /^[-+]/.test(line));
      expect(changed.length).toBeLessThanOrEqual(2);
    }
  });
});

describe('proposeConfigUnset', () => {
  it('removes a key with its value lines, and one separating blank line', () => {
    const result = unset(CONFIG, 'agents.notes');
    expect(result.newText).toBe(
      CONFIG.replace(
        '  notes:\n    display_name: Notes\n    role: |\n      Keeps notes.\n      Never forgets.\n    rooms: [lobby]\n',
        '',
      ),
    );
    expect(result.validation.isValid).toBe(true);
  });

  it('undoes a set byte for byte', () => {
    const added = set(CONFIG, 'agents.calc.timezone', 'UTC');
    expect(unset(added.newText, 'agents.calc.timezone').newText).toBe(CONFIG);
    const appended = set(CONFIG, 'agents.calc.rooms[2]', 'science');
    expect(unset(appended.newText, 'agents.calc.rooms[2]').newText).toBe(CONFIG);
  });

  it('removes a list item', () => {
    expect(unset(CONFIG, 'agents.calc.rooms[0]').newText).toBe(
      CONFIG.replace('      - lobby\n\n', '\n'),
    );
  });

  it('leaves an empty collection when its last entry goes', () => {
    expect(unset(CONFIG, 'authorization.global_users[0]').newText).toBe(
      CONFIG.replace("global_users: ['@alice:example.org']", 'global_users: []'),
    );
    const text =
      'models:\n  default:\n    provider: openai\n    id: x\nrooms:\n  lobby:\n    description: Hi\n';
    expect(unset(text, 'rooms.lobby.description').newText).toBe(
      'models:\n  default:\n    provider: openai\n    id: x\nrooms:\n  lobby: {}\n',
    );
  });

  it('moves the next key up when the first key of a list item goes', () => {
    const text = 'tool_approval:\n  rules:\n    - match: shell*\n      action: require_approval\n';
    expect(unset(text, 'tool_approval.rules[0].match').newText).toBe(
      'tool_approval:\n  rules:\n    - action: require_approval\n',
    );
  });

  it('says when nothing is there', () => {
    expect(refusal(proposeConfigUnset(CONFIG, 'agents.calc.timezone', ENV, OPERATOR))).toBe(
      'nothing is set at agents.calc.timezone',
    );
  });

  it('reports the config it breaks', () => {
    const result = unset(CONFIG, 'models.default');
    expect(result.validation.isValid).toBe(false);
    expect(result.validation.issues.map((issue) => issue.path)).toContain('agents.calc.model');
  });
});

describe('showConfigPath', () => {
  it('shows the YAML at a path with its comments', () => {
    expect(showConfigPath(CONFIG, 'models.default', OPERATOR)).toEqual({
      ok: true,
      path: 'models.default',
      yaml: 'provider: openai # the usual\nid: gpt-4o-mini',
    });
    expect(showConfigPath(CONFIG, 'agents.calc.rooms[1]', OPERATOR)).toEqual({
      ok: true,
      path: 'agents.calc.rooms[1]',
      yaml: '# the second room\ndev',
    });
    expect(showConfigPath(CONFIG, 'teams', OPERATOR)).toEqual({
      ok: true,
      path: 'teams',
      yaml: 'null',
    });
  });

  it('shows the whole file for an empty path', () => {
    const shown = showConfigPath(CONFIG, '', OPERATOR);
    expect(shown.ok && shown.yaml.startsWith('# Team config (hand-written)\n\nmodels:')).toBe(true);
  });

  it('redacts literal secrets but shows environment references', () => {
    const text =
      'models:\n  default:\n    api_key: hunter2\n    id: x\n    base_url: ${URL}\n  other:\n    api_key: ${KEY}\n    note: sk-' +
      'abcdefghijklmnopqrstuvwxyz\n';
    expect(showConfigPath(text, 'models', OPERATOR)).toEqual({
      ok: true,
      path: 'models',
      yaml: `default:\n  api_key: ${REDACTED_VALUE}\n  id: x\n  base_url: \${URL}\nother:\n  api_key: \${KEY}\n  note: ${REDACTED_VALUE}`,
    });
    expect(showConfigPath(text, 'models.default.api_key', OPERATOR)).toEqual({
      ok: true,
      path: 'models.default.api_key',
      yaml: REDACTED_VALUE,
    });
  });

  it('names what exists when the path does not', () => {
    expect(showConfigPath(CONFIG, 'agents.nope', OPERATOR)).toEqual({
      ok: false,
      error: 'nothing is set at agents.nope (agents has: calc, notes)',
    });
    expect(showConfigPath(CONFIG, 'agents.calc.rooms[4]', OPERATOR)).toEqual({
      ok: false,
      error: 'agents.calc.rooms is a list of 2: use an index from 0 to 1',
    });
    expect(showConfigPath(CONFIG, 'agents.calc.model.x', OPERATOR)).toEqual({
      ok: false,
      error: 'agents.calc.model is a single value; there is nothing below it',
    });
  });

  it('follows aliases', () => {
    const text = 'base: &base\n  provider: openai\nmodels:\n  default: *base\n';
    expect(showConfigPath(text, 'models.default.provider', OPERATOR)).toEqual({
      ok: true,
      path: 'models.default.provider',
      yaml: 'openai',
    });
  });
});

describe('chat limits', () => {
  const ENABLED = CONFIG.replace(
    "  global_users: ['@alice:example.org']\n",
    "  global_users: ['@alice:example.org']\n  config_command_enabled: true\n",
  );
  const canary = `CANARY-${Math.random().toString(36).slice(2)}-secret`;
  const SECRET_ENV = {
    ...ENV,
    MATRIX_REGISTRATION_SHARED_SECRET: canary,
    OPENAI_API_KEY: canary,
    HOME: '/home/quorum',
  };

  it('shows and offers nothing while config_command_enabled is off (the default)', () => {
    expect(refusal(proposeConfigSet(CONFIG, 'agents.calc.model', 'fast', ENV))).toContain(
      'config_command_enabled',
    );
    expect(refusal(proposeConfigUnset(CONFIG, 'agents.calc.role', ENV))).toContain(
      'config_command_enabled',
    );
    expect(showConfigPath(CONFIG, 'agents')).toEqual({
      ok: false,
      error: expect.stringContaining('config_command_enabled') as unknown,
    });
    const reference = CONFIG.replace('id: gpt-4o-mini', 'id: x').replace(
      "  global_users: ['@alice:example.org']\n",
      "  global_users: ['@alice:example.org']\n  config_command_enabled: ${ENABLE}\n",
    );
    // Only a literal `true` turns it on: a reference is not even read.
    expect(
      refusal(proposeConfigSet(reference, 'agents.calc.model', 'fast', { ENABLE: 'true' })),
    ).toContain('config_command_enabled');
  });

  it('offers an ordinary change once enabled', () => {
    const proposal = accepted(proposeConfigSet(ENABLED, 'agents.calc.model', 'fast', ENV));
    expect(proposal.validation.isValid).toBe(true);
  });

  it.each([
    ['a plain reference', 'agents.calc.model', '${MATRIX_REGISTRATION_SHARED_SECRET}'],
    ['a reference inside text', 'agents.calc.role', '"Secret: ${OPENAI_API_KEY}"'],
    ['a fallback reference', 'agents.calc.role', '${HOME:-x}'],
    ['an escaped reference', 'agents.calc.role', '$${HOME}'],
    ['a reference in a list', 'agents.calc.rooms', '[lobby, "${HOME}"]'],
    ['a reference as a key', 'agents.calc', '{"${HOME}": 1}'],
    ['a YAML-escaped reference', 'agents.calc.role', '"\\x24{OPENAI_API_KEY}"'],
    ['a unicode-escaped reference', 'agents.calc.role', '"\\u0024\\u007bHOME}"'],
  ])('refuses %s without reading the environment', (_what, path, value) => {
    const reads: string[] = [];
    const env = new Proxy(SECRET_ENV, {
      get(target, key: string) {
        reads.push(key);
        return target[key as keyof typeof target];
      },
    });
    const result = proposeConfigSet(ENABLED, path, value, env);
    expect(result.ok).toBe(false);
    expect(refusal(result)).toContain('environment references');
    expect(JSON.stringify(result)).not.toContain(canary);
    expect(reads).toEqual([]);
  });

  it('refuses a reference in the path', () => {
    expect(refusal(proposeConfigSet(ENABLED, 'rooms.${HOME}', 'x', ENV))).toContain(
      'environment references',
    );
    expect(refusal(proposeConfigUnset(ENABLED, 'rooms["${HOME}"]', ENV))).toContain(
      'environment references',
    );
  });

  it.each([
    ['authorization.global_users', '["@mallory:example.org"]'],
    ['authorization.config_command_enabled', 'false'],
    ['tool_approval.default', 'auto_approve'],
    ['models.default.base_url', 'https://evil.example/v1'],
    ['models.fast', '{provider: openai, id: x}'],
    ['mcp_servers.x', '{transport: stdio, command: sh}'],
    ['quorum.max_agent_hops', '50'],
    ['memory.backend', 'none'],
    ['knowledge_bases.etc', '{path: /etc}'],
    ['bot_accounts', '["@me:example.org"]'],
    ['agents.calc.tools', '[calculator, matrix_message]'],
    ['agents.notes.include_default_tools', 'true'],
    ['defaults.tools', '[matrix_message]'],
    ['agents.calc', '{display_name: C, tools: [matrix_message]}'],
    ['agents.new', '{display_name: N, knowledge_bases: [etc]}'],
    ['agents.calc.api_key', 'x'],
  ])('never changes %s from chat', (path, value) => {
    expect(refusal(proposeConfigSet(ENABLED, path, value, ENV))).toContain(
      'can only be changed in config.yaml',
    );
  });

  it('refuses to unset a protected setting, or a map holding one', () => {
    expect(refusal(proposeConfigUnset(ENABLED, 'authorization.global_users', ENV))).toContain(
      'can only be changed',
    );
    // Removing `agents.calc` would remove its `tools` too.
    expect(refusal(proposeConfigUnset(ENABLED, 'agents.calc', ENV))).toContain('agents.calc.tools');
    expect(accepted(proposeConfigUnset(ENABLED, 'agents.notes', ENV)).validation.isValid).toBe(
      true,
    );
  });

  it('shows references as written in !config show, never their values', () => {
    const text = ENABLED.replace('id: gpt-4o-mini', 'id: ${QUORUM_MODEL:-gpt-4o-mini}');
    const shown = showConfigPath(text, 'models.default');
    expect(shown.ok && shown.yaml).toContain('${QUORUM_MODEL:-gpt-4o-mini}');
  });

  it('reports validation problems of a change with references shown as written', () => {
    // The file's own reference is used by validation; its value never appears on the card.
    const text = ENABLED.replace('id: gpt-4o-mini', 'id: ${QUORUM_MODEL}');
    const proposal = accepted(
      proposeConfigSet(text, 'agents.calc.model', 'nope', { ...SECRET_ENV, QUORUM_MODEL: canary }),
    );
    expect(proposal.validation.isValid).toBe(false);
    expect(JSON.stringify(proposal)).not.toContain(canary);
  });
});
