/**
 * Issue 13: what Quorum adds to an MCP tool call, and how fast MCP servers become usable.
 * No homeserver needed; prints one JSON object on stdout.
 *
 * - Per-call overhead: the same stdio test server (test/support/mcp/test-tools-server.mjs)
 *   is called with `echo` three ways, interleaved in one run: the bare SDK `Client` (the
 *   server's own time plus the SDK: the baseline), Quorum's `McpClientManager.call`
 *   (supervision, concurrency slot, timeout, error mapping, metrics), and the whole agent
 *   tool path (`buildAgentTools` runner: name lookup, argument check, runner timeout, result
 *   cap). Overhead = Quorum's percentile − the baseline's percentile. Goal: < 5 ms.
 * - Startup: time from `apply()` with 5 stdio servers to all 5 catalogues usable, against 5
 *   bare SDK clients connecting and listing tools in parallel; and how long `apply()` itself
 *   takes when one server needs 2 s to start (it must not wait: servers never delay the fleet).
 * - Fleet readiness (with `--fleet`, or when `MATRIX_HOMESERVER` names a homeserver): the real
 *   daemon started again and again, alternately without MCP servers and with 5 stdio servers
 *   per agent of which one needs 8 s to start; spawn → `/api/ready` 200 for each, and when
 *   the slow server became ready (see bench/support/mcp-fleet-readiness.ts).
 *
 *   npx tsx bench/mcp.ts [calls=300] [--fleet]
 */
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { McpServerConfig } from '../src/config/index.js';
import { QuorumMetrics, silentLogger, systemClock } from '../src/shared/index.js';
import { buildAgentTools, createSdkSessionFactory, McpClientManager } from '../src/tools/index.js';
import { acquireBenchHomeserver } from './support/bench-homeserver.js';
import { machineContext } from './support/machine.js';
import { fleetReadiness } from './support/mcp-fleet-readiness.js';
import { round, summarize } from './support/stats.js';

const ARGS = process.argv.slice(2);
const CALLS = Number(ARGS.find((arg) => /^\d+$/.test(arg)) ?? 300);
const WANTS_FLEET = ARGS.includes('--fleet') || (process.env['MATRIX_HOMESERVER'] ?? '') !== '';
const FLEET_ROUNDS = 3;
const SLOW_STARTUP_MS = 8_000;
const WARMUP = 30;
const SERVERS = 5;
const GOAL_OVERHEAD_MS = 5;
const SCRIPT = resolve(import.meta.dirname, '../test/support/mcp/test-tools-server.mjs');
const BASE_ENV = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', LANG: 'C.UTF-8' };

function serverConfig(env: Record<string, string> = {}): McpServerConfig {
  return {
    enabled: true,
    required: false,
    transport: 'stdio',
    command: process.execPath,
    args: [SCRIPT],
    cwd: null,
    env,
    url: null,
    headers: {},
    tool_prefix: null,
    include_tools: [],
    exclude_tools: [],
    startup_timeout_seconds: 20,
    call_timeout_seconds: 30,
    max_concurrent_calls: 1,
    auto_reconnect: true,
  };
}

function newManager(): McpClientManager {
  return new McpClientManager({
    clock: systemClock,
    log: silentLogger,
    metrics: new QuorumMetrics(),
    sessions: createSdkSessionFactory({
      baseEnv: BASE_ENV,
      log: silentLogger,
      maxOutputChars: 100_000,
      version: 'bench',
    }),
  });
}

async function bareClient(): Promise<Client> {
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [SCRIPT],
      env: BASE_ENV,
      stderr: 'pipe',
    }),
  );
  return client;
}

async function time(run: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await run();
  return performance.now() - start;
}

const progress = (message: string): void => {
  process.stderr.write(`[mcp] ${message}\n`);
};

