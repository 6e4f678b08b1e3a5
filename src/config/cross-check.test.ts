import { describe, expect, it } from 'vitest';
import type { ConfigIssue, ConfigWarning } from './issues.js';
import { parseConfig } from './parse-config.js';

const MODELS = `models:
  default: {provider: openai, id: gpt-test}
  fast: {provider: groq, id: llama-fast}
`;

function issuesOf(text: string): readonly ConfigIssue[] {
  const result = parseConfig(text, { env: {} });
  if (result.ok) throw new Error('expected the config to be rejected');
  return result.issues;
}

function pathsAndMessages(text: string): [string, string][] {
  return issuesOf(text).map((issue) => [issue.path, issue.message]);
}

function warningsOf(text: string): readonly ConfigWarning[] {
  const result = parseConfig(text, { env: {} });
  if (!result.ok)
    throw new Error(`expected a valid config:\n${JSON.stringify(result.issues, null, 2)}`);
  return result.warnings;
}

describe('entity names', () => {
  it('requires lowercase Matrix localpart material, at the key', () => {
    const text = `${MODELS}agents:\n  MyAgent: {display_name: A}\n  'a b': {display_name: B}\n`;
    expect(issuesOf(text)).toEqual([
      {
        path: 'agents.MyAgent',
        message:
          "'MyAgent' is not a valid name: names become Matrix user ids, so use lowercase a-z, 0-9 and ._=-; use 'myagent'",
        line: 5,
        column: 3,
      },
      expect.objectContaining({ path: 'agents["a b"]', line: 6, column: 3 }),
    ]);
  });

  it('reserves router and keeps agent and team names distinct', () => {
    const text = `${MODELS}agents:\n  router: {display_name: R}\n  calc: {display_name: C}\nteams:\n  calc: {display_name: T, agents: [calc]}\n`;
    expect(pathsAndMessages(text)).toEqual([
      ['agents.router', "'router' is reserved for the router"],
      ['teams.calc', "'calc' is both an agent and a team; names must be distinct"],
    ]);
  });
});

describe('model references', () => {
  it('requires named models to exist, for agents, teams, the router and room_models', () => {
    const text = `${MODELS}agents:\n  a: {display_name: A, model: gpt9}\nteams:\n  t: {display_name: T, agents: [a], model: nope}\nrouter:\n  model: missing\nroom_models:\n  lobby: ghost\n`;
    expect(pathsAndMessages(text)).toEqual([
      ['agents.a.model', "unknown model 'gpt9'; defined models: default, fast"],
      ['teams.t.model', "unknown model 'nope'; defined models: default, fast"],
      ['router.model', "unknown model 'missing'; defined models: default, fast"],
      ['room_models.lobby', "unknown model 'ghost'; defined models: default, fast"],
    ]);
  });

  it("explains the implicit 'default' model when an entity names none", () => {
    const text = `models:\n  fast: {provider: groq, id: x}\nrouter: {model: fast}\nagents:\n  a: {display_name: A}\n`;
    expect(issuesOf(text)).toEqual([
      {
        path: 'agents.a.model',
        message:
          "uses the model 'default' (the model used when none is set), but models has no 'default'; defined models: fast",
        line: 5,
        column: 3,
      },
    ]);
  });
});

describe('failover', () => {
  it('accepts a name or a list of existing models', () => {
    const text = `models:\n  default: {provider: openai, id: a, failover: fast}\n  fast: {provider: groq, id: b, failover: [slow]}\n  slow: {provider: ollama, id: c}\n`;
    const result = parseConfig(text, { env: {} });
    expect(result.ok && result.config.models['default']?.failover).toEqual(['fast']);
  });

  it('rejects unknown targets, self-references and cycles', () => {
    const text = `models:\n  default: {provider: openai, id: a, failover: [b]}\n  b: {provider: openai, id: b, failover: [c, nope]}\n  c: {provider: openai, id: c, failover: [default]}\n  d: {provider: openai, id: d, failover: d}\n`;
    expect(pathsAndMessages(text)).toEqual([
      ['models.b.failover[1]', "unknown model 'nope'; defined models: default, b, c, d"],
      ['models.c.failover', 'failover cycle: default → b → c → default'],
      ['models.d.failover[0]', 'a model cannot fail over to itself'],
    ]);
  });
});

describe('providers', () => {
  it('rejects a provider Quorum cannot reach when an entity uses it, even through failover', () => {
    const text = `models:\n  default: {provider: openai, id: a, failover: cx}\n  cx: {provider: codex, id: gpt}\n`;
    expect(pathsAndMessages(text)).toEqual([
      [
        'models.cx.provider',
        "provider 'codex' is not supported by Quorum yet, and router (through failover) uses this model",
      ],
    ]);
  });

  it('only warns about an unreachable provider nobody uses', () => {
    const text = `models:\n  default: {provider: openai, id: a}\n  az: {provider: azure, id: deployment}\n`;
    expect(warningsOf(text)).toEqual([
      expect.objectContaining({
        path: 'models.az.provider',
        message: "provider 'azure' is not supported by Quorum yet (this model is not used)",
      }),
    ]);
  });

  it('rejects provider names MindRoom does not know either', () => {
    expect(issuesOf(`models:\n  default: {provider: skynet, id: a}\n`)[0]?.path).toBe(
      'models.default.provider',
    );
  });
});

