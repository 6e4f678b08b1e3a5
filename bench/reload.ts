/**
 * Issue 4: how fast a saved config reaches the room. With the daemon running, each run saves
 * a config that adds one new agent and measures, from the save:
 *
 * - plan applied: `/api/ready` reports the next `config_generation`;
 * - agent ready: the new agent's entity state is `syncing`;
 * - answered: the test user, mentioning the new agent as soon as it is ready, sees its final
 *   reply (instant scripted model).
 *
 * The goal is under 1.5 s from save to the new agent's answer. `/api/ready` is polled every
 * 20 ms; the daemon's own log lines (wall clock, ms) show where the time goes.
 *
 *   npx tsx bench/reload.ts [runs=10]
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { DaemonProcess } from '../test/support/daemon-process.js';
import { uniqueSuffix } from '../test/support/matrix-registration.js';
import { MatrixTestUser } from '../test/support/matrix-test-user.js';
import { fleetNames } from '../test/support/quorum-e2e.js';
import { ScriptedLlmServer, llmReply } from '../test/support/scripted-llm-server.js';
import type { ReadinessReport } from '../src/shared/index.js';
import {
  agentTarget,
  benchConfig,
  benchRuntime,
  daemonLogLines,
  pause,
  startJoinedFleet,
} from './support/bench-fleet.js';
import { runBenchmark } from './support/bench-run.js';
import { timeReply } from './support/reply-timing.js';
import { round, summarize } from './support/stats.js';

const RUNS = Number(process.argv[2] ?? 10);
const POLL_MS = 20;
const GOAL_SAVE_TO_ANSWER_MS = 1_500;

/** One save, with every time in ms after it. */
interface ReloadRun {
  readonly agent: string;
  readonly planAppliedMs: number;
  readonly agentReadyMs: number;
  readonly answeredMs: number;
  /** From the daemon's log: save → first `reload plan` line, → account registered, → `config reloaded`. */
  readonly log: Readonly<Record<string, number>>;
}

await runBenchmark('reload', async (scope) => {
  const { homeserver } = scope;
  const llm = await ScriptedLlmServer.start({ defaultReply: llmReply.text('Hello, I am new.') });
  scope.defer(() => llm.close());
  const suffix = uniqueSuffix();
  const alice = await MatrixTestUser.register(homeserver, { localpart: `alice${suffix}` });
  await alice.startSync();
  scope.defer(() => alice.close());
  const names = fleetNames(homeserver, suffix);
  const agents = ['a1'];
  const configFor = (list: readonly string[]): string =>
    benchConfig(names, list, { globalUsers: [alice.userId] });
  const fleet = await startJoinedFleet({
    homeserver,
    llm,
    names,
    user: alice,
    defer: scope.defer,
    configYaml: configFor(agents),
  });

  const runs: ReloadRun[] = [];
  for (let i = 1; i <= RUNS; i++) {
    const agent = `r${i}`;
    agents.push(agent);
    const before = await readiness(fleet.daemon);
    const logMark = daemonLogLines(fleet.daemon).length;
    const savedAtEpochMs = Date.now();
    const savedAt = performance.now();
    fleet.daemon.writeConfig(configFor(agents));

    const planAppliedAt = await pollUntil(
      fleet.daemon,
      (report) => report.config_generation > before.config_generation,
    );
    const agentReadyAt = await pollUntil(fleet.daemon, (report) =>
      report.entities.some((entity) => entity.name === agent && entity.state === 'syncing'),
    );
    const target = agentTarget(names, agent);
    const marker = `${agent}-${randomUUID().slice(0, 8)}`;
    const timing = await timeReply(
      alice,
      { roomId: fleet.roomId, responderId: target.userId },
      marker,
      () => alice.sendMention(fleet.roomId, target, `${target.displayName}, hello ${marker}`),
    );
    const lines = daemonLogLines(fleet.daemon).slice(logMark);
    const at = (predicate: (line: { msg: string; [key: string]: unknown }) => boolean) => {
      const line = lines.find(predicate);
      return line === undefined ? Number.NaN : Date.parse(line.time) - savedAtEpochMs;
    };
    runs.push({
      agent,
      planAppliedMs: planAppliedAt - savedAt,
      agentReadyMs: agentReadyAt - savedAt,
      answeredMs: timing.finalAtMs - savedAt,
      log: {
        reload_plan: at((line) => line.msg === 'reload plan'),
        account_registered: at(
          (line) =>
            line.msg === 'registered Matrix account' &&
            typeof line['localpart'] === 'string' &&
            line['localpart'].endsWith(`_${agent}`),
        ),
        config_reloaded: at((line) => line.msg === 'config reloaded'),
      },
    });
    scope.progress(
      `run ${i}: plan ${round(planAppliedAt - savedAt)} ms, ready ${round(agentReadyAt - savedAt)} ms, answered ${round(timing.finalAtMs - savedAt)} ms`,
    );
    await pause(500);
  }

  const logStage = (key: string) => summarize(runs.map((run) => run.log[key] ?? Number.NaN));
  const answered = summarize(runs.map((run) => run.answeredMs));
  return {
    runs: RUNS,
    runtime: benchRuntime(),
    method:
      'each run adds one new agent (new account) to a running fleet; /api/ready polled every 20 ms',
    save_to_plan_applied: summarize(runs.map((run) => run.planAppliedMs)),
    save_to_agent_ready: summarize(runs.map((run) => run.agentReadyMs)),
    save_to_answered: answered,
    agent_ready_to_answered: summarize(runs.map((run) => run.answeredMs - run.agentReadyMs)),
    goal_save_to_answered_ms: GOAL_SAVE_TO_ANSWER_MS,
    meets_goal_p50: answered.p50_ms < GOAL_SAVE_TO_ANSWER_MS,
    daemon_log_ms_after_save: {
      reload_plan: logStage('reload_plan'),
      account_registered: logStage('account_registered'),
      config_reloaded: logStage('config_reloaded'),
    },
  };
});

async function readiness(daemon: DaemonProcess): Promise<ReadinessReport> {
  const report = await daemon.readiness();
  if (report === undefined) throw new Error('/api/ready did not answer');
  return report;
}

/** Polls `/api/ready` every POLL_MS until `predicate` holds; resolves with `performance.now()`. */
async function pollUntil(
  daemon: DaemonProcess,
  predicate: (report: ReadinessReport) => boolean,
  timeoutMs = 30_000,
): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const report = await daemon.readiness();
    const now = performance.now();
    if (report !== undefined && predicate(report)) return now;
    if (now > deadline) {
      throw new Error(`timed out polling /api/ready: ${JSON.stringify(report)}\n${daemon.tail()}`);
    }
    await pause(POLL_MS);
  }
}
