import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import type { McpServerConfig } from '../../config/index.js';
import { FakeClock, flushMicrotasks } from '../../../test/support/fake-clock.js';
import { RecordingLogger } from '../../../test/support/recording-logger.js';
import { McpError } from './errors.js';
import type { McpCallOutcome, McpSession, McpSessionFactory, McpToolInfo } from './mcp-session.js';
import type { McpServerStatus } from './mcp-server-status.js';
import { McpServerSupervisor } from './mcp-server-supervisor.js';
import { fakeServerConfig } from '../../../test/support/mcp/fake-server-config.js';

const CONFIG = fakeServerConfig();

const tool = (name: string): McpToolInfo => ({
  name,
  description: `${name} tool`,
  inputSchema: { type: 'object' },
});

/** An in-memory session the test controls. */
class FakeSession implements McpSession {
  readonly pid = undefined;
  readonly closed: Promise<string>;
  isClosed = false;
  tools: McpToolInfo[] = [tool('echo')];
  onCall: (name: string, signal: AbortSignal) => Promise<McpCallOutcome> = (name) =>
    Promise.resolve({ content: `ran ${name}`, isError: false, isTruncated: false });
  private endWith: (reason: string) => void = () => undefined;
  private toolsChanged: () => void = () => undefined;

  constructor() {
    this.closed = new Promise((resolve) => {
      this.endWith = resolve;
    });
  }

  listTools(): Promise<McpToolInfo[]> {
    return Promise.resolve([...this.tools]);
  }
  callTool(
    name: string,
    _args: unknown,
    options: { signal: AbortSignal },
  ): Promise<McpCallOutcome> {
    return this.onCall(name, options.signal);
  }
  pingResult: () => Promise<void> = () => Promise.resolve();
  ping(): Promise<void> {
    return this.pingResult();
  }
  onToolsChanged(listener: () => void): void {
    this.toolsChanged = listener;
  }
  announceToolsChanged(): void {
    this.toolsChanged();
  }
  /** The server went away (the child exited). */
  die(reason = 'the server exited'): void {
    this.isClosed = true;
    this.endWith(reason);
  }
  close(): Promise<void> {
    this.die('closed');
    return Promise.resolve();
  }
}

function setup(config: Partial<McpServerConfig> = {}, healthCheckIntervalMs = 0) {
  const clock = new FakeClock();
  const sessions: FakeSession[] = [];
  const opens: number[] = [];
  let failOpens = 0;
  const factory: McpSessionFactory = () => {
    opens.push(clock.now());
    if (failOpens > 0) {
      failOpens--;
      return Promise.reject(new McpError('connection', 'spawn fake ENOENT'));
    }
    const session = new FakeSession();
    sessions.push(session);
    return Promise.resolve(session);
  };
  const states: McpServerStatus['state'][] = [];
  const supervisor = new McpServerSupervisor(
    'fake',
    { ...CONFIG, ...config },
    {
      clock,
      log: new RecordingLogger(),
      sessions: factory,
      backoff: { stepMs: 1_000, maxMs: 3_000, stableAfterMs: 60_000 },
      healthCheckIntervalMs,
      maxQueuedCalls: 2,
      events: {
        onStateChanged: (_id, status) => states.push(status.state),
        onCatalogueChanged: () => undefined,
        onRestart: () => undefined,
      },
    },
  );
  const failNextOpens = (count: number): void => {
    failOpens = count;
  };
  return { clock, sessions, opens, states, supervisor, failNextOpens };
}