async function callOverhead(): Promise<Record<string, unknown>> {
  progress(`per-call overhead, ${CALLS} calls each way`);
  const bare = await bareClient();
  const manager = newManager();
  await manager.apply({ bench: serverConfig() });
  await manager.ready('bench', { signal: AbortSignal.timeout(20_000) });
  const runner = buildAgentTools([{ name: 'mcp_bench', overrides: {} }], {
    clock: systemClock,
    log: silentLogger,
    timezone: 'UTC',
    host: { shellEnv: BASE_ENV },
    mcp: manager,
  });
  const signal = new AbortController().signal;
  const context = {
    agentName: 'bench',
    roomId: '!r:x',
    threadRoot: undefined,
    requester: '@u:x',
    signal,
  };
  const args = { text: 'hello' };
  const samples = { bare: [] as number[], manager: [] as number[], runner: [] as number[] };
  try {
    for (let i = 0; i < WARMUP + CALLS; i++) {
      const bareMs = await time(() => bare.callTool({ name: 'echo', arguments: args }));
      const managerMs = await time(() => manager.call('bench', 'echo', args, { signal }));
      const runnerMs = await time(() =>
        runner.run(
          { id: `c${i}`, name: 'bench_echo', arguments: args, argumentsJson: '{"text":"hello"}' },
          context,
        ),
      );
      if (i < WARMUP) continue;
      samples.bare.push(bareMs);
      samples.manager.push(managerMs);
      samples.runner.push(runnerMs);
    }
  } finally {
    await bare.close();
    await manager.stop();
  }
  const baseline = summarize(samples.bare);
  const viaManager = summarize(samples.manager);
  const viaRunner = summarize(samples.runner);
  // Paired too: each iteration's Quorum call minus the bare call made right before it.
  const paired = summarize(samples.runner.map((ms, i) => ms - (samples.bare[i] ?? 0)));
  const overhead = {
    agent_tool_paired_p50_ms: paired.p50_ms,
    agent_tool_paired_p95_ms: paired.p95_ms,
    manager_p50_ms: round(viaManager.p50_ms - baseline.p50_ms, 2),
    manager_p95_ms: round(viaManager.p95_ms - baseline.p95_ms, 2),
    agent_tool_p50_ms: round(viaRunner.p50_ms - baseline.p50_ms, 2),
    agent_tool_p95_ms: round(viaRunner.p95_ms - baseline.p95_ms, 2),
  };
  return {
    bare_sdk_call: baseline,
    manager_call: viaManager,
    agent_tool_call: viaRunner,
    overhead,
    goal_overhead_ms: GOAL_OVERHEAD_MS,
    meets_goal: overhead.agent_tool_p95_ms < GOAL_OVERHEAD_MS,
  };
}

async function startup(): Promise<Record<string, unknown>> {
  progress(`startup of ${SERVERS} stdio servers`);
  const bareMs = await time(async () => {
    const clients = await Promise.all(
      Array.from({ length: SERVERS }, async () => {
        const client = await bareClient();
        await client.listTools();
        return client;
      }),
    );
    await Promise.all(clients.map((client) => client.close()));
  });
  const manager = newManager();
  const configs = Object.fromEntries(
    Array.from({ length: SERVERS }, (_, i) => [`s${i}`, serverConfig()]),
  );
  const start = performance.now();
  const applyMs = await time(() => manager.apply(configs));
  await Promise.all(
    Object.keys(configs).map((id) => manager.ready(id, { signal: AbortSignal.timeout(30_000) })),
  );
  const usableMs = performance.now() - start;
  await manager.stop();

  progress('apply() with one slow server');
  const slow = newManager();
  const slowApplyMs = await time(() =>
    slow.apply({
      slow: serverConfig({ MCP_TEST_STARTUP_DELAY_MS: '2000' }),
      quick: serverConfig(),
    }),
  );
  const quickReadyMs = await time(() =>
    slow.ready('quick', { signal: AbortSignal.timeout(30_000) }),
  );
  await slow.stop();
  return {
    servers: SERVERS,
    catalogue_usable_ms: round(usableMs),
    apply_returned_ms: round(applyMs, 2),
    bare_sdk_parallel_ms: round(bareMs),
    with_one_slow_server: {
      apply_returned_ms: round(slowApplyMs, 2),
      quick_server_ready_ms: round(quickReadyMs),
      slow_server_startup_delay_ms: 2_000,
    },
  };
}

const machineAtStart = machineContext();
const calls = await callOverhead();
const starts = await startup();
let fleet: Record<string, unknown> | undefined;
if (WANTS_FLEET) {
  const acquired = await acquireBenchHomeserver();
  try {
    fleet = await fleetReadiness(
      acquired.homeserver,
      { rounds: FLEET_ROUNDS, slowStartupMs: SLOW_STARTUP_MS },
      progress,
    );
    fleet = { homeserver: acquired.source, ...fleet };
  } finally {
    await acquired.release();
  }
}
process.stdout.write(
  `${JSON.stringify({
    benchmark: 'mcp',
    calls_per_path: CALLS,
    per_call: calls,
    startup: starts,
    ...(fleet === undefined ? {} : { fleet_readiness: fleet }),
    machine: machineAtStart,
    machine_at_end: machineContext(),
  })}\n`,
);