describe('teams and agent references', () => {
  it('requires team members to be existing agents', () => {
    const text = `${MODELS}agents:\n  a: {display_name: A}\nteams:\n  t1: {display_name: T, agents: [a, ghost, t2]}\n  t2: {display_name: T, agents: [a, a]}\n`;
    expect(pathsAndMessages(text)).toEqual([['teams.t2.agents', 'duplicate team members: a']]);
    const members = `${MODELS}agents:\n  a: {display_name: A}\nteams:\n  t1: {display_name: T, agents: [a, ghost, t2]}\n  t2: {display_name: T, agents: [a]}\n`;
    expect(pathsAndMessages(members)).toEqual([
      ['teams.t1.agents[1]', "unknown agent 'ghost'"],
      ['teams.t1.agents[2]', "'t2' is a team; team members must be agents"],
    ]);
  });

  it('requires knowledge bases and MCP servers that agents use to exist', () => {
    const text = `${MODELS}agents:\n  a:\n    display_name: A\n    knowledge_bases: [docs]\n    tools: [calculator, mcp_github]\n`;
    expect(pathsAndMessages(text)).toEqual([
      ['agents.a.knowledge_bases[0]', "unknown knowledge base 'docs'"],
      [
        'agents.a.tools[1]',
        "tool 'mcp_github' of agent 'a' needs an MCP server 'github' in mcp_servers (none is configured)",
      ],
    ]);
  });
});

describe('rooms', () => {
  it('accepts room names, full aliases and room ids', () => {
    const text = `${MODELS}agents:\n  a: {display_name: A, rooms: [lobby, '#dev:example.org', '!opaque', '!abc:example.org']}\n`;
    expect(parseConfig(text, { env: {} }).ok).toBe(true);
  });

  it('checks room keys of room_models, rooms and room_permissions', () => {
    const text = `${MODELS}room_models:\n  'not a room': fast\nrooms:\n  '#dev:example.org': {display_name: Dev}\nauthorization:\n  room_permissions:\n    'bad room': ['@a:example.org']\n`;
    expect(issuesOf(text).map((issue) => issue.path)).toEqual([
      'room_models["not a room"]',
      'rooms["#dev:example.org"]',
      'authorization.room_permissions["bad room"]',
    ]);
  });
});

describe('authorization', () => {
  it('requires reply-permission keys to be entities and joined_rooms to be configured rooms', () => {
    const text = `${MODELS}agents:\n  a: {display_name: A, rooms: [lobby]}\nauthorization:\n  agent_reply_permissions:\n    '*': ['@a:example.org']\n    router: {users: ['*']}\n    a: {joined_rooms: [lobby, attic]}\n    ghost: ['@b:example.org']\n`;
    expect(pathsAndMessages(text)).toEqual([
      [
        'authorization.agent_reply_permissions.a.joined_rooms[1]',
        "'attic' is not a room name configured for an agent, a team or in rooms",
      ],
      ['authorization.agent_reply_permissions.ghost', "unknown agent or team 'ghost' (or use '*')"],
    ]);
  });

  it('requires Matrix user ids', () => {
    const text = `${MODELS}authorization:\n  global_users: [alice]\nbot_accounts: ['@bridge']\n`;
    expect(issuesOf(text).map((issue) => issue.path)).toEqual([
      'authorization.global_users[0]',
      'bot_accounts[0]',
    ]);
  });
});

describe('other blocks', () => {
  it('validates the time zone against IANA names', () => {
    expect(parseConfig(`${MODELS}timezone: America/Los_Angeles\n`, { env: {} }).ok).toBe(true);
    expect(issuesOf(`${MODELS}timezone: Mars/Olympus\n`)[0]?.path).toBe('timezone');
    expect(issuesOf(`${MODELS}timezone: '+01:00'\n`)[0]?.path).toBe('timezone');
  });

  it('checks MCP server shapes per transport', () => {
    const text = `${MODELS}mcp_servers:\n  local:\n    transport: stdio\n    url: http://x\n  remote:\n    transport: sse\n    command: run\n  'bad-id':\n    transport: stdio\n    command: x\n`;
    expect(pathsAndMessages(text)).toEqual([
      ['mcp_servers.local.command', 'stdio MCP servers require a command'],
      ['mcp_servers.local.url', 'stdio MCP servers do not allow url'],
      ['mcp_servers.remote.url', 'sse MCP servers require a url'],
      ['mcp_servers.remote.command', 'sse MCP servers do not allow command'],
    ]);
    expect(
      issuesOf(`${MODELS}mcp_servers:\n  'bad-id': {transport: stdio, command: x}\n`)[0]?.path,
    ).toBe('mcp_servers.bad-id');
  });

  it('checks knowledge base chunking and ids', () => {
    const text = `${MODELS}knowledge_bases:\n  docs: {chunk_size: 200, chunk_overlap: 200}\n`;
    expect(pathsAndMessages(text)).toEqual([
      ['knowledge_bases.docs.chunk_overlap', 'chunk_overlap must be smaller than chunk_size'],
    ]);
    expect(issuesOf(`${MODELS}knowledge_bases:\n  'a/b': {}\n`)[0]?.path).toBe(
      'knowledge_bases["a/b"]',
    );
  });
});
