/**
 * Issue 3: how long a person waits for an agent, next to the least any bot could make them
 * wait on the same homeserver; and what the daemon costs in memory and start-up time.
 *
 * - Mention → reply, as the test user's own /sync sees it: the first visible reply and the
 *   reply's FINAL text, with an instant scripted model (one chunk, no delay), N sequential
 *   mentions after a warm-up. Measured for Quorum's defaults (streaming with a stop button)
 *   and two variants (no stop button; no streaming), so the cost of each extra send shows.
 * - The same for a bare Client-Server-API echo bot (bench/support/echo-bot.ts) on the same
 *   Synapse, its samples interleaved with Quorum's so machine load hits both alike; the
 *   ratio Quorum p50 / echo p50 has a goal of ≤ 1.3.
 * - RSS of the daemon process with 3 agents (idle after settling, and after the samples) and
 *   with 20 agents; spawn → `/api/ready` 200 with 20 agents from a fresh data dir (accounts
 *   registered during the run) and again with the same data dir (the normal restart).
 *
 * - Issue 16, `e2ee`: mention → final reply p50 in an encrypted room against a plain room of
 *   the same fleet in the same run, seen by a real encrypting client (goal ≤ 1.3×), and
 *   spawn → `/api/ready` with encryption on (bench/support/e2ee-latency.ts).
 *
 *   npx tsx bench/latency.ts [samples=30] [--e2ee-only]
 */
import { randomUUID } from 'node:crypto';
import type { MentionTarget } from '../test/support/matrix-events.js';
import { uniqueSuffix } from '../test/support/matrix-registration.js';
import { MatrixTestUser } from '../test/support/matrix-test-user.js';
import { fleetNames } from '../test/support/quorum-e2e.js';
import { ScriptedLlmServer, llmReply } from '../test/support/scripted-llm-server.js';
import {
  agentNames,
  agentTarget,
  benchConfig,
  benchRuntime,
  keepDaemonLog,
  llmRequestFor,
  logMilestones,
  pause,
  startBenchDaemon,
  startJoinedFleet,
} from './support/bench-fleet.js';
import type { BenchScope } from './support/bench-run.js';
import { runBenchmark } from './support/bench-run.js';
import { EchoBot } from './support/echo-bot.js';
import { measureEncryptedLatency } from './support/e2ee-latency.js';
import { rssMb, settledRssMb, treeRssMb } from './support/process-memory.js';
import type { ReplyTiming } from './support/reply-timing.js';
import { timeReply } from './support/reply-timing.js';
import { round, summarize } from './support/stats.js';

const ARGS = process.argv.slice(2);
const SAMPLES = Number(ARGS.find((arg) => !arg.startsWith('--')) ?? 30);
/** Only the encrypted-room section (a quicker run when only encryption changed). */
const IS_E2EE_ONLY = ARGS.includes('--e2ee-only');
/** Mentions on the 20-agent fleet, where every event reaches 21 sync loops. */
const SAMPLES_20 = Math.min(SAMPLES, 15);
const WARMUP = 5;
/** Lets a sample's trailing sends (the stop button's redaction) land before the next one. */
const GAP_MS = 300;
const GOAL_RATIO_P50 = 1.3;

interface Variant {
  readonly name: string;
  readonly defaults: readonly string[];
}

const VARIANTS: readonly Variant[] = [
  { name: 'default', defaults: [] },
  { name: 'no_stop_button', defaults: ['show_stop_button: false'] },
  { name: 'non_streaming', defaults: ['enable_streaming: false'] },
];

/** Where the time of one Quorum answer went, from the send to the final text. */
interface QuorumSample {
  readonly timing: ReplyTiming;
  readonly modelRequestAtMs: number;
  readonly modelFirstTokenAtMs: number;
}