const running: McpServerSupervisor[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

function started(config: Partial<McpServerConfig> = {}, failingOpens = 0) {
  const env = setup(config);
  running.push(env.supervisor);
  env.failNextOpens(failingOpens);
  env.supervisor.start();
  return env;
}

const signal = (): AbortSignal => new AbortController().signal;

describe('McpServerSupervisor', () => {
  it('is ready with the listed tools, named with the server id as prefix', async () => {
    const { supervisor } = started();
    await supervisor.ready({ signal: signal() });
    expect(supervisor.tools().tools.map((t) => t.functionName)).toEqual(['fake_echo']);
    expect(supervisor.status()).toEqual({
      state: 'ready',
      tools: 1,
      last_error: null,
      restarts: 0,
    });
  });

  it('restarts on linear backoff, capped, and resets after a stable period', async () => {
    const { clock, opens, supervisor } = started({}, 4);
    await flushMicrotasks();
    const start = opens[0] ?? 0;
    await clock.advance(1_000);
    await clock.advance(2_000);
    await clock.advance(3_000);
    await clock.advance(3_000); // capped at maxMs
    expect(opens.map((at) => at - start)).toEqual([0, 1_000, 3_000, 6_000, 9_000]);
    expect(supervisor.status()).toMatchObject({ state: 'ready', restarts: 4, last_error: null });
  });

  it('starts counting backoff from one again after a stable period up', async () => {
    const { clock, opens, sessions, supervisor } = started({}, 2);
    await flushMicrotasks();
    await clock.advance(1_000);
    await clock.advance(2_000);
    await supervisor.ready({ signal: signal() });
    await clock.advance(60_000);
    sessions[0]!.die('exited with code 1');
    await flushMicrotasks();
    expect(supervisor.status()).toMatchObject({
      state: 'backoff',
      last_error: 'exited with code 1',
    });
    const diedAt = clock.now();
    await clock.advance(1_000);
    expect(opens.at(-1)).toBe(diedAt + 1_000);
    expect(supervisor.status().state).toBe('ready');
  });

  it('without auto_reconnect, fails calls at once while backing off, naming the last error', async () => {
    const { supervisor } = started({ auto_reconnect: false }, 1);
    await flushMicrotasks();
    expect(supervisor.status().state).toBe('backoff');
    await expect(supervisor.call('echo', {}, { signal: signal() })).rejects.toThrow(
      "MCP server 'fake' is not available right now, it is restarting (last error: connection: spawn fake ENOENT)",
    );
  });

  it('restarts a server backing off at once for a call, or fails with one clear error', async () => {
    const env = started({}, 1);
    await flushMicrotasks();
    expect(env.supervisor.status().state).toBe('backoff');
    // The backoff is 1 s on the fake clock, which never advances here: the call restarts it.
    await expect(env.supervisor.call('echo', {}, { signal: signal() })).resolves.toMatchObject({
      content: 'ran echo',
    });
    expect(env.opens).toHaveLength(2);

    env.sessions[0]!.die();
    env.failNextOpens(5);
    await flushMicrotasks();
    expect(env.supervisor.status().state).toBe('backoff');
    await expect(env.supervisor.call('echo', {}, { signal: signal() })).rejects.toThrow(
      "MCP server 'fake' is not available right now, it is restarting (last error: connection: spawn fake ENOENT)",
    );
    // One restart for the call, not one per retry.
    expect(env.opens).toHaveLength(3);
  });

  it('waits for a server that is still starting when a call arrives', async () => {
    const env = setup();
    running.push(env.supervisor);
    const call = env.supervisor.call('echo', {}, { signal: signal() });
    env.supervisor.start();
    await expect(call).resolves.toMatchObject({ content: 'ran echo' });
  });

  it('reconnects without backoff and retries once after the session dies mid-call', async () => {
    const { sessions, supervisor } = started();
    await supervisor.ready({ signal: signal() });
    const first = sessions[0]!;
    first.onCall = () => {
      first.die();
      return Promise.reject(new McpError('connection', 'connection closed'));
    };
    await expect(supervisor.call('echo', {}, { signal: signal() })).resolves.toMatchObject({
      content: 'ran echo',
    });
    expect(sessions).toHaveLength(2);
    expect(supervisor.status().restarts).toBe(1);
  });

  it('does not retry an error the server answered with', async () => {
    const { sessions, supervisor } = started();
    await supervisor.ready({ signal: signal() });
    sessions[0]!.onCall = () => Promise.reject(new McpError('rpc', 'unknown tool'));
    await expect(supervisor.call('echo', {}, { signal: signal() })).rejects.toThrow('unknown tool');
    expect(sessions).toHaveLength(1);
  });

  it('times a call out on the clock, then retries once on a fresh session', async () => {
    const { clock, sessions, supervisor } = started({ call_timeout_seconds: 2 });
    await supervisor.ready({ signal: signal() });
    sessions[0]!.onCall = (_name, callSignal) =>
      new Promise((_resolve, reject) => {
        callSignal.addEventListener('abort', () => {
          reject(callSignal.reason as Error);
        });
      });
    const call = supervisor.call('echo', {}, { signal: signal() });
    await flushMicrotasks();
    await clock.advance(2_000);
    await expect(call).resolves.toMatchObject({ content: 'ran echo' });
    expect(sessions[0]?.isClosed).toBe(true);
  });

  it('queues calls beyond max_concurrent_calls and refuses past the queue limit', async () => {
    const { sessions, supervisor } = started();
    await supervisor.ready({ signal: signal() });
    const releases: (() => void)[] = [];
    sessions[0]!.onCall = () =>
      new Promise((resolve) => {
        releases.push(() => {
          resolve({ content: 'done', isError: false, isTruncated: false });
        });
      });
    const calls = [1, 2, 3].map(() => supervisor.call('echo', {}, { signal: signal() }));
    await flushMicrotasks();
    expect(releases).toHaveLength(1);
    await expect(supervisor.call('echo', {}, { signal: signal() })).rejects.toThrow(/is busy/);
    for (let i = 0; i < 3; i++) {
      releases[i]?.();
      await flushMicrotasks();
    }
    await expect(Promise.all(calls)).resolves.toHaveLength(3);
  });

  it('propagates the caller abort as is, not as an MCP failure', async () => {
    const { sessions, supervisor } = started();
    await supervisor.ready({ signal: signal() });
    sessions[0]!.onCall = (_name, callSignal) =>
      new Promise((_resolve, reject) => {
        callSignal.addEventListener('abort', () => {
          reject(callSignal.reason as Error);
        });
      });
    const controller = new AbortController();
    const call = supervisor.call('echo', {}, { signal: controller.signal });
    await flushMicrotasks();
    controller.abort(new Error('turn stopped'));
    await expect(call).rejects.toThrow('turn stopped');
    expect(sessions).toHaveLength(1);
  });

  it('refreshes the catalogue on list_changed and bumps its version', async () => {
    const { sessions, supervisor } = started();
    await supervisor.ready({ signal: signal() });
    const version = supervisor.tools().version;
    sessions[0]!.tools = [tool('echo'), tool('added')];
    sessions[0]!.announceToolsChanged();
    await flushMicrotasks(20);
    expect(supervisor.tools().tools.map((t) => t.name)).toEqual(['added', 'echo']);
    expect(supervisor.tools().version).toBe(version + 1);
  });

  it('applies include and exclude filters and the configured prefix', async () => {
    const env = setup({ exclude_tools: ['secret'], tool_prefix: 'x' });
    running.push(env.supervisor);
    env.supervisor.start();
    await flushMicrotasks();
    env.sessions[0]!.tools = [tool('a'), tool('secret')];
    env.sessions[0]!.announceToolsChanged();
    await flushMicrotasks(20);
    expect(env.supervisor.tools().tools.map((t) => t.functionName)).toEqual(['x_a']);
  });

  it('stops for good: closes the session and rejects waiters', async () => {
    const { sessions, supervisor } = started();
    await supervisor.ready({ signal: signal() });
    await supervisor.stop();
    expect(sessions[0]?.isClosed).toBe(true);
    expect(supervisor.status().state).toBe('stopped');
    await expect(supervisor.ready({ signal: signal() })).rejects.toThrow(/is stopped/);
  });

  it('leaves no listener on the caller signal and no timer behind after calls', async () => {
    const { clock, supervisor } = started();
    await supervisor.ready({ signal: signal() });
    const turn = new AbortController();
    for (let i = 0; i < 20; i++) await supervisor.call('echo', {}, { signal: turn.signal });
    expect(getEventListeners(turn.signal, 'abort')).toHaveLength(0);
    expect(clock.pendingSleeps).toBe(0);
  });

  it('restarts a server that stops answering pings, but not one that rejects ping', async () => {
    const env = setup({}, 30_000);
    running.push(env.supervisor);
    env.supervisor.start();
    await env.supervisor.ready({ signal: signal() });
    env.sessions[0]!.pingResult = () => Promise.reject(new McpError('rpc', 'method not found'));
    await env.clock.advance(30_000);
    expect(env.supervisor.status()).toMatchObject({ state: 'ready', restarts: 0 });
    env.sessions[0]!.pingResult = () => Promise.reject(new McpError('timeout', 'no answer'));
    await env.clock.advance(30_000);
    await flushMicrotasks(40);
    expect(env.sessions[0]?.isClosed).toBe(true);
    expect(env.supervisor.status().last_error).toBe('health check failed: timeout: no answer');
  });

  it('never starts a disabled server', async () => {
    const { opens, supervisor } = started({ enabled: false });
    await flushMicrotasks();
    expect(opens).toEqual([]);
    expect(supervisor.status().state).toBe('disabled');
    await expect(supervisor.call('echo', {}, { signal: signal() })).rejects.toThrow(/is disabled/);
  });
});
