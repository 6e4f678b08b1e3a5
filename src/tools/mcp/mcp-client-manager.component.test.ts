/**
 * The client manager against real MCP servers built with the SDK's server side: a stdio child
 * (test/support/mcp/test-tools-server.mjs) and a streamable-HTTP server on a loopback port.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { McpServerConfig } from '../../config/index.js';
import { QuorumMetrics, systemClock } from '../../shared/index.js';
import { RecordingLogger } from '../../../test/support/recording-logger.js';
import {
  startHttpTestServer,
  type HttpTestServer,
} from '../../../test/support/mcp/http-test-server.js';
import { startSseTestServer } from '../../../test/support/mcp/sse-test-server.js';
import { McpClientManager } from './mcp-client-manager.js';
import { createSdkSessionFactory } from './sdk-session.js';

const SERVER_SCRIPT = resolve(
  import.meta.dirname,
  '../../../test/support/mcp/test-tools-server.mjs',
);
const BASE_ENV = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', LANG: 'C.UTF-8' };

function stdio(overrides: Partial<McpServerConfig> = {}): McpServerConfig {
  return {
    enabled: true,
    required: false,
    transport: 'stdio',
    command: process.execPath,
    args: [SERVER_SCRIPT],
    cwd: null,
    env: {},
    url: null,
    headers: {},
    tool_prefix: 'test',
    include_tools: [],
    exclude_tools: [],
    startup_timeout_seconds: 10,
    call_timeout_seconds: 10,
    max_concurrent_calls: 4,
    auto_reconnect: true,
    ...overrides,
  };
}

function http(url: string, overrides: Partial<McpServerConfig> = {}): McpServerConfig {
  return { ...stdio(), transport: 'streamable-http', command: null, args: [], url, ...overrides };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const managers: McpClientManager[] = [];
let dir: string;
let log: RecordingLogger;

function manager(metrics?: QuorumMetrics): McpClientManager {
  log = new RecordingLogger();
  const created = new McpClientManager({
    clock: systemClock,
    log,
    metrics,
    sessions: createSdkSessionFactory({
      baseEnv: BASE_ENV,
      log,
      maxOutputChars: 10_000,
      version: 'test',
    }),
    backoff: { stepMs: 50, maxMs: 200, stableAfterMs: 60_000 },
    healthCheckIntervalMs: 0,
  });
  managers.push(created);
  return created;
}

const signal = (): AbortSignal => AbortSignal.timeout(15_000);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'quorum-mcp-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.stop()));
});

describe('McpClientManager with a stdio server', () => {
  it('starts the server, lists its tools with prefixed names and calls them', async () => {
    const mcp = manager();
    const applied = await mcp.apply({ local: stdio() });
    expect(applied.started).toEqual(['local']);
    await mcp.ready('local', { signal: signal() });
    const names = mcp.catalogue('local')?.tools.map((tool) => tool.functionName);
    expect(names).toContain('test_echo');
    expect(names).toContain('test_files_read_v2');
    expect(mcp.snapshot()['local']).toMatchObject({ state: 'ready', last_error: null });
    const outcome = await mcp.call('local', 'echo', { text: 'hi' }, { signal: signal() });
    expect(outcome).toEqual({ content: 'hi', isError: false, isTruncated: false });
  });

  it("gives the child a minimal environment plus the server's own env, never the daemon's", async () => {
    process.env['QUORUM_TEST_CANARY'] = 'canary-value-9f3';
    try {
      const mcp = manager();
      await mcp.apply({ local: stdio({ env: { SERVER_TOKEN: 'server-secret-1' } }) });
      await mcp.ready('local', { signal: signal() });
      const names = (await mcp.call('local', 'env_names', {}, { signal: signal() })).content;
      expect(names.split(',')).not.toContain('QUORUM_TEST_CANARY');
      expect(names.split(',')).toEqual(expect.arrayContaining(['LANG', 'PATH', 'SERVER_TOKEN']));
      const token = await mcp.call('local', 'env', { name: 'SERVER_TOKEN' }, { signal: signal() });
      expect(token.content).toBe('server-secret-1');
    } finally {
      delete process.env['QUORUM_TEST_CANARY'];
    }
  });

  it('reconnects when the child dies mid-call and retries once', async () => {
    const mcp = manager();
    await mcp.apply({ local: stdio() });
    await mcp.ready('local', { signal: signal() });
    const firstPid = mcp.pidOf('local');
    const marker = join(dir, 'crash-once');
    const outcome = await mcp.call('local', 'crash_once', { marker }, { signal: signal() });
    expect(outcome.content).toBe('survived');
    expect(mcp.pidOf('local')).not.toBe(firstPid);
    expect(mcp.snapshot()['local']).toMatchObject({ state: 'ready', restarts: 1 });
  });

  it('reports one clear error when the retry dies too, and comes back for the next call', async () => {
    const metrics = new QuorumMetrics();
    const mcp = manager(metrics);
    await mcp.apply({ local: stdio() });
    await mcp.ready('local', { signal: signal() });
    await expect(mcp.call('local', 'crash', {}, { signal: signal() })).rejects.toThrow(
      /^MCP server 'local': calling crash failed: .*\(after one reconnect and retry\)$/,
    );
    await mcp.ready('local', { signal: signal() });
    expect((await mcp.call('local', 'echo', { text: 'back' }, { signal: signal() })).content).toBe(
      'back',
    );
    expect(
      metrics.registry.value('quorum_mcp_calls_total', { server: 'local', outcome: 'connection' }),
    ).toBe(1);
    expect(metrics.registry.value('quorum_mcp_restarts_total', { server: 'local' })).toBe(2);
  });

  it('does not retry when auto_reconnect is off', async () => {
    const mcp = manager();
    await mcp.apply({ local: stdio({ auto_reconnect: false }) });
    await mcp.ready('local', { signal: signal() });
    const marker = join(dir, 'no-retry');
    await expect(mcp.call('local', 'crash_once', { marker }, { signal: signal() })).rejects.toThrow(
      /calling crash_once failed/,
    );
  });

  it('times a slow call out and says so', async () => {
    const mcp = manager();
    await mcp.apply({ local: stdio({ call_timeout_seconds: 0.3, auto_reconnect: false }) });
    await mcp.ready('local', { signal: signal() });
    await expect(mcp.call('local', 'sleep', { ms: 5_000 }, { signal: signal() })).rejects.toThrow(
      "MCP server 'local' did not answer sleep within 0.3 s",
    );
  });

  it('holds calls to max_concurrent_calls', async () => {
    const mcp = manager();
    await mcp.apply({
      one: stdio({ max_concurrent_calls: 1 }),
      two: stdio({ max_concurrent_calls: 2 }),
    });
    await Promise.all([
      mcp.ready('one', { signal: signal() }),
      mcp.ready('two', { signal: signal() }),
    ]);
    const run = (id: string) =>
      Promise.all(
        [1, 2, 3].map(() => mcp.call(id, 'concurrency', { ms: 100 }, { signal: signal() })),
      );
    expect((await run('one')).map((o) => o.content)).toEqual(['max=1', 'max=1', 'max=1']);
    expect((await run('two')).at(-1)?.content).toBe('max=2');
  });

  it('refreshes the catalogue on tools/list_changed', async () => {
    const mcp = manager();
    await mcp.apply({ local: stdio() });
    await mcp.ready('local', { signal: signal() });
    const changed = new Promise<void>((resolveChange) => {
      const off = mcp.onCatalogueChanged(() => {
        if (mcp.catalogue('local')?.tools.some((tool) => tool.name === 'late')) {
          off();
          resolveChange();
        }
      });
    });
    const before = mcp.catalogue('local')?.version ?? 0;
    await mcp.call('local', 'add_tool', { name: 'late' }, { signal: signal() });
    await changed;
    expect(mcp.catalogue('local')?.version).toBeGreaterThan(before);
    expect(mcp.catalogue('local')?.tools.find((t) => t.name === 'late')?.functionName).toBe(
      'test_late',
    );
  });

  it('applies the server filters and caps long output', async () => {
    const mcp = manager();
    await mcp.apply({ local: stdio({ include_tools: ['big', 'fail', 'image'] }) });
    await mcp.ready('local', { signal: signal() });
    expect(mcp.catalogue('local')?.tools.map((t) => t.name)).toEqual(['big', 'fail', 'image']);
    const big = await mcp.call('local', 'big', { chars: 50_000 }, { signal: signal() });
    expect(big.content).toHaveLength(10_000);
    expect(big.isTruncated).toBe(true);
    expect(await mcp.call('local', 'fail', {}, { signal: signal() })).toMatchObject({
      content: 'it broke',
      isError: true,
    });
    expect((await mcp.call('local', 'image', {}, { signal: signal() })).content).toBe(
      '[image: image/png, 6 bytes, not shown]',
    );
  });

  it('restarts only the servers whose settings changed, and stops removed ones', async () => {
    const mcp = manager();
    await mcp.apply({ keep: stdio(), change: stdio(), drop: stdio() });
    await Promise.all(['keep', 'change', 'drop'].map((id) => mcp.ready(id, { signal: signal() })));
    const pids = { keep: mcp.pidOf('keep'), change: mcp.pidOf('change'), drop: mcp.pidOf('drop') };
    const result = await mcp.apply({ keep: stdio(), change: stdio({ tool_prefix: 'changed' }) });
    expect(result).toEqual({
      started: [],
      restarted: ['change'],
      stopped: ['drop'],
      unchanged: ['keep'],
    });
    expect(isAlive(pids.drop ?? 0)).toBe(false);
    expect(isAlive(pids.change ?? 0)).toBe(false);
    await mcp.ready('change', { signal: signal() });
    expect(mcp.pidOf('keep')).toBe(pids.keep);
    expect(mcp.catalogue('change')?.tools[0]?.functionName).toMatch(/^changed_/);
    expect(Object.keys(mcp.snapshot())).toEqual(['change', 'keep']);
  });

  it('kills its children on stop, even one that ignores stdin closing and SIGTERM', async () => {
    const mcp = manager();
    await mcp.apply({ polite: stdio(), stubborn: stdio({ env: { MCP_TEST_STUBBORN: '1' } }) });
    await Promise.all([
      mcp.ready('polite', { signal: signal() }),
      mcp.ready('stubborn', { signal: signal() }),
    ]);
    const pids = [mcp.pidOf('polite'), mcp.pidOf('stubborn')];
    expect(pids.every((pid) => pid !== undefined && isAlive(pid))).toBe(true);
    await mcp.stop();
    expect(pids.map((pid) => isAlive(pid ?? 0))).toEqual([false, false]);
    expect(mcp.snapshot()['polite']?.state).toBe('stopped');
  }, 15_000);

  it('reports a server that cannot start, with its stderr and no secret', async () => {
    const mcp = manager();
    await mcp.apply({
      broken: stdio({
        args: [
          '-e',
          "console.error('cannot start, token=' + process.env.API_KEY); process.exit(1)",
        ],
        env: { API_KEY: 'sekret-value-123456' },
      }),
    });
    await expect
      .poll(() => mcp.snapshot()['broken']?.last_error ?? null, { timeout: 5_000 })
      .not.toBeNull();
    const status = mcp.snapshot()['broken'];
    expect(status?.state).toMatch(/backoff|starting/);
    expect(status?.last_error).toContain('cannot start');
    expect(JSON.stringify(mcp.snapshot())).not.toContain('sekret-value-123456');
    expect(JSON.stringify(log.lines)).toContain('cannot start, token=[redacted]');
    expect(JSON.stringify(log.lines)).not.toContain('sekret-value-123456');
    await expect(mcp.call('broken', 'echo', { text: 'x' }, { signal: signal() })).rejects.toThrow(
      /broken/,
    );
    await expect(mcp.ready('broken', { signal: AbortSignal.timeout(100) })).rejects.toThrow();
  });
});

describe('McpClientManager with a streamable-HTTP server', () => {
  let server: HttpTestServer;

  beforeAll(async () => {
    server = await startHttpTestServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('connects with the configured headers and calls tools', async () => {
    const mcp = manager();
    await mcp.apply({
      remote: http(server.url, { headers: { Authorization: 'Bearer header-secret-42' } }),
    });
    await mcp.ready('remote', { signal: signal() });
    expect(
      (await mcp.call('remote', 'echo', { text: 'over http' }, { signal: signal() })).content,
    ).toBe('over http');
    expect(server.requestHeaders.at(-1)?.authorization).toBe('Bearer header-secret-42');
  });

  it('reports one clear error while the server is down and recovers when it is back', async () => {
    const own = await startHttpTestServer();
    const mcp = manager();
    await mcp.apply({ remote: http(own.url) });
    await mcp.ready('remote', { signal: signal() });
    await own.stop();
    await expect(mcp.call('remote', 'echo', { text: 'x' }, { signal: signal() })).rejects.toThrow(
      /MCP server 'remote'/,
    );
    const revived = await startHttpTestServer(own.port);
    try {
      await mcp.ready('remote', { signal: signal() });
      expect(
        (await mcp.call('remote', 'echo', { text: 'again' }, { signal: signal() })).content,
      ).toBe('again');
    } finally {
      await revived.stop();
    }
  });
});

describe('McpClientManager with an SSE server', () => {
  it('connects with the configured headers, calls tools, and keeps the secret out of errors', async () => {
    const sse = await startSseTestServer();
    try {
      const mcp = manager();
      const secret = 'sse-header-secret-77';
      await mcp.apply({
        legacy: { ...http(sse.url), transport: 'sse', headers: { 'X-Api-Key': secret } },
      });
      await mcp.ready('legacy', { signal: signal() });
      expect(
        (await mcp.call('legacy', 'echo', { text: 'via sse' }, { signal: signal() })).content,
      ).toBe('via sse');
      expect(sse.requestHeaders.every((headers) => headers['x-api-key'] === secret)).toBe(true);
      await sse.stop();
      await expect(mcp.call('legacy', 'echo', { text: 'x' }, { signal: signal() })).rejects.toThrow(
        /MCP server 'legacy'/,
      );
      expect(JSON.stringify(mcp.snapshot())).not.toContain(secret);
      expect(JSON.stringify(log.lines)).not.toContain(secret);
    } finally {
      await sse.stop();
    }
  });
});
