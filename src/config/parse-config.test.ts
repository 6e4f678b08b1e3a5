import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConfigIssue } from './issues.js';
import type { ConfigParseResult } from './parse-config.js';
import { parseConfig } from './parse-config.js';
import type { QuorumConfig } from './schema.js';

const FIXTURES = resolve(import.meta.dirname, '../../test/fixtures/config');
const mindroomStyle = readFileSync(resolve(FIXTURES, 'mindroom-style.yaml'), 'utf8');

const MINIMAL = `models:
  default:
    provider: openai
    id: gpt-test
`;

function parse(text: string, env: Record<string, string> = {}): ConfigParseResult {
  return parseConfig(text, { env });
}

function valid(text: string, env: Record<string, string> = {}): QuorumConfig {
  const result = parse(text, env);
  if (!result.ok)
    throw new Error(`expected a valid config, got:\n${JSON.stringify(result.issues, null, 2)}`);
  return result.config;
}

function issuesOf(text: string): readonly ConfigIssue[] {
  const result = parse(text);
  if (result.ok) throw new Error('expected the config to be rejected');
  return result.issues;
}

/** 1-based line and column of the first occurrence of `needle` in `text`. */
function positionOf(text: string, needle: string): { line: number; column: number } {
  const offset = text.indexOf(needle);
  if (offset === -1) throw new Error(`not in text: ${needle}`);
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: (before[before.length - 1] ?? '').length + 1 };
}

