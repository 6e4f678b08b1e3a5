import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { flushMicrotasks } from '../../test/support/fake-clock.js';
import { parseConfig } from '../config/index.js';
import { InteractionService, type CardPoster } from '../interactions/index.js';
import type { OutgoingText } from '../matrix/index.js';
import { asEventId, silentLogger, systemClock, type EventId } from '../shared/index.js';
import { QuorumStore } from '../storage/index.js';
import type {
  McpCatalogue,
  McpToolBackend,
  ToolCallContext,
  ToolCallRequest,
  ToolRunner,
  ToolSource,
} from '../tools/index.js';
import { AgentTooling, type AgentToolSettings, type ExtraToolSources } from './agent-tooling.js';
import type { ResponderHandle } from './turn-ports.js';

const ROOM = '!lobby:hs';
const DM = '!dm:hs';
const dirs: string[] = [];
const stores: QuorumStore[] = [];
afterEach(() => {
  for (const store of stores.splice(0)) store.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** The `tools:` entries and `tool_approval` of a config snippet. */
function settingsFrom(tools: string, approval = ''): AgentToolSettings {
  const parsed = parseConfig(
    `models:\n  default: {provider: openai, id: m}\nmcp_servers:\n  github: {transport: stdio, command: gh-mcp}\nagents:\n  calc:\n    display_name: Calc\n    tools: ${tools}\n${approval}`,
    { env: {} },
  );
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  const agent = parsed.config.agents['calc'];
  return {
    tools: agent?.tools ?? [],
    timezone: 'UTC',
    toolApproval: parsed.config.tool_approval,
  };
}

/** An MCP backend with one server `github` whose catalogue the test changes. */
class FakeMcp implements McpToolBackend {
  readonly calls: string[] = [];
  catalogueNow: McpCatalogue = {
    version: 1,
    tools: [],
    callTimeoutMs: 1_000,
    startupTimeoutMs: 1_000,
  };
  setTools(names: readonly string[]): void {
    this.catalogueNow = {
      ...this.catalogueNow,
      version: this.catalogueNow.version + 1,
      tools: names.map((name) => ({
        name,
        functionName: `github_${name}`,
        description: name,
        inputSchema: { type: 'object' },
      })),
    };
  }
  catalogue(serverId: string): McpCatalogue | undefined {
    return serverId === 'github' ? this.catalogueNow : undefined;
  }
  call(_serverId: string, remoteName: string) {
    this.calls.push(remoteName);
    return Promise.resolve({ content: `remote ${remoteName}`, isError: false, isTruncated: false });
  }
}

class RecordingCards implements CardPoster {
  readonly posts: string[] = [];
  post(_place: unknown, markdown: string): Promise<string> {
    this.posts.push(markdown);
    return Promise.resolve(`$card${this.posts.length}`);
  }
  react(): Promise<string> {
    return Promise.resolve('$reaction');
  }
}

function setup(settings: AgentToolSettings | undefined, extra?: ExtraToolSources) {
  const store = new QuorumStore(':memory:');
  stores.push(store);
  const root = mkdtempSync(join(tmpdir(), 'quorum-tooling-'));
  dirs.push(root);
  const sent: { roomId: string; message: OutgoingText }[] = [];
  const outbox = {
    sendText: (roomId: string, message: OutgoingText): Promise<EventId> => {
      sent.push({ roomId, message });
      return Promise.resolve(asEventId(`$sent${sent.length}`));
    },
  };
  const cards = new RecordingCards();
  const interactions = new InteractionService({
    store: store.interactions,
    cards,
    configEditor: undefined,
    timeouts: () => ({ questionMs: 60_000, configConfirmationMs: 60_000 }),
    clock: systemClock,
    log: silentLogger,
  });
  const mcp = new FakeMcp();
  const extraCalls: string[] = [];
  const tooling = new AgentTooling({
    settingsOf: (name) => (name === 'calc' ? settings : undefined),
    responders: { get: () => ({ outbox }) as unknown as ResponderHandle },
    rooms: { roomsOf: () => [ROOM, DM, '!other:hs'], aliasOf: () => undefined },
    timeline: store.journal,
    isTrusted: () => true,
    isDirectRoom: (_agent, roomId) => Promise.resolve(roomId === DM),
    interactions,
    interactionStore: store.interactions,
    configAccess: {
      decideConfigEdit: () =>
        Promise.resolve({ isAllowed: false, reason: 'disabled', message: 'no' } as const),
    },
    mcp,
    host: { workspaceRoot: root, shellEnv: { PATH: '/usr/bin:/bin' } },
    extraSources: (agent, channel, toolNames) => {
      extraCalls.push(`${agent}/${channel}`);
      return extra?.(agent, channel, toolNames) ?? [];
    },
    clock: systemClock,
    log: silentLogger,
  });
  return { tooling, mcp, sent, cards, root, extraCalls };
}

const context: ToolCallContext = {
  agentName: 'calc',
  roomId: ROOM,
  threadRoot: '$root',
  requester: '@alice:hs',
  sourceEventId: '$m',
  signal: new AbortController().signal,
};

const call = (name: string, args: Record<string, unknown> = {}): ToolCallRequest => ({
  id: 'c1',
  name,
  arguments: args,
  argumentsJson: JSON.stringify(args),
});

const names = (runner: ToolRunner | undefined): string[] =>
  runner?.definitions.map((tool) => tool.name) ?? [];

describe('AgentTooling', () => {
  it('builds an agent’s tools from its entries with their options, in its own workspace', async () => {
    const { tooling, sent, root } = setup(
      settingsFrom("[calculator, file, {matrix_message: {allowed_rooms: ['*']}}]"),
    );
    const tools = tooling.toolsWithoutApproval('calc');
    expect(names(tools)).toEqual([
      'calculator',
      'read_file',
      'save_file',
      'list_files',
      'matrix_message',
    ]);
    await tools?.run(call('save_file', { path: 'notes.txt', contents: 'hello' }), context);
    expect(readFileSync(join(root, 'calc', 'notes.txt'), 'utf8')).toBe('hello');
    const posted = await tools?.run(
      call('matrix_message', { action: 'send', room: '!other:hs', message: 'hi there' }),
      context,
    );
    expect(posted?.isError).toBe(false);
    expect(sent).toEqual([
      { roomId: '!other:hs', message: { body: 'hi there', format: 'markdown' } },
    ]);
  });

  it('offers an MCP server’s tools live (no rebuild), filtered by the agent’s entry', async () => {
    const { tooling, mcp } = setup(
      settingsFrom('[calculator, {mcp_github: {exclude_tools: [delete_repo]}}]'),
    );
    const tools = tooling.toolsFor('calc');
    expect(names(tools)).toEqual(['calculator']);
    mcp.setTools(['search_issues', 'delete_repo']);
    expect(names(tools)).toEqual(['calculator', 'github_search_issues']);
    expect(await tools?.run(call('github_search_issues'), context)).toMatchObject({
      content: 'remote search_issues',
    });
    expect(tooling.toolsFor('calc')).toBe(tools);
  });

  it('in a room, writing into another DM waits for the requester’s approval', async () => {
    const { tooling, sent, cards } = setup(
      settingsFrom("[{matrix_message: {allowed_rooms: ['*']}}]"),
    );
    const tools = tooling.toolsFor('calc');
    void tools?.run(call('matrix_message', { action: 'send', room: DM, message: 'psst' }), context);
    await flushMicrotasks();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(sent).toEqual([]);
    expect(cards.posts[0]).toContain(
      `It needs approval because it writes into a direct-message room (${DM})`,
    );
  });

  it('outside Matrix: no room or person tools, and every call that would need approval is refused', async () => {
    const { tooling, mcp } = setup(
      settingsFrom(
        '[calculator, shell, ask_user, matrix_message, mcp_github]',
        'tool_approval:\n  rules:\n    - {match: mcp_github, action: require_approval}\n',
      ),
    );
    mcp.setTools(['search_issues']);
    const tools = tooling.toolsForDetached('calc');
    expect(names(tools)).toEqual(['calculator', 'run_shell_command', 'github_search_issues']);
    const detached = { ...context, roomId: 'detached', threadRoot: undefined };
    expect(await tools?.run(call('calculator', { expression: '6*7' }), detached)).toMatchObject({
      content: '42',
      isError: false,
    });
    for (const name of ['run_shell_command', 'github_search_issues']) {
      const refused = await tools?.run(call(name, { command: 'id' }), detached);
      expect(refused?.isError).toBe(true);
      expect(refused?.content).toContain(`${name} needs a person's approval`);
    }
    expect(mcp.calls).toEqual([]);
  });

  it('adds the extra sources per agent and channel, and has no runner for an agent without tools', () => {
    const extraTool: ToolSource = {
      id: 'scheduler',
      tools: () => [
        {
          name: 'schedule',
          description: 'Schedules.',
          parameters: { type: 'object' },
          run: () => Promise.resolve('scheduled'),
        },
      ],
    };
    const { tooling, extraCalls } = setup(settingsFrom('[]'), (_agent, channel) =>
      channel === 'room' ? [extraTool] : [],
    );
    expect(names(tooling.toolsFor('calc'))).toEqual(['schedule']);
    expect(tooling.toolsForDetached('calc')).toBeUndefined();
    expect(extraCalls).toEqual(['calc/room', 'calc/detached']);
    expect(tooling.toolsFor('nobody')).toBeUndefined();
  });
});
