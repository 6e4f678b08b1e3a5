import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EntitySpec, RouterSpec, TeamSpec } from './entity-spec.js';
import { parseConfig } from './parse-config.js';
import { resolveEntitySpecs } from './resolve-entities.js';
import type { QuorumConfig } from './schema.js';

const FIXTURES = resolve(import.meta.dirname, '../../test/fixtures/config');
const mindroomStyle = readFileSync(resolve(FIXTURES, 'mindroom-style.yaml'), 'utf8');
const SERVER = 'example.org';

function configOf(text: string, env: Record<string, string> = {}): QuorumConfig {
  const result = parseConfig(text, { env });
  if (!result.ok) throw new Error(JSON.stringify(result.issues, null, 2));
  return result.config;
}

function specsOf(text: string, env: Record<string, string> = {}): readonly EntitySpec[] {
  return resolveEntitySpecs(configOf(text, env), { serverName: SERVER });
}

function find<K extends EntitySpec['kind']>(specs: readonly EntitySpec[], kind: K, name: string) {
  const spec = specs.find((s) => s.kind === kind && s.name === name);
  if (spec === undefined) throw new Error(`no ${kind} ${name}`);
  return spec as Extract<EntitySpec, { kind: K }>;
}

function fingerprints(specs: readonly EntitySpec[]): Map<string, string> {
  return new Map(specs.map((spec) => [`${spec.kind}:${spec.name}`, spec.fingerprint]));
}

/** Entities whose fingerprint differs between two resolutions. */
function changed(before: string, after: string): string[] {
  const a = fingerprints(specsOf(before));
  const b = fingerprints(specsOf(after));
  return [...b.keys()].filter((key) => a.get(key) !== b.get(key)).sort();
}

const BASE = `models:
  default: {provider: openai, id: gpt-a, temperature: 0.2}
  shared: {provider: anthropic, id: claude-x}
  other: {provider: groq, id: llama}
router:
  model: other
agents:
  a1: {display_name: A1, model: shared, rooms: [lobby]}
  a2: {display_name: A2, model: shared, rooms: [lobby, dev]}
  a3: {display_name: A3, rooms: [dev], markdown: false}
teams:
  t: {display_name: T, agents: [a1, a2], model: other, rooms: [dev]}
`;

