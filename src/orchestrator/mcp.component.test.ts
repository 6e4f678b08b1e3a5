/**
 * The orchestrator with the real MCP client manager over in-memory sessions: servers start
 * with the fleet without delaying it, a `required` server holds back only the agent using it,
 * tool calls reach the server and their results the reply, reloads apply servers first, and
 * shutdown closes the sessions after the turns.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FleetHarness } from '../../test/support/fleet-harness.js';
import { RecordingLogger } from '../../test/support/recording-logger.js';
import { ScriptedChatModel, step } from '../../test/support/scripted-chat-model.js';
import { parseConfig, type QuorumConfig } from '../config/index.js';
import { systemClock } from '../shared/index.js';
import { McpClientManager, type McpSession, type McpSessionFactory } from '../tools/index.js';

/** Sessions that connect when the test says so, answering `echo` with the server id. */
class Sessions {
  readonly events: string[] = [];
  private readonly gates = new Map<string, () => void>();
  readonly held = new Set<string>();

  factory: McpSessionFactory = async (id) => {
    if (this.held.has(id)) await new Promise<void>((resolve) => this.gates.set(id, resolve));
    this.events.push(`open ${id}`);
    let end: (reason: string) => void = () => undefined;
    const session: McpSession = {
      pid: undefined,
      closed: new Promise<string>((resolve) => {
        end = resolve;
      }),
      listTools: () =>
        Promise.resolve([
          {
            name: 'echo',
            description: 'Echoes.',
            inputSchema: { type: 'object', properties: { text: { type: 'string' } } },
          },
        ]),
      callTool: (name, args) => {
        this.events.push(`call ${id}.${name}`);
        return Promise.resolve({
          content: `${id} says ${String(args['text'])}`,
          isError: false,
          isTruncated: false,
        });
      },
      ping: () => Promise.resolve(),
      onToolsChanged: () => undefined,
      close: () => {
        this.events.push(`close ${id}`);
        end('closed');
        return Promise.resolve();
      },
    };
    return session;
  };

  release(id: string): void {
    this.held.delete(id);
    this.gates.get(id)?.();
  }
}

const server = (extra = ''): string => `{transport: stdio, command: fake${extra}}`;

const yaml = (options: { needy?: boolean; extra?: boolean } = {}): string => `
models:
  default: {provider: openai, id: scripted}
mcp_servers:
  fast: ${server()}
${options.needy === true ? `  slow: ${server(', required: true')}\n` : ''}${options.extra === true ? `  extra: ${server()}\n` : ''}agents:
  plain:
    display_name: Plain
    rooms: [lobby]
    tools: [mcp_fast${options.extra === true ? ', mcp_extra' : ''}]
${options.needy === true ? '  needy:\n    display_name: Needy\n    rooms: [lobby]\n    tools: [mcp_slow]\n' : ''}authorization:
  global_users: ["@alice:hs.test"]
`;

function config(text: string): QuorumConfig {
  const parsed = parseConfig(text, { env: {} });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.config;
}

let harness: FleetHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

function boot(model: ScriptedChatModel, sessions: Sessions, text: string) {
  const mcp = new McpClientManager({
    clock: systemClock,
    log: new RecordingLogger(),
    sessions: sessions.factory,
    healthCheckIntervalMs: 0,
  });
  harness = new FleetHarness({ yaml: text, models: { default: model }, mcp });
  return { fleet: harness, mcp };
}

describe('MCP in the fleet (component)', () => {
  it('boots without waiting for a required server; only the agent using it is held back', async () => {
    const sessions = new Sessions();
    sessions.held.add('slow');
    const { fleet, mcp } = boot(new ScriptedChatModel(), sessions, yaml({ needy: true }));
    await fleet.start();
    await mcp.ready('fast', { signal: AbortSignal.timeout(2_000) });
    const report = fleet.orchestrator.readiness();
    expect(
      Object.fromEntries(report.entities.map((entity) => [entity.name, entity.state])),
    ).toEqual({ router: 'syncing', plain: 'syncing', needy: 'starting' });
    expect(report.entities.find((entity) => entity.name === 'needy')?.last_error).toBe(
      'waiting for required MCP server slow',
    );
    expect(report.ready).toBe(false);
    expect(report.mcp_servers).toMatchObject({
      fast: { state: 'ready', tools: 1, last_error: null },
      slow: { state: 'starting', tools: 0 },
    });
    sessions.release('slow');
    await fleet.waitFor(
      () => (fleet.orchestrator.readiness().ready ? true : undefined),
      'the held agent to start',
    );
  });

  it('runs an MCP tool call from a turn and puts its result in the reply', async () => {
    const sessions = new Sessions();
    const model = new ScriptedChatModel({
      steps: [
        step.toolCalls([{ name: 'fast_echo', arguments: { text: 'ping' } }]),
        step.text('Done.', {
          expect: (request) => {
            expect(JSON.stringify(request.messages)).toContain('fast says ping');
          },
        }),
      ],
    });
    const { fleet, mcp } = boot(model, sessions, yaml());
    await fleet.start();
    await mcp.ready('fast', { signal: AbortSignal.timeout(2_000) });
    const alice = fleet.human('alice');
    const lobby = fleet.roomId('lobby');
    await alice.joinRoom(lobby);
    await fleet.send(alice, lobby, {
      body: 'Plain: echo ping',
      format: 'plain',
      mentions: [fleet.userId('quorum_plain')],
    });
    const reply = await fleet.waitFor(
      () => fleet.replies(lobby, fleet.userId('quorum_plain')).find((r) => r.status === 'final'),
      'the final reply',
    );
    expect(reply.text).toContain('fast says ping');
    expect(reply.text).toContain('Done.');
    expect(sessions.events).toContain('call fast.echo');
    model.assertDone();
  });

  it('applies servers before agents on reload, and closes sessions after the turns at shutdown', async () => {
    const sessions = new Sessions();
    const { fleet, mcp } = boot(new ScriptedChatModel(), sessions, yaml());
    await fleet.start();
    await fleet.orchestrator.reload(config(yaml({ extra: true })));
    expect(mcp.snapshot()['extra']?.state).not.toBe('stopped');
    await mcp.ready('extra', { signal: AbortSignal.timeout(2_000) });
    await fleet.orchestrator.reload(config(yaml()));
    expect(mcp.snapshot()['extra']).toBeUndefined();
    expect(sessions.events).toContain('close extra');
    await fleet.stop();
    harness = undefined;
    expect(sessions.events.at(-1)).toBe('close fast');
    expect(mcp.snapshot()['fast']?.state).toBe('stopped');
  });
});
