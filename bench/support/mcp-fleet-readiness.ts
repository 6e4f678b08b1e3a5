/**
 * bench/mcp's fleet part: the real daemon on a real homeserver, started again and again with
 * the same fleet, once without MCP servers and once with five stdio servers of which one takes
 * `slowStartupMs` to start (not `required`), alternating so both see the same machine. It
 * reports spawn → `/api/ready` 200 for each, and when the quick servers and the slow one became
 * ready: servers must never delay the fleet's readiness (non-required servers start once the
 * bots are up, so their spawns take no CPU from the boot).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { HomeserverInfo } from '../../test/support/matrix-registration.js';
import { uniqueSuffix } from '../../test/support/matrix-registration.js';
import { fleetNames } from '../../test/support/quorum-e2e.js';
import { ScriptedLlmServer, llmReply } from '../../test/support/scripted-llm-server.js';
import { agentNames, benchConfig, startBenchDaemon } from './bench-fleet.js';
import { round, summarize } from './stats.js';

const SCRIPT = resolve(import.meta.dirname, '../../test/support/mcp/test-tools-server.mjs');
const AGENTS = 3;
const SERVERS = 5;

function mcpBlock(slowStartupMs: number): string {
  const server = (id: string, delayMs: number): string =>
    [
      `  ${id}:`,
      '    transport: stdio',
      `    command: ${JSON.stringify(process.execPath)}`,
      `    args: [${JSON.stringify(SCRIPT)}]`,
      '    startup_timeout_seconds: 60',
      ...(delayMs > 0 ? [`    env: {MCP_TEST_STARTUP_DELAY_MS: '${delayMs}'}`] : []),
    ].join('\n');
  const ids = Array.from({ length: SERVERS }, (_, i) => `s${i}`);
  return `mcp_servers:\n${ids.map((id, i) => server(id, i === 0 ? slowStartupMs : 0)).join('\n')}\n`;
}

/** The fleet's config, with every agent listing every server when `withMcp`. */
function config(
  homeserver: HomeserverInfo,
  suffix: string,
  withMcp: boolean,
  slowStartupMs: number,
): string {
  const names = fleetNames(homeserver, suffix);
  const base = benchConfig(names, agentNames(AGENTS), { globalUsers: [] });
  if (!withMcp) return base;
  const tools = Array.from({ length: SERVERS }, (_, i) => `mcp_s${i}`).join(', ');
  return `${base.replaceAll('    rooms: [', `    tools: [${tools}]\n    rooms: [`)}${mcpBlock(slowStartupMs)}`;
}

/** Runs the comparison; `rounds` measured starts per variant after one warm-up each. */
export async function fleetReadiness(
  homeserver: HomeserverInfo,
  options: { readonly rounds: number; readonly slowStartupMs: number },
  progress: (message: string) => void,
): Promise<Record<string, unknown>> {
  const llm = await ScriptedLlmServer.start({ defaultReply: llmReply.text('ok') });
  const variants = ['without_mcp', 'with_mcp'] as const;
  const dirs: Record<(typeof variants)[number], string> = {
    without_mcp: mkdtempSync(join(tmpdir(), 'quorum-bench-mcp-without-')),
    with_mcp: mkdtempSync(join(tmpdir(), 'quorum-bench-mcp-with-')),
  };
  const suffixes = { without_mcp: uniqueSuffix(), with_mcp: uniqueSuffix() };
  const readyMs: Record<(typeof variants)[number], number[]> = { without_mcp: [], with_mcp: [] };
  const slowReadyMs: number[] = [];
  const quickReadyMs: number[] = [];
  try {
    for (let round_ = 0; round_ <= options.rounds; round_++) {
      for (const variant of variants) {
        const withMcp = variant === 'with_mcp';
        progress(
          `fleet start ${round_ === 0 ? 'warm-up' : `${round_}/${options.rounds}`}: ${variant}`,
        );
        const spawned = performance.now();
        const { daemon, startupMs } = await startBenchDaemon({
          homeserver,
          llm,
          configYaml: config(homeserver, suffixes[variant], withMcp, options.slowStartupMs),
          dataDir: dirs[variant],
        });
        try {
          const report = await daemon.readiness();
          if (withMcp) {
            const slowAtReady = report?.mcp_servers?.['s0']?.state;
            if (round_ > 0 && slowAtReady === 'ready') {
              throw new Error(
                'the slow server was ready before the fleet: the comparison proves nothing',
              );
            }
            await daemon.waitUntil(
              (current) =>
                [1, 2, 3, 4].every((i) => current.mcp_servers?.[`s${i}`]?.state === 'ready'),
              30_000,
              'the quick MCP servers',
            );
            if (round_ > 0) quickReadyMs.push(performance.now() - spawned);
            await daemon.waitUntil(
              (current) => current.mcp_servers?.['s0']?.state === 'ready',
              options.slowStartupMs + 30_000,
              'the slow MCP server',
            );
            if (round_ > 0) slowReadyMs.push(performance.now() - spawned);
          }
          if (round_ > 0) readyMs[variant].push(startupMs);
        } finally {
          await daemon.terminate();
        }
      }
    }
  } finally {
    await llm.close();
    for (const dir of Object.values(dirs)) rmSync(dir, { recursive: true, force: true });
  }
  const without = summarize(readyMs.without_mcp);
  const withMcp = summarize(readyMs.with_mcp);
  return {
    agents: AGENTS,
    servers_per_agent: SERVERS,
    slow_server_startup_delay_ms: options.slowStartupMs,
    spawn_to_ready_without_mcp: without,
    spawn_to_ready_with_mcp: withMcp,
    spawn_to_quick_servers_ready: summarize(quickReadyMs),
    spawn_to_slow_server_ready: summarize(slowReadyMs),
    ready_delta_p50_ms: round(withMcp.p50_ms - without.p50_ms),
    servers_delay_readiness: withMcp.p50_ms - without.p50_ms > options.slowStartupMs / 2,
  };
}