await runBenchmark('latency', async (scope) => {
  const { homeserver } = scope;
  const llm = await ScriptedLlmServer.start({ defaultReply: llmReply.text('Pong.') });
  scope.defer(() => llm.close());
  const measureE2ee = () =>
    measureEncryptedLatency({
      homeserver,
      llm,
      samples: SAMPLES,
      progress: scope.progress,
      defer: scope.defer,
    });
  if (IS_E2EE_ONLY) return { runtime: benchRuntime(), e2ee: await measureE2ee() };
  const suffix = uniqueSuffix();
  const alice = await MatrixTestUser.register(homeserver, { localpart: `alice${suffix}` });
  await alice.startSync();
  scope.defer(() => alice.close());

  const echo = await EchoBot.start(homeserver, `echo${suffix}`);
  scope.defer(() => echo.close());
  const echoRoomId = await alice.createRoom({ invite: [echo.userId] });
  await alice.waitFor(
    (e) =>
      e.room_id === echoRoomId &&
      e.type === 'm.room.member' &&
      e.state_key === echo.userId &&
      e.content['membership'] === 'join',
  );
  const echoTarget: MentionTarget = { userId: echo.userId, displayName: 'Echo' };

  const variants: Record<string, unknown> = {};
  const memory: Record<string, number | undefined> = {};
  const startup: Record<string, number> = {};
  for (const variant of VARIANTS) {
    scope.progress(`variant ${variant.name}: starting 3 agents`);
    const names = fleetNames(homeserver, uniqueSuffix());
    const fleet = await startJoinedFleet({
      homeserver,
      llm,
      names,
      user: alice,
      defer: scope.defer,
      configYaml: benchConfig(names, agentNames(3), {
        globalUsers: [alice.userId],
        defaults: variant.defaults,
      }),
    });
    const pid = fleet.daemon.pid;
    if (variant.name === 'default') {
      startup['agents_3_fresh'] = round(fleet.startupMs);
      memory['agents_3'] = await settledRssMb(pid);
      memory['agents_3_tree'] = treeRssMb(pid);
    }
    const agents = agentNames(3).map((name) => agentTarget(names, name));
    const askQuorum = (i: number, tag: string): Promise<QuorumSample> =>
      sampleQuorum(scope, llm, alice, fleet.roomId, agents[i % agents.length]!, uniqueMarker(tag));
    const askEcho = (_i: number, tag: string): Promise<ReplyTiming> =>
      sampleEcho(alice, echoRoomId, echoTarget, uniqueMarker(tag));

    scope.progress(`variant ${variant.name}: ${SAMPLES} samples`);
    const { quorum, baseline } = await sampleInterleaved(SAMPLES, {
      quorum: askQuorum,
      echo: askEcho,
    });
    variants[variant.name] = describeVariant(variant.defaults, quorum, baseline);
    if (variant.name === 'default') {
      memory['agents_3_after_samples'] = rssMb(pid);
    }
    const stopped = await fleet.daemon.terminate();
    if (variant.name === 'default') startup['agents_3_shutdown'] = stopped.durationMs;
  }

  scope.progress('20 agents: fresh data dir');
  const big = await measureBigFleet(scope, llm, alice, (roomId, agents) =>
    sampleInterleaved(SAMPLES_20, {
      quorum: (i, tag) =>
        sampleQuorum(scope, llm, alice, roomId, agents[i % agents.length]!, uniqueMarker(tag)),
      echo: (_i, tag) => sampleEcho(alice, echoRoomId, echoTarget, uniqueMarker(tag)),
    }),
  );
  scope.progress('encrypted rooms');
  const e2ee = await measureE2ee();
  const main = variants['default'] as ReturnType<typeof describeVariant>;
  return {
    samples: SAMPLES,
    warmup: WARMUP,
    runtime: benchRuntime(),
    quorum: main.quorum.final,
    quorum_first_visible: main.quorum.first_visible,
    echo_bot: main.echo_bot,
    ratio_p50: main.ratio_p50,
    goal_ratio_p50: GOAL_RATIO_P50,
    variants,
    rss_mb: { ...memory, ...big.memory },
    startup_ms: { ...startup, ...big.startup },
    startup_stages_ms: big.stages,
    agents_20_latency: big.latency,
    e2ee,
  };
});

/** Warm-up, then `samples` Quorum and echo samples, alternating who goes first. */
async function sampleInterleaved(
  samples: number,
  ask: {
    quorum: (i: number, tag: string) => Promise<QuorumSample>;
    echo: (i: number, tag: string) => Promise<ReplyTiming>;
  },
): Promise<{ quorum: QuorumSample[]; baseline: ReplyTiming[] }> {
  for (let i = 0; i < WARMUP; i++) {
    await ask.quorum(i, 'warm');
    await ask.echo(i, 'warm');
    await pause(GAP_MS);
  }
  const quorum: QuorumSample[] = [];
  const baseline: ReplyTiming[] = [];
  for (let i = 0; i < samples; i++) {
    // Alternate who goes first, so neither always runs right after the other's trailing work.
    if (i % 2 === 0) {
      quorum.push(await ask.quorum(i, 'q'));
      await pause(GAP_MS);
      baseline.push(await ask.echo(i, 'e'));
    } else {
      baseline.push(await ask.echo(i, 'e'));
      await pause(GAP_MS);
      quorum.push(await ask.quorum(i, 'q'));
    }
    await pause(GAP_MS);
  }
  return { quorum, baseline };
}

/** A string no other message of the run contains (`q1` would also match `q10`). */
function uniqueMarker(tag: string): string {
  return `${tag}-${randomUUID().slice(0, 8)}`;
}

async function sampleQuorum(
  scope: BenchScope,
  llm: ScriptedLlmServer,
  user: MatrixTestUser,
  roomId: string,
  agent: MentionTarget,
  marker: string,
): Promise<QuorumSample> {
  const timing = await timeReply(user, { roomId, responderId: agent.userId }, marker, () =>
    user.sendMention(roomId, agent, `${agent.displayName}, ping ${marker}`),
  );
  const request = llmRequestFor(llm, marker);
  if (request?.firstTokenAtMs === undefined) {
    scope.progress(`no model request recorded for ${marker}`);
  }
  return {
    timing,
    modelRequestAtMs: request?.receivedAtMs ?? Number.NaN,
    modelFirstTokenAtMs: request?.firstTokenAtMs ?? Number.NaN,
  };
}

