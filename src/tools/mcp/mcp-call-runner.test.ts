import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { McpServerConfig } from '../../config/index.js';
import { FakeClock, flushMicrotasks } from '../../../test/support/fake-clock.js';
import { RecordingLogger } from '../../../test/support/recording-logger.js';
import { McpError } from './errors.js';
import { McpCallRunner, type McpCallHost } from './mcp-call-runner.js';
import type { McpCallOutcome, McpSession } from './mcp-session.js';
import { fakeServerConfig } from '../../../test/support/mcp/fake-server-config.js';

const CONFIG = fakeServerConfig({ max_concurrent_calls: 2 });

type CallHandler = (name: string, signal: AbortSignal) => Promise<McpCallOutcome>;

const answer = (content: string): McpCallOutcome => ({
  content,
  isError: false,
  isTruncated: false,
});

/** A session that only serves calls, through `handler`. */
function sessionWith(handler: CallHandler): McpSession {
  return {
    pid: undefined,
    closed: new Promise<string>(() => undefined),
    listTools: () => Promise.resolve([]),
    callTool: (name, _args, options) => handler(name, options.signal),
    ping: () => Promise.resolve(),
    onToolsChanged: () => undefined,
    close: () => Promise.resolve(),
  };
}

/** A call that never answers, but rejects with the signal's reason when aborted. */
const hang: CallHandler = (_name, signal) =>
  new Promise((_resolve, reject) => {
    signal.addEventListener('abort', () => {
      reject(signal.reason as Error);
    });
  });

/** A host whose ready session the test swaps; records reconnects. */
class ScriptedHost implements McpCallHost {
  isInBackoff = false;
  reconnects: (McpSession | undefined)[] = [];
  constructor(
    public session: McpSession,
    private readonly afterReconnect: McpSession = session,
  ) {}
  isBackingOff(): boolean {
    return this.isInBackoff;
  }
  readySession(): Promise<McpSession> {
    if (this.isInBackoff) {
      return Promise.reject(new McpError('unavailable', 'restarting'));
    }
    return Promise.resolve(this.session);
  }
  reconnect(failed: McpSession | undefined): Promise<void> {
    this.reconnects.push(failed);
    this.isInBackoff = false;
    this.session = this.afterReconnect;
    return Promise.resolve();
  }
}

function runner(host: McpCallHost, config: Partial<McpServerConfig> = {}, maxQueuedCalls = 1) {
  const clock = new FakeClock();
  const calls = new McpCallRunner({
    id: 'fake',
    config: { ...CONFIG, ...config },
    clock,
    log: new RecordingLogger(),
    maxQueuedCalls,
    host,
  });
  return { clock, calls };
}

const signal = (): AbortSignal => new AbortController().signal;

describe('McpCallRunner', () => {
  it('times a hanging call out on the clock and retries once on the reconnected session', async () => {
    const stuck = sessionWith(hang);
    const fresh = sessionWith((name) => Promise.resolve(answer(`ran ${name}`)));
    const host = new ScriptedHost(stuck, fresh);
    const { clock, calls } = runner(host, { call_timeout_seconds: 2 });
    const call = calls.call('echo', {}, { signal: signal() });
    await flushMicrotasks();
    await clock.advance(2_000);
    await expect(call).resolves.toEqual(answer('ran echo'));
    expect(host.reconnects).toEqual([stuck]);
  });

  it('reports a second timeout as one error naming the server, tool, limit and retry', async () => {
    const host = new ScriptedHost(sessionWith(hang));
    const { clock, calls } = runner(host);
    const call = calls.call('echo', {}, { signal: signal(), timeoutMs: 1_500 });
    const settled = expect(call).rejects.toThrow(
      "MCP server 'fake' did not answer echo within 1.5 s (after one reconnect and retry)",
    );
    await flushMicrotasks();
    await clock.advance(1_500);
    await clock.advance(1_500);
    await settled;
    expect(host.reconnects).toHaveLength(1);
    expect(clock.pendingSleeps).toBe(0);
  });

  it('runs at most max_concurrent_calls at once and refuses calls past the queue limit', async () => {
    const releases: (() => void)[] = [];
    const host = new ScriptedHost(
      sessionWith(
        () =>
          new Promise((resolve) => {
            releases.push(() => {
              resolve(answer('done'));
            });
          }),
      ),
    );
    const { calls } = runner(host, { max_concurrent_calls: 2 }, 1);
    const running = [1, 2, 3].map(() => calls.call('echo', {}, { signal: signal() }));
    await flushMicrotasks();
    expect(releases).toHaveLength(2);
    const refused = calls.call('echo', {}, { signal: signal() });
    await expect(refused).rejects.toMatchObject({ code: 'busy' });
    await expect(refused).rejects.toThrow("MCP server 'fake' is busy");
    releases[0]?.();
    await flushMicrotasks();
    expect(releases).toHaveLength(3);
    releases[1]?.();
    releases[2]?.();
    await expect(Promise.all(running)).resolves.toHaveLength(3);
    expect(host.reconnects).toEqual([]);
  });

  it('does not reconnect for an error the server answered with', async () => {
    const host = new ScriptedHost(
      sessionWith(() => Promise.reject(new McpError('rpc', 'unknown tool'))),
    );
    const { calls } = runner(host);
    await expect(calls.call('echo', {}, { signal: signal() })).rejects.toThrow('unknown tool');
    expect(host.reconnects).toEqual([]);
  });

  it('does not reconnect when auto_reconnect is off', async () => {
    const host = new ScriptedHost(
      sessionWith(() => Promise.reject(new McpError('connection', 'connection closed'))),
    );
    const { calls } = runner(host, { auto_reconnect: false });
    await expect(calls.call('echo', {}, { signal: signal() })).rejects.toMatchObject({
      code: 'connection',
    });
    expect(host.reconnects).toEqual([]);
  });

  it('restarts a server in backoff for the call, with no failed session to replace', async () => {
    const host = new ScriptedHost(sessionWith(() => Promise.resolve(answer('ok'))));
    host.isInBackoff = true;
    const { calls } = runner(host);
    await expect(calls.call('echo', {}, { signal: signal() })).resolves.toEqual(answer('ok'));
    expect(host.reconnects).toEqual([undefined]);
  });

  it('passes the caller abort through as is, without a retry, leaving no listener behind', async () => {
    const host = new ScriptedHost(sessionWith(hang));
    const { clock, calls } = runner(host);
    const turn = new AbortController();
    const call = calls.call('echo', {}, { signal: turn.signal });
    await flushMicrotasks();
    turn.abort(new Error('turn stopped'));
    await expect(call).rejects.toThrow('turn stopped');
    expect(host.reconnects).toEqual([]);
    expect(getEventListeners(turn.signal, 'abort')).toHaveLength(0);
    expect(clock.pendingSleeps).toBe(0);
  });
});