describe('parseConfig', () => {
  it('accepts a MindRoom-format config and fills in its settings', () => {
    const config = valid(mindroomStyle);
    expect(Object.keys(config.agents)).toEqual(['helper', 'mathbot', 'writer']);
    expect(config.agents['helper']?.model).toBe('sonnet');
    expect(config.agents['writer']?.model).toBe('default');
    expect(config.agents['mathbot']?.tools).toEqual([
      { name: 'calculator', overrides: {} },
      { name: 'shell', overrides: { enable_run_shell_command: true } },
    ]);
    expect(config.teams['duo']?.mode).toBe('collaborate');
    expect(config.models['local']?.host).toBe('http://ollama.local:11434');
    expect(config.models['default']?.extra_kwargs).toEqual({ base_url: 'http://llm.local/v1' });
    expect(config.room_models).toEqual({ science: 'cheap' });
    expect(config.memory.backend).toBe('file');
    expect(config.knowledge_bases['docs']?.watch).toBe(false);
    expect(config.timezone).toBe('Europe/Amsterdam');
    expect(config.bot_accounts).toEqual(['@telegram:example.org']);
  });

  it("applies MindRoom's defaults to what the file leaves out", () => {
    const config = valid(
      `${MINIMAL}agents:\n  a:\n    display_name: A\nteams:\n  t:\n    display_name: T\n    agents: [a]\n`,
    );
    const agent = config.agents['a'];
    expect(agent).toMatchObject({
      role: '',
      model: 'default',
      instructions: [],
      rooms: [],
      tools: [],
      accept_invites: true,
      include_default_tools: true,
      thread_mode: 'thread',
      markdown: null,
      num_history_runs: null,
    });
    expect(config.teams['t']).toMatchObject({
      mode: 'coordinate',
      model: 'default',
      max_turns: 8,
      max_tokens: 32_000,
    });
    expect(config.router).toEqual({ model: 'default', accept_invites: true });
    expect(config.defaults).toMatchObject({
      markdown: true,
      enable_streaming: true,
      show_stop_button: true,
      show_tool_calls: true,
      num_history_runs: null,
      tools: [],
      streaming: {
        update_interval: 5,
        min_update_interval: 0.5,
        interval_ramp_seconds: 15,
        max_idle: 2,
      },
    });
    expect(config.authorization).toMatchObject({ global_users: [], default_room_access: false });
    expect(config.tool_approval).toEqual({ default: 'auto_approve', timeout_days: 7, rules: [] });
    expect(config.timezone).toBe('UTC');
    expect(config.quorum).toEqual({
      catch_up_minutes: 15,
      shutdown_deadline_seconds: 10,
      localpart_prefix: 'quorum_',
      allow_federation: false,
      ask_user_timeout_minutes: 1_440,
      config_confirmation_minutes: 1_440,
      limits: {
        turns_per_user: 5,
        turns_per_room: 10,
        queued_turns_per_room: 20,
        messages_per_minute_per_user: 20,
        max_prompt_bytes: 200_000,
        max_tool_calls_per_step: 8,
      },
      schedule_catch_up_minutes: 1_440,
      max_schedules_per_user: 50,
      max_schedules_per_room: 100,
      schedule_min_interval_seconds: 60,
      schedule_max_days_ahead: 731,
      mcp_server: {
        enabled: false,
        host: '127.0.0.1',
        port: 8766,
        path: '/mcp',
        token: null,
        agents: null,
        max_concurrent_calls: 4,
        call_timeout_seconds: 600,
      },
      config_admins: null,
      secret_env: [],
      max_agent_hops: 3,
      thread_token_budget: null,
      include_untrusted_history: false,
    });
  });

  it('takes instructions as a single string or a list', () => {
    const config = valid(
      `${MINIMAL}agents:\n  a: {display_name: A, instructions: Be brief.}\n  b: {display_name: B, instructions: [x, y]}\n`,
    );
    expect(config.agents['a']?.instructions).toEqual(['Be brief.']);
    expect(config.agents['b']?.instructions).toEqual(['x', 'y']);
  });

  it("normalizes MindRoom's three tool entry forms", () => {
    const config = valid(
      `${MINIMAL}agents:\n  a:\n    display_name: A\n    tools:\n      - calculator\n      - shell: {timeout_seconds: 5}\n      - {name: file, overrides: {enable_delete_file: true}, defer: true}\n`,
    );
    expect(config.agents['a']?.tools).toEqual([
      { name: 'calculator', overrides: {} },
      { name: 'shell', overrides: { timeout_seconds: 5 } },
      { name: 'file', overrides: { enable_delete_file: true } },
    ]);
  });

  it('returns a deeply frozen snapshot', () => {
    const config = valid(mindroomStyle);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.agents['helper']?.instructions)).toBe(true);
    expect(Object.isFrozen(config.models['default']?.extra_kwargs)).toBe(true);
    expect(() => {
      (config.agents['helper']?.instructions as string[]).push('mutated');
    }).toThrow(TypeError);
  });

  it('treats top-level sections written as null like absent ones', () => {
    const config = valid(`${MINIMAL}agents:\nteams:\nroom_models:\nplugins:\n`);
    expect(config.agents).toEqual({});
    expect(config.teams).toEqual({});
  });

  it('reports YAML syntax errors with line and column', () => {
    const text = `${MINIMAL}timezone: UTC: again\n`;
    const [issue] = issuesOf(text);
    expect(issue?.message).toMatch(/^YAML syntax error: /);
    expect(issue).toMatchObject({ path: '', line: 5 });
  });

  it('reports a duplicate key at the repeated key', () => {
    const text = `${MINIMAL}timezone: UTC\ntimezone: Europe/Paris\n`;
    expect(issuesOf(text)).toEqual([
      expect.objectContaining({
        line: 6,
        column: 1,
        message: expect.stringContaining('unique') as unknown,
      }),
    ]);
  });

  it("rejects MindRoom's !include tags with their position", () => {
    const text = `${MINIMAL}agents: !include agents.yaml\n`;
    expect(issuesOf(text)).toEqual([
      expect.objectContaining({
        ...positionOf(text, '!include'),
        message: expect.stringContaining('!include') as unknown,
      }),
    ]);
  });

  it('rejects a file that is not a mapping', () => {
    expect(issuesOf('- just\n- a list\n')).toEqual([
      { path: '', message: expect.stringContaining('mapping') as unknown, line: 1, column: 1 },
    ]);
  });

  it('reports what an empty file lacks: the default model', () => {
    expect(issuesOf('')).toEqual([
      expect.objectContaining({
        path: 'router.model',
        message: expect.stringContaining("models has no 'default'") as unknown,
      }),
    ]);
  });

  it('reports an unknown key at the key, with its path and a suggestion', () => {
    const text = `${MINIMAL}agents:\n  calc:\n    display_name: Calc\n    instruction: [x]\n`;
    expect(issuesOf(text)).toEqual([
      {
        path: 'agents.calc.instruction',
        message: "unknown key 'instruction' (did you mean 'instructions'?)",
        ...positionOf(text, 'instruction:'),
      },
    ]);
  });

  it('reports a wrong value at the value, naming the path', () => {
    const text = `${MINIMAL}agents:\n  calc:\n    display_name: Calc\n    accept_invites: maybe\n`;
    expect(issuesOf(text)).toEqual([
      {
        path: 'agents.calc.accept_invites',
        message: 'expected true or false, got the string "maybe"',
        ...positionOf(text, 'maybe'),
      },
    ]);
  });

  it('reports a missing required key at its parent key', () => {
    const text = `${MINIMAL}agents:\n  calc:\n    role: Adds numbers.\n`;
    expect(issuesOf(text)).toEqual([
      {
        path: 'agents.calc.display_name',
        message: 'required (expected a string)',
        ...positionOf(text, 'calc:'),
      },
    ]);
  });

  it('reports a bad list item by index', () => {
    const text = `${MINIMAL}agents:\n  calc:\n    display_name: Calc\n    rooms: [lobby, 'bad room']\n`;
    expect(issuesOf(text)).toEqual([
      expect.objectContaining({ path: 'agents.calc.rooms[1]', ...positionOf(text, "'bad room'") }),
    ]);
  });

  it('explains MindRoom keys that MindRoom itself removed', () => {
    const text = `${MINIMAL}agents:\n  calc:\n    display_name: Calc\n    knowledge_base: docs\n`;
    expect(issuesOf(text)[0]?.message).toBe(
      "unknown key 'knowledge_base': was removed in MindRoom; use 'knowledge_bases' (a list)",
    );
  });

  it('reports every problem of a file at once, in file order', () => {
    const text = `${MINIMAL}agents:\n  a:\n    display_name: A\n    colour: red\n  b:\n    display_name: 5\ntimezone: Mars/Base\n`;
    const issues = issuesOf(text);
    expect(issues.map((issue) => issue.path)).toEqual([
      'agents.a.colour',
      'agents.b.display_name',
      'timezone',
    ]);
    expect(issues.map((issue) => issue.line)).toEqual([8, 10, 11]);
  });

  it('rejects an enum value outside the allowed set', () => {
    const text = `${MINIMAL}agents:\n  a: {display_name: A, thread_mode: sideways}\n`;
    expect(issuesOf(text)[0]).toMatchObject({
      path: 'agents.a.thread_mode',
      message: 'expected one of thread, room; got the string "sideways"',
    });
  });

  it('rejects num_history_runs together with num_history_messages', () => {
    const text = `${MINIMAL}defaults:\n  num_history_runs: 3\n  num_history_messages: 10\n`;
    expect(issuesOf(text)[0]).toMatchObject({
      path: 'defaults.num_history_messages',
      message: 'num_history_runs and num_history_messages are mutually exclusive',
    });
  });

  it('accepts Quorum settings under quorum:', () => {
    const config = valid(
      `${MINIMAL}quorum:\n  catch_up_minutes: 5\n  shutdown_deadline_seconds: 3\n  localpart_prefix: bot_\n  allow_federation: true\n  ask_user_timeout_minutes: 30\n  config_confirmation_minutes: 10\n  config_admins: ['@ops:example.org']\n  secret_env: [DB_DSN]\n  max_agent_hops: 1\n  thread_token_budget: 50000\n  include_untrusted_history: true\n`,
    );
    expect(config.quorum).toEqual({
      catch_up_minutes: 5,
      shutdown_deadline_seconds: 3,
      localpart_prefix: 'bot_',
      allow_federation: true,
      ask_user_timeout_minutes: 30,
      config_confirmation_minutes: 10,
      limits: {
        turns_per_user: 5,
        turns_per_room: 10,
        queued_turns_per_room: 20,
        messages_per_minute_per_user: 20,
        max_prompt_bytes: 200_000,
        max_tool_calls_per_step: 8,
      },
      schedule_catch_up_minutes: 1_440,
      max_schedules_per_user: 50,
      max_schedules_per_room: 100,
      schedule_min_interval_seconds: 60,
      schedule_max_days_ahead: 731,
      mcp_server: expect.objectContaining({ enabled: false, port: 8766, path: '/mcp' }),
      config_admins: ['@ops:example.org'],
      secret_env: ['DB_DSN'],
      max_agent_hops: 1,
      thread_token_budget: 50_000,
      include_untrusted_history: true,
    });
  });

  it('rejects a localpart prefix that is not Matrix localpart material', () => {
    expect(issuesOf(`${MINIMAL}quorum:\n  localpart_prefix: Bot-\n`)[0]?.path).toBe(
      'quorum.localpart_prefix',
    );
  });

  it('follows YAML merge keys, as PyYAML does for MindRoom', () => {
    const config = valid(
      `${MINIMAL}agents:\n  a: &base\n    display_name: Base\n    role: shared\n  b:\n    <<: *base\n    display_name: B\n`,
    );
    expect(config.agents['b']).toMatchObject({ display_name: 'B', role: 'shared' });
  });
});
