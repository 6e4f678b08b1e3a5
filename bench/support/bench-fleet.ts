/**
 * A Quorum fleet for benchmarks: N agents in one room, their model a scripted server, run as
 * the real daemon process (through tsx like the e2e tests, or compiled with
 * `QUORUM_BENCH_RUNTIME=dist`), with a test user who may talk to them.
 */
import { appendFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DaemonProcess } from '../../test/support/daemon-process.js';
import type { MentionTarget } from '../../test/support/matrix-events.js';
import type { HomeserverInfo } from '../../test/support/matrix-registration.js';
import type { FleetNames } from '../../test/support/quorum-e2e.js';
import { fleetConfig } from '../../test/support/quorum-e2e.js';
import type { MatrixTestUser } from '../../test/support/matrix-test-user.js';
import type {
  RecordedLlmRequest,
  ScriptedLlmServer,
} from '../../test/support/scripted-llm-server.js';

const REPO = resolve(import.meta.dirname, '../..');

/** How the daemon runs: `QUORUM_BENCH_RUNTIME` (`tsx`, the default, or `dist`). */
export function benchRuntime(env: NodeJS.ProcessEnv = process.env): 'tsx' | 'dist' {
  const runtime = env['QUORUM_BENCH_RUNTIME'] ?? 'tsx';
  if (runtime !== 'tsx' && runtime !== 'dist') {
    throw new Error(`QUORUM_BENCH_RUNTIME must be tsx or dist, not ${runtime}`);
  }
  if (runtime === 'dist' && !existsSync(resolve(REPO, 'dist/cli/main.js'))) {
    throw new Error('QUORUM_BENCH_RUNTIME=dist needs a build: run `npm run build` first');
  }
  return runtime;
}