function sampleEcho(
  user: MatrixTestUser,
  roomId: string,
  echo: MentionTarget,
  marker: string,
): Promise<ReplyTiming> {
  return timeReply(user, { roomId, responderId: echo.userId, isFinal: () => true }, marker, () =>
    user.sendText(roomId, `ping ${marker}`),
  );
}

function describeVariant(
  defaults: readonly string[],
  quorum: readonly QuorumSample[],
  baseline: readonly ReplyTiming[],
) {
  const final = summarize(quorum.map((s) => s.timing.finalAtMs - s.timing.sentAtMs));
  const firstVisible = summarize(quorum.map((s) => s.timing.firstVisibleAtMs - s.timing.sentAtMs));
  const echo = summarize(baseline.map((t) => t.finalAtMs - t.sentAtMs));
  const p50 = (values: number[]): number => summarize(values).p50_ms;
  return {
    defaults,
    quorum: {
      final,
      first_visible: firstVisible,
      // Where the time goes, p50 of each stage on its own (they need not add up exactly).
      stages_p50_ms: {
        send: p50(quorum.map((s) => s.timing.sendReturnedAtMs - s.timing.sentAtMs)),
        send_to_model_request: p50(quorum.map((s) => s.modelRequestAtMs - s.timing.sentAtMs)),
        model_request_to_first_token: p50(
          quorum.map((s) => s.modelFirstTokenAtMs - s.modelRequestAtMs),
        ),
        model_first_token_to_first_visible: p50(
          quorum.map((s) => s.timing.firstVisibleAtMs - s.modelFirstTokenAtMs),
        ),
        first_visible_to_final: p50(
          quorum.map((s) => s.timing.finalAtMs - s.timing.firstVisibleAtMs),
        ),
      },
      edits_per_reply: p50(quorum.map((s) => s.timing.editAtMs.length)),
    },
    echo_bot: {
      ...echo,
      send_p50_ms: p50(baseline.map((t) => t.sendReturnedAtMs - t.sentAtMs)),
    },
    ratio_p50: round(final.p50_ms / echo.p50_ms, 2),
    ratio_p50_first_visible: round(firstVisible.p50_ms / echo.p50_ms, 2),
  };
}

/**
 * 20 agents: start from a fresh data dir, settle, read RSS, stop, start again on the same dir,
 * settle, read RSS, then time mentions with `sample` (the latency of a crowded room).
 */
async function measureBigFleet(
  scope: BenchScope,
  llm: ScriptedLlmServer,
  user: MatrixTestUser,
  sample: (
    roomId: string,
    agents: readonly MentionTarget[],
  ) => Promise<{ quorum: QuorumSample[]; baseline: ReplyTiming[] }>,
) {
  const names = fleetNames(scope.homeserver, uniqueSuffix());
  const configYaml = benchConfig(names, agentNames(20), { globalUsers: [user.userId] });
  const milestones = {
    http_listening: 'http api listening',
    fleet_starting: 'starting the fleet',
    fleet_started: 'fleet started',
  };
  const fresh = await startBenchDaemon({ homeserver: scope.homeserver, llm, configYaml });
  scope.defer(() => fresh.daemon.close());
  const freshStages = logMilestones(fresh.daemon, fresh.spawnedAtEpochMs, milestones);
  const agents20 = await settledRssMb(fresh.daemon.pid);
  const agents20Tree = treeRssMb(fresh.daemon.pid);
  const stoppedFresh = await fresh.daemon.terminate();
  keepDaemonLog(fresh.daemon);

  scope.progress('20 agents: restart on the same data dir');
  const again = await startBenchDaemon({
    homeserver: scope.homeserver,
    llm,
    configYaml,
    dataDir: fresh.daemon.dataDir,
  });
  scope.defer(() => again.daemon.close());
  const restartStages = logMilestones(again.daemon, again.spawnedAtEpochMs, milestones);
  const agents20Restart = await settledRssMb(again.daemon.pid);
  scope.progress(`20 agents: ${SAMPLES_20} samples`);
  const roomId = await user.joinRoom(names.alias);
  const { quorum, baseline } = await sample(
    roomId,
    agentNames(20).map((name) => agentTarget(names, name)),
  );
  const agents20AfterSamples = rssMb(again.daemon.pid);
  const stoppedAgain = await again.daemon.terminate();
  keepDaemonLog(again.daemon);
  return {
    memory: {
      agents_20: agents20,
      agents_20_tree: agents20Tree,
      agents_20_after_restart: agents20Restart,
      agents_20_after_samples: agents20AfterSamples,
    },
    latency: describeVariant([], quorum, baseline),
    startup: {
      agents_20_fresh: round(fresh.startupMs),
      agents_20_restart: round(again.startupMs),
      agents_20_shutdown: stoppedFresh.durationMs,
      agents_20_restart_shutdown: stoppedAgain.durationMs,
    },
    stages: { agents_20_fresh: freshStages, agents_20_restart: restartStages },
  };
}