describe('resolveEntitySpecs', () => {
  it('yields the router, then agents, then teams, each by name', () => {
    const specs = specsOf(mindroomStyle);
    expect(specs.map((spec) => `${spec.kind}:${spec.name}`)).toEqual([
      'router:router',
      'agent:helper',
      'agent:mathbot',
      'agent:writer',
      'team:duo',
    ]);
  });

  it('derives localparts from the prefix, which the config can change', () => {
    expect(specsOf(BASE).map((spec) => spec.localpart)).toEqual([
      'quorum_router',
      'quorum_a1',
      'quorum_a2',
      'quorum_a3',
      'quorum_t',
    ]);
    const prefixed = specsOf(`${BASE}quorum:\n  localpart_prefix: qa_\n`);
    expect(prefixed.map((spec) => spec.localpart)).toContain('qa_router');
    expect(prefixed.map((spec) => spec.localpart)).toContain('qa_a1');
  });

  it('normalises rooms to aliases on the server, keeps aliases and ids, sorted and unique', () => {
    const specs = specsOf(
      BASE.replace(
        'rooms: [lobby, dev]',
        `rooms: [lobby, '#lobby:${SERVER}', '!xyz:elsewhere', '#ext:other.org']`,
      ),
    );
    expect(find(specs, 'agent', 'a2').rooms).toEqual([
      `!xyz:elsewhere`,
      '#ext:other.org',
      `#lobby:${SERVER}`,
    ]);
  });

  it('resolves the model with provider settings and the failover chain', () => {
    const text = `models:
  default:
    provider: openai
    id: gpt-a
    extra_kwargs: {base_url: 'http://llm.local/v1', temperature: 0.5, max_tokens: 900, top_p: 0.9}
    failover: [local, cloud]
  local: {provider: ollama, id: llama3.2, host: 'http://gpu:11434', failover: [cloud]}
  cloud: {provider: openrouter, id: some/model, max_tokens: 100, context_window: 8000}
agents:
  a: {display_name: A}
`;
    const agent = find(specsOf(text), 'agent', 'a');
    expect(agent.model).toEqual({
      name: 'default',
      provider: 'openai',
      wire: 'openai',
      id: 'gpt-a',
      baseUrl: 'http://llm.local/v1',
      apiKeyEnv: 'OPENAI_API_KEY',
      apiKey: undefined,
      temperature: 0.5,
      maxTokens: 900,
      contextWindow: undefined,
      extraKwargs: { top_p: 0.9 },
      failover: [
        expect.objectContaining({
          name: 'local',
          wire: 'openai',
          baseUrl: 'http://gpu:11434/v1',
          apiKeyEnv: undefined,
        }),
        expect.objectContaining({
          name: 'cloud',
          baseUrl: 'https://openrouter.ai/api/v1',
          apiKeyEnv: 'OPENROUTER_API_KEY',
          maxTokens: 100,
          contextWindow: 8000,
        }),
      ],
    });
  });

  it('prefers base_url over extra_kwargs.base_url, and carries an API key set through ${NAME}', () => {
    const text = `models:\n  default:\n    provider: anthropic\n    id: c\n    base_url: 'https://proxy/v1'\n    api_key: \${KEY}\n    extra_kwargs: {base_url: 'http://ignored'}\n`;
    const router = find(specsOf(text, { KEY: 'secret' }), 'router', 'router');
    expect(router.model).toMatchObject({
      wire: 'anthropic',
      baseUrl: 'https://proxy/v1',
      apiKey: 'secret',
    });
  });

  it('applies room_models to the entities in that room', () => {
    const specs = specsOf(`${BASE}room_models:\n  dev: default\n  '!elsewhere:x': shared\n`);
    expect(Object.keys(find(specs, 'agent', 'a1').roomModels)).toEqual([]);
    expect(find(specs, 'agent', 'a2').roomModels[`#dev:${SERVER}`]?.id).toBe('gpt-a');
    expect(Object.keys(find(specs, 'router', 'router').roomModels)).toEqual([`#dev:${SERVER}`]);
  });

  it('merges defaults: markdown and history inherit unless the agent overrides them', () => {
    const specs = specsOf(
      `${BASE.replace('a1: {display_name: A1,', 'a1: {display_name: A1, num_history_messages: 12,')}defaults:\n  markdown: true\n  num_history_runs: 4\n  enable_streaming: false\n  show_stop_button: false\n`,
    );
    const a1 = find(specs, 'agent', 'a1');
    const a2 = find(specs, 'agent', 'a2');
    const a3 = find(specs, 'agent', 'a3');
    expect([a1.markdown, a2.markdown, a3.markdown]).toEqual([true, true, false]);
    expect(a1.history).toEqual({ mode: 'messages', limit: 12 });
    expect(a2.history).toEqual({ mode: 'runs', limit: 4 });
    expect([a2.enableStreaming, a2.showStopButton]).toEqual([false, false]);
    expect(find(specs, 'team', 't').history).toEqual({ mode: 'runs', limit: 4 });
    expect(find(specsOf(BASE), 'agent', 'a2').history).toEqual({ mode: 'all' });
  });

  it("appends defaults.tools after the agent's own, unless it opts out", () => {
    const text = `${BASE.replace('a1: {display_name: A1,', 'a1: {display_name: A1, tools: [{shell: {timeout_seconds: 1}}, calculator],').replace('a3: {display_name: A3,', 'a3: {display_name: A3, include_default_tools: false,')}defaults:\n  tools: [shell, current_time]\n`;
    const specs = specsOf(text);
    expect(find(specs, 'agent', 'a1').tools).toEqual([
      { name: 'shell', overrides: { timeout_seconds: 1 } },
      { name: 'calculator', overrides: {} },
      { name: 'current_time', overrides: {} },
    ]);
    expect(find(specs, 'agent', 'a3').tools).toEqual([]);
  });

  it('gives an agent the knowledge bases and MCP servers it uses', () => {
    const text = `${BASE.replace('a1: {display_name: A1,', 'a1: {display_name: A1, knowledge_bases: [docs], tools: [mcp_files],')}knowledge_bases:\n  docs: {path: ./docs}\n  unused: {}\nmcp_servers:\n  files: {transport: stdio, command: files-mcp}\n  web: {transport: sse, url: 'http://x/sse'}\n`;
    const a1 = find(specsOf(text), 'agent', 'a1');
    expect(Object.keys(a1.knowledgeBases)).toEqual(['docs']);
    expect(a1.mcpServerIds).toEqual(['files']);
  });

  it("gives a team its members' thread mode only when they agree", () => {
    const agree = BASE.replace(/(a[12]: \{display_name: A[12],)/g, '$1 thread_mode: room,');
    expect(find(specsOf(agree), 'team', 't').threadMode).toBe('room');
    const disagree = BASE.replace(
      'a1: {display_name: A1,',
      'a1: {display_name: A1, thread_mode: room,',
    );
    expect(find(specsOf(disagree), 'team', 't')).toMatchObject<Partial<TeamSpec>>({
      threadMode: 'thread',
      members: ['a1', 'a2'],
      mode: 'coordinate',
      maxTurns: 8,
      maxTokens: 32_000,
    });
  });

  it('gives the router every room, the routing table, the rooms to create and authorization', () => {
    const text = `${BASE}rooms:\n  lobby: {display_name: The Lobby, description: Say hi, encrypted: true}\n  quiet: {}\nauthorization:\n  global_users: ['@alice:${SERVER}', '@*:partner.org']\n  room_permissions:\n    dev: ['@bob:${SERVER}']\n  agent_reply_permissions:\n    a1: {joined_rooms: [lobby]}\nbot_accounts: ['@bridge:${SERVER}']\nquorum:\n  allow_federation: true\n`;
    const router = find(specsOf(text), 'router', 'router');
    expect(router.rooms).toEqual([`#dev:${SERVER}`, `#lobby:${SERVER}`, `#quiet:${SERVER}`]);
    expect(router.routes.map((route) => `${route.kind}:${route.name}`)).toEqual([
      'agent:a1',
      'agent:a2',
      'agent:a3',
      'team:t',
    ]);
    expect(router.routes[1]).toEqual({
      kind: 'agent',
      name: 'a2',
      localpart: 'quorum_a2',
      displayName: 'A2',
      role: '',
      rooms: [`#dev:${SERVER}`, `#lobby:${SERVER}`],
    });
    expect(router.managedRooms).toEqual([
      { alias: `#dev:${SERVER}`, key: 'dev', name: 'dev', topic: '', isEncrypted: false },
      {
        alias: `#lobby:${SERVER}`,
        key: 'lobby',
        name: 'The Lobby',
        topic: 'Say hi',
        isEncrypted: true,
      },
      { alias: `#quiet:${SERVER}`, key: 'quiet', name: 'quiet', topic: '', isEncrypted: false },
    ]);
    expect(router.authorization).toEqual<RouterSpec['authorization']>({
      globalUsers: [`@alice:${SERVER}`],
      globalUserPatterns: ['@*:partner.org'],
      roomPermissions: { [`#dev:${SERVER}`]: [`@bob:${SERVER}`] },
      defaultRoomAccess: false,
      allowFederation: true,
      aliases: {},
      agentReplyPermissions: { a1: { users: [], joinedRooms: [`#lobby:${SERVER}`] } },
    });
    expect(router.botAccounts).toEqual([`@bridge:${SERVER}`]);
  });

  it('returns deeply frozen specs', () => {
    const agent = find(specsOf(BASE), 'agent', 'a1');
    expect(Object.isFrozen(agent)).toBe(true);
    expect(Object.isFrozen(agent.model.failover)).toBe(true);
  });
});

describe('fingerprints', () => {
  it('are stable across key order in the file', () => {
    const reordered = BASE.replace(
      'a1: {display_name: A1, model: shared, rooms: [lobby]}',
      'a1: {rooms: [lobby], model: shared, display_name: A1}',
    );
    expect(changed(BASE, reordered)).toEqual([]);
  });

  it('change for exactly the two agents when the model they share changes', () => {
    const edited = BASE.replace(
      'shared: {provider: anthropic, id: claude-x}',
      'shared: {provider: anthropic, id: claude-y}',
    );
    expect(changed(BASE, edited)).toEqual(['agent:a1', 'agent:a2']);
  });

  it('change for the entities that inherit a default, not for one that overrides it', () => {
    expect(changed(BASE, `${BASE}defaults:\n  markdown: false\n`)).toEqual([
      'agent:a1',
      'agent:a2',
      'team:t',
    ]);
  });

  it('change for every responder when a global behaviour default changes', () => {
    expect(changed(BASE, `${BASE}defaults:\n  enable_streaming: false\n`)).toEqual([
      'agent:a1',
      'agent:a2',
      'agent:a3',
      'team:t',
    ]);
  });

  it("change for the router when an entity's role or rooms change", () => {
    const edited = BASE.replace(
      'a3: {display_name: A3,',
      "a3: {display_name: A3, role: 'Writes.',",
    );
    expect(changed(BASE, edited)).toEqual(['agent:a3', 'router:router']);
  });

  it('change for the router only when authorization changes', () => {
    expect(changed(BASE, `${BASE}authorization:\n  default_room_access: true\n`)).toEqual([
      'router:router',
    ]);
  });

  it('change for the agent whose knowledge base changes', () => {
    const base = `${BASE.replace('a1: {display_name: A1,', 'a1: {display_name: A1, knowledge_bases: [docs],')}knowledge_bases:\n  docs: {path: ./docs}\n`;
    expect(changed(base, base.replace('path: ./docs', 'path: ./manuals'))).toEqual(['agent:a1']);
  });
});
