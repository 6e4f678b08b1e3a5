/**
 * Issue 15, end to end: how late a schedule's answer is, as a person in the room sees it. The
 * real daemon on a real Synapse with one agent and an instant scripted model; a test user
 * sends `!schedule in 3 seconds @a1 …` N times in sequence and its own /sync times, against
 * the schedule's due time (read from the fire's id):
 *
 * - due → the fire message visible (the router's post of the scheduled request);
 * - due → the agent's reply visible (first version) and final.
 *
 * Baseline in the same run, interleaved: the same agent answering a direct mention, send →
 * first and final version visible, so the fire's extra cost (one post by the router) shows.
 *
 *   npx tsx bench/schedule-daemon.ts [samples=10]
 */
import { randomUUID } from 'node:crypto';
import {
  isEditOf,
  isInThread,
  relationOf,
  type MatrixEvent,
} from '../test/support/matrix-events.js';
import { isRecord } from '../test/support/matrix-http.js';
import { uniqueSuffix } from '../test/support/matrix-registration.js';
import { MatrixTestUser } from '../test/support/matrix-test-user.js';
import { fleetNames } from '../test/support/quorum-e2e.js';
import { ScriptedLlmServer, llmReply } from '../test/support/scripted-llm-server.js';
import {
  agentTarget,
  benchConfig,
  benchRuntime,
  pause,
  startJoinedFleet,
} from './support/bench-fleet.js';
import { runBenchmark } from './support/bench-run.js';
import { isQuorumFinal, timeReply } from './support/reply-timing.js';
import { round, summarize } from './support/stats.js';

const SAMPLES = Number(process.argv[2] ?? 10);
const DELAY_S = 3;
const FIRE_KEY = 'io.quorum.schedule_fire';
const GOAL_P95_MS = 1_000;

/** When the parts of one fired schedule became visible (epoch ms, this process's clock). */
interface FireSample {
  readonly dueAt: number;
  readonly fireVisibleAt: number;
  readonly replyFirstAt: number;
  readonly replyFinalAt: number;
}

/** Schedules `marker` for the agent and waits until its answer is final. */
async function timeFire(
  user: MatrixTestUser,
  ids: { readonly roomId: string; readonly router: string; readonly agent: string },
  marker: string,
): Promise<FireSample> {
  let fire: MatrixEvent | undefined;
  let replyId: string | undefined;
  const times = { fire: Number.NaN, first: Number.NaN, final: Number.NaN };
  const observed = user.waitFor(
    (event) => {
      const now = Date.now();
      if (event.room_id !== ids.roomId) return false;
      if (fire === undefined) {
        const body = event.content['body'];
        if (
          event.sender === ids.router &&
          typeof event.content[FIRE_KEY] === 'string' &&
          typeof body === 'string' &&
          body.includes(marker)
        ) {
          fire = event;
          times.fire = now;
        }
        return false;
      }
      if (replyId === undefined) {
        if (event.sender !== ids.agent || !isInThread(event, fire.event_id)) return false;
        if (event.type !== 'm.room.message' || relationOf(event)?.relType === 'm.replace') {
          return false;
        }
        replyId = event.event_id;
        times.first = now;
        if (!isQuorumFinal(event.content)) return false;
        times.final = now;
        return true;
      }
      if (event.sender !== ids.agent || !isEditOf(event, replyId)) return false;
      const newContent = event.content['m.new_content'];
      if (!isRecord(newContent) || !isQuorumFinal(newContent)) return false;
      times.final = now;
      return true;
    },
    { timeoutMs: (DELAY_S + 30) * 1_000, description: `the answer to schedule ${marker}` },
  );
  await user.sendText(ids.roomId, `!schedule in ${DELAY_S} seconds @a1 ${marker}`);
  await observed;
  const fireId = fire?.content[FIRE_KEY];
  const dueAt = Number(typeof fireId === 'string' ? fireId.split('@')[1] : Number.NaN);
  return { dueAt, fireVisibleAt: times.fire, replyFirstAt: times.first, replyFinalAt: times.final };
}

await runBenchmark('schedule-daemon', async (scope) => {
  const { homeserver } = scope;
  const llm = await ScriptedLlmServer.start({ defaultReply: llmReply.text('Done.') });
  scope.defer(() => llm.close());
  const suffix = uniqueSuffix();
  const names = fleetNames(homeserver, suffix);
  const user = await MatrixTestUser.register(homeserver, {
    localpart: `sched${suffix}`,
    displayName: 'Scheduler',
  });
  scope.defer(() => user.close());
  await user.startSync();
  const fleet = await startJoinedFleet({
    homeserver,
    llm,
    configYaml: benchConfig(names, ['a1'], { globalUsers: [user.userId] }),
    names,
    user,
    defer: scope.defer,
  });
  const ids = { roomId: fleet.roomId, router: names.userId('router'), agent: names.userId('a1') };
  const target = agentTarget(names, 'a1');
  await pause(1_000);

  const fires: FireSample[] = [];
  const mentionFirst: number[] = [];
  const mentionFinal: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    scope.progress(`sample ${i + 1}/${SAMPLES}`);
    fires.push(await timeFire(user, ids, `fire-${i}-${randomUUID().slice(0, 8)}`));
    const marker = `mention-${i}-${randomUUID().slice(0, 8)}`;
    const timing = await timeReply(
      user,
      { roomId: fleet.roomId, responderId: ids.agent },
      marker,
      () => user.sendMention(fleet.roomId, target, `Agent a1, ${marker}`),
    );
    mentionFirst.push(timing.firstVisibleAtMs - timing.sentAtMs);
    mentionFinal.push(timing.finalAtMs - timing.sentAtMs);
    await pause(300);
  }
  const replyFinal = summarize(fires.map((s) => s.replyFinalAt - s.dueAt));
  return {
    samples: SAMPLES,
    runtime: benchRuntime(),
    due_to_fire_visible: summarize(fires.map((s) => s.fireVisibleAt - s.dueAt)),
    due_to_reply_first_visible: summarize(fires.map((s) => s.replyFirstAt - s.dueAt)),
    due_to_reply_final: {
      ...replyFinal,
      goal_p95_ms: GOAL_P95_MS,
      meets_goal: replyFinal.p95_ms < GOAL_P95_MS,
    },
    fired_before_due: fires.filter((s) => s.fireVisibleAt < s.dueAt).length,
    baseline_mention_to_reply_first_visible: summarize(mentionFirst),
    baseline_mention_to_reply_final: summarize(mentionFinal),
    note: 'epoch ms on one machine: the daemon stamps the due time, this process the arrivals',
    startup_ms: round(fleet.startupMs),
  };
});