/** Agent names `a1`…`aN`. */
export function agentNames(count: number, prefix = 'a'): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${i + 1}`);
}

/** The mention target of agent `name` (display name `Agent <name>`). */
export function agentTarget(names: FleetNames, name: string): MentionTarget {
  return { userId: names.userId(name), displayName: `Agent ${name}` };
}

/**
 * A config in MindRoom's format: the given agents, all in the fleet's room, one scripted
 * model, `globalUsers` authorized, and optional `defaults` lines (e.g. `enable_streaming: false`).
 */
export function benchConfig(
  names: FleetNames,
  agents: readonly string[],
  options: { globalUsers: readonly string[]; defaults?: readonly string[] },
): string {
  const block = agents
    .map(
      (name) =>
        `  ${name}:\n    display_name: Agent ${name}\n    role: Answers benchmark questions.\n    rooms: [ROOM]`,
    )
    .join('\n');
  const defaults =
    options.defaults === undefined || options.defaults.length === 0
      ? ''
      : `defaults:\n${options.defaults.map((line) => `  ${line}`).join('\n')}\n`;
  return fleetConfig(names, {
    agents: block,
    globalUsers: options.globalUsers,
    extra: defaults,
    // A benchmark's one user sends far faster than a person: no rate limit, no queueing.
    quorum: BENCH_LIMITS,
  });
}

/** `quorum.limits` for benchmarks, which measure latency, not the limits. */
export const BENCH_LIMITS: readonly string[] = [
  'limits:',
  '  messages_per_minute_per_user: 10000',
  '  turns_per_user: 100',
  '  turns_per_room: 1000',
];

/** Options of {@link startBenchDaemon}. */
export interface BenchDaemonOptions {
  readonly homeserver: HomeserverInfo;
  readonly llm: ScriptedLlmServer;
  readonly configYaml: string;
  readonly dataDir?: string;
  readonly readyTimeoutMs?: number;
}

/** A started daemon and how long it took from spawn to `/api/ready` answering 200. */
export interface StartedDaemon {
  readonly daemon: DaemonProcess;
  /** Spawn to the first 200 of `/api/ready` (polled every 100 ms). */
  readonly startupMs: number;
  /** `Date.now()` just before the spawn (log lines carry wall-clock times). */
  readonly spawnedAtEpochMs: number;
}

/** Starts the daemon with the scripted model and waits until it is ready. */
export async function startBenchDaemon(options: BenchDaemonOptions): Promise<StartedDaemon> {
  const spawnedAtEpochMs = Date.now();
  const started = performance.now();
  const daemon = await DaemonProcess.start(
    {
      homeserver: options.homeserver,
      configYaml: options.configYaml,
      runtime: benchRuntime(),
      env: {
        OPENAI_BASE_URL: options.llm.openAiBaseUrl,
        OPENAI_API_KEY: 'sk-bench-not-a-real-key-000000',
        LOG_LEVEL: process.env['QUORUM_BENCH_LOG_LEVEL'] ?? 'info',
      },
      // E.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile the daemon during a benchmark.
      nodeArgs: (process.env['QUORUM_BENCH_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== ''),
      ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    },
    options.readyTimeoutMs ?? 180_000,
  );
  return { daemon, startupMs: performance.now() - started, spawnedAtEpochMs };
}

/**
 * Appends the daemon's output to the file named by `QUORUM_BENCH_DAEMON_LOG`, if set (with
 * `QUORUM_BENCH_LOG_LEVEL=debug`, the way to see where a slow figure spends its time).
 */
export function keepDaemonLog(daemon: DaemonProcess): void {
  const path = process.env['QUORUM_BENCH_DAEMON_LOG'];
  if (path !== undefined && path !== '') appendFileSync(path, daemon.output.join(''));
}

/** One JSON log line of the daemon. */
export interface DaemonLogLine {
  readonly time: string;
  readonly level: string;
  readonly msg: string;
  readonly [field: string]: unknown;
}

/** The daemon's JSON log lines so far (other output is skipped). */
export function daemonLogLines(daemon: DaemonProcess): DaemonLogLine[] {
  const lines: DaemonLogLine[] = [];
  for (const line of daemon.output.join('').split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const parsed = JSON.parse(line) as Partial<DaemonLogLine>;
      if (typeof parsed.time === 'string' && typeof parsed.msg === 'string') {
        lines.push(parsed as DaemonLogLine);
      }
    } catch {
      // Not a log line.
    }
  }
  return lines;
}

/**
 * Milliseconds from `spawnedAtEpochMs` to the first log line with each message in `messages`
 * (by wall clock, at the logger's millisecond resolution); absent messages are left out.
 */
export function logMilestones(
  daemon: DaemonProcess,
  spawnedAtEpochMs: number,
  messages: Readonly<Record<string, string>>,
): Record<string, number> {
  const lines = daemonLogLines(daemon);
  const out: Record<string, number> = {};
  for (const [key, msg] of Object.entries(messages)) {
    const line = lines.find((candidate) => candidate.msg === msg);
    if (line !== undefined) out[key] = Date.parse(line.time) - spawnedAtEpochMs;
  }
  return out;
}

/** A running fleet with the test user in its room. */
export interface JoinedFleet extends StartedDaemon {
  readonly names: FleetNames;
  /** The fleet's room, which the test user has joined. */
  readonly roomId: string;
}

/**
 * Starts a daemon for `configYaml` (see {@link startBenchDaemon}), has `user` join the fleet's
 * room, and registers the daemon's shutdown with `defer`.
 */
export async function startJoinedFleet(
  options: BenchDaemonOptions & {
    readonly names: FleetNames;
    readonly user: MatrixTestUser;
    readonly defer: (cleanup: () => Promise<unknown>) => void;
  },
): Promise<JoinedFleet> {
  const started = await startBenchDaemon(options);
  options.defer(async () => {
    await started.daemon.close();
    keepDaemonLog(started.daemon);
  });
  const roomId = await options.user.joinRoom(options.names.alias);
  return { ...started, names: options.names, roomId };
}

/** The model request whose last user message contains `marker` (the question's unique text). */
export function llmRequestFor(
  llm: ScriptedLlmServer,
  marker: string,
): RecordedLlmRequest | undefined {
  return llm.requests.find((request) => request.lastUserText.includes(marker));
}

/** A pause, e.g. between samples so one sample's trailing sends do not overlap the next. */
export function pause(ms: number): Promise<void> {
  return new Promise((resolvePause) => setTimeout(resolvePause, ms));
}
