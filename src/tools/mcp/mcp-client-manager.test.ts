import { afterEach, describe, expect, it } from 'vitest';
import { QuorumMetrics, systemClock } from '../../shared/index.js';
import { RecordingLogger } from '../../../test/support/recording-logger.js';
import type { McpSession, McpSessionFactory } from './mcp-session.js';
import { McpClientManager } from './mcp-client-manager.js';
import { fakeServerConfig } from '../../../test/support/mcp/fake-server-config.js';

const CONFIG = fakeServerConfig({ call_timeout_seconds: 5 });

/** Sessions that connect when the test says so. */
class Sessions {
  readonly opened: string[] = [];
  readonly closed: string[] = [];
  private readonly gates = new Map<string, () => void>();
  held = new Set<string>();

  factory: McpSessionFactory = async (id) => {
    this.opened.push(id);
    if (this.held.has(id)) {
      await new Promise<void>((resolve) => this.gates.set(id, resolve));
    }
    let end: (reason: string) => void = () => undefined;
    const closed = new Promise<string>((resolve) => {
      end = resolve;
    });
    const session: McpSession = {
      pid: undefined,
      closed,
      listTools: () =>
        Promise.resolve([{ name: 'echo', description: '', inputSchema: { type: 'object' } }]),
      callTool: () => Promise.resolve({ content: id, isError: false, isTruncated: false }),
      ping: () => Promise.resolve(),
      onToolsChanged: () => undefined,
      close: () => {
        this.closed.push(id);
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

const managers: McpClientManager[] = [];
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.stop()));
});

function setup(metrics?: QuorumMetrics) {
  const sessions = new Sessions();
  const manager = new McpClientManager({
    clock: systemClock,
    log: new RecordingLogger(),
    sessions: sessions.factory,
    metrics,
    healthCheckIntervalMs: 0,
  });
  managers.push(manager);
  return { sessions, manager };
}

const signal = (): AbortSignal => AbortSignal.timeout(2_000);

describe('McpClientManager', () => {
  it('returns from apply before any server is up, and a slow server delays nobody else', async () => {
    const { sessions, manager } = setup();
    sessions.held.add('slow');
    await manager.apply({ slow: CONFIG, quick: CONFIG });
    expect(manager.snapshot()).toEqual({
      quick: { state: 'starting', tools: 0, last_error: null, restarts: 0 },
      slow: { state: 'starting', tools: 0, last_error: null, restarts: 0 },
    });
    await manager.ready('quick', { signal: signal() });
    expect(manager.snapshot()['slow']?.state).toBe('starting');
    expect((await manager.call('quick', 'echo', {}, { signal: signal() })).content).toBe('quick');
    sessions.release('slow');
    await manager.ready('slow', { signal: signal() });
  });

  it('waits only for the required servers among those an agent uses', async () => {
    const { sessions, manager } = setup();
    sessions.held.add('optional');
    await manager.apply({ needed: { ...CONFIG, required: true }, optional: CONFIG });
    await manager.waitForRequired(['needed', 'optional', 'unknown'], { signal: signal() });
    expect(manager.snapshot()['optional']?.state).toBe('starting');
  });

  it('tells listeners when a server goes away, and forgets its gauges', async () => {
    const metrics = new QuorumMetrics();
    const { sessions, manager } = setup(metrics);
    await manager.apply({ a: CONFIG });
    await manager.ready('a', { signal: signal() });
    expect(metrics.registry.value('quorum_mcp_server_up', { server: 'a' })).toBe(1);
    expect(metrics.registry.value('quorum_mcp_tools', { server: 'a' })).toBe(1);
    const changed: string[] = [];
    manager.onCatalogueChanged((id) => changed.push(id));
    await manager.apply({});
    expect(changed).toEqual(['a']);
    expect(sessions.closed).toEqual(['a']);
    expect(manager.catalogue('a')).toBeUndefined();
    expect(metrics.registry.render()).not.toContain('server="a"} 1');
    await expect(manager.call('a', 'echo', {}, { signal: signal() })).rejects.toThrow(
      "MCP server 'a' is not configured",
    );
  });

  it('does nothing for an unchanged config and counts calls by outcome', async () => {
    const metrics = new QuorumMetrics();
    const { sessions, manager } = setup(metrics);
    await manager.apply({ a: CONFIG });
    await manager.ready('a', { signal: signal() });
    expect(await manager.apply({ a: { ...CONFIG } })).toEqual({
      started: [],
      restarted: [],
      stopped: [],
      unchanged: ['a'],
    });
    expect(sessions.opened).toEqual(['a']);
    await manager.call('a', 'echo', {}, { signal: signal() });
    expect(metrics.registry.value('quorum_mcp_calls_total', { server: 'a', outcome: 'ok' })).toBe(
      1,
    );
  });

  it('marks a disabled server and starts nothing for it', async () => {
    const { sessions, manager } = setup();
    await manager.apply({ off: { ...CONFIG, enabled: false } });
    await new Promise((resolve) => setImmediate(resolve));
    expect(manager.snapshot()['off']?.state).toBe('disabled');
    expect(sessions.opened).toEqual([]);
  });

  it('gates an agent only while its required servers are not ready, and says which', async () => {
    const { sessions, manager } = setup();
    sessions.held.add('needed');
    sessions.held.add('also');
    await manager.apply({
      needed: { ...CONFIG, required: true },
      also: { ...CONFIG, required: true },
      optional: CONFIG,
      off: { ...CONFIG, required: true, enabled: false },
    });
    expect(manager.startGate(['optional', 'off'])).toBeUndefined();
    const gate = manager.startGate(['needed', 'optional', 'also']);
    expect(gate?.reason).toBe('waiting for required MCP servers needed, also');
    let isOpen = false;
    const opened = gate!.wait(signal()).then(() => {
      isOpen = true;
    });
    sessions.release('needed');
    await manager.ready('needed', { signal: signal() });
    expect(isOpen).toBe(false);
    expect(manager.startGate(['needed', 'also'])?.reason).toBe(
      'waiting for required MCP server also',
    );
    sessions.release('also');
    await opened;
    expect(manager.startGate(['needed', 'also'])).toBeUndefined();
  });

  it('follows a required server restarted by a reload, and stops waiting for one removed', async () => {
    const { sessions, manager } = setup();
    sessions.held.add('needed');
    await manager.apply({ needed: { ...CONFIG, required: true } });
    let isOpen = false;
    const waiting = manager.waitForRequired(['needed'], { signal: signal() }).then(() => {
      isOpen = true;
    });
    // A changed setting restarts the server: the wait moves to the new one.
    await manager.apply({ needed: { ...CONFIG, required: true, call_timeout_seconds: 7 } });
    await new Promise((resolve) => setImmediate(resolve));
    expect(isOpen).toBe(false);
    sessions.release('needed');
    await waiting;

    sessions.held.add('gone');
    await manager.apply({ gone: { ...CONFIG, required: true } });
    const removed = manager.waitForRequired(['gone'], { signal: signal() });
    await manager.apply({});
    await expect(removed).resolves.toBeUndefined();
  });

  it('rejects a required wait with the signal’s reason when aborted', async () => {
    const { sessions, manager } = setup();
    sessions.held.add('needed');
    await manager.apply({ needed: { ...CONFIG, required: true } });
    const controller = new AbortController();
    const waiting = manager.waitForRequired(['needed'], { signal: controller.signal });
    controller.abort(new Error('the agent stopped'));
    await expect(waiting).rejects.toThrow('the agent stopped');
  });
});
