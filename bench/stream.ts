/**
 * Issue 5: how a streamed answer looks to a person. The scripted model streams at a fixed
 * rate (40 chunks, 50 ms apart, the first after 300 ms); per mention this measures, as the
 * test user's /sync sees it:
 *
 * - mention → first visible token (the first reply event) and → final edit;
 * - the number of edits and edits per second while streaming;
 * - the same set against the model's own clock (the scripted server stamps its first and
 *   last token, on this process's clock): first visible − model first token has a goal of
 *   under 150 ms, final − model last token is the tail after the model is done.
 *
 *   npx tsx bench/stream.ts [samples=10]
 */
import { randomUUID } from 'node:crypto';
import { latestContent } from '../test/support/matrix-events.js';
import { uniqueSuffix } from '../test/support/matrix-registration.js';
import { MatrixTestUser } from '../test/support/matrix-test-user.js';
import { fleetNames } from '../test/support/quorum-e2e.js';
import { ScriptedLlmServer, llmReply } from '../test/support/scripted-llm-server.js';
import {
  agentNames,
  agentTarget,
  benchConfig,
  benchRuntime,
  llmRequestFor,
  pause,
  startJoinedFleet,
} from './support/bench-fleet.js';
import { runBenchmark } from './support/bench-run.js';
import type { ReplyTiming } from './support/reply-timing.js';
import { timeReply } from './support/reply-timing.js';
import { round, summarize } from './support/stats.js';

const SAMPLES = Number(process.argv[2] ?? 10);
const WARMUP = 2;
const GAP_MS = 500;
const MODEL = { chunks: 40, chunkSize: 6, chunkDelayMs: 50, firstTokenDelayMs: 300 } as const;
const GOAL_FIRST_VISIBLE_AFTER_MODEL_MS = 150;

/** `tok00 tok01 … tok39`: one 6-character word per chunk, 40 chunks. */
const STORY = Array.from({ length: MODEL.chunks }, (_, i) => `tok${String(i).padStart(2, '0')} `)
  .join('')
  .trimEnd();

interface StreamSample {
  readonly timing: ReplyTiming;
  readonly modelFirstTokenAtMs: number;
  readonly modelFinishedAtMs: number;
  readonly isFinalTextComplete: boolean;
}

await runBenchmark('stream', async (scope) => {
  const { homeserver } = scope;
  const llm = await ScriptedLlmServer.start({
    defaultReply: llmReply.text(STORY, {
      chunkSize: MODEL.chunkSize,
      chunkDelayMs: MODEL.chunkDelayMs,
      firstTokenDelayMs: MODEL.firstTokenDelayMs,
    }),
  });
  scope.defer(() => llm.close());
  const suffix = uniqueSuffix();
  const alice = await MatrixTestUser.register(homeserver, { localpart: `alice${suffix}` });
  await alice.startSync();
  scope.defer(() => alice.close());
  const names = fleetNames(homeserver, suffix);
  const fleet = await startJoinedFleet({
    homeserver,
    llm,
    names,
    user: alice,
    defer: scope.defer,
    configYaml: benchConfig(names, agentNames(1), { globalUsers: [alice.userId] }),
  });
  const agent = agentTarget(names, 'a1');

  const ask = async (tag: string): Promise<StreamSample> => {
    const marker = `${tag}-${randomUUID().slice(0, 8)}`;
    const timing = await timeReply(
      alice,
      { roomId: fleet.roomId, responderId: agent.userId },
      marker,
      () => alice.sendMention(fleet.roomId, agent, `${agent.displayName}, tell a story ${marker}`),
    );
    const request = llmRequestFor(llm, marker);
    const body = latestContent(alice.eventsIn(fleet.roomId), timing.replyId)?.['body'];
    return {
      timing,
      modelFirstTokenAtMs: request?.firstTokenAtMs ?? Number.NaN,
      modelFinishedAtMs: request?.finishedAtMs ?? Number.NaN,
      isFinalTextComplete: body === STORY,
    };
  };

  for (let i = 0; i < WARMUP; i++) {
    await ask('warm');
    await pause(GAP_MS);
  }
  scope.progress(`${SAMPLES} samples`);
  const samples: StreamSample[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    samples.push(await ask('s'));
    await pause(GAP_MS);
  }

  const since = (pick: (s: StreamSample) => number) =>
    summarize(samples.map((s) => pick(s) - s.timing.sentAtMs));
  const firstAfterModel = summarize(
    samples.map((s) => s.timing.firstVisibleAtMs - s.modelFirstTokenAtMs),
  );
  const editCounts = samples.map((s) => s.timing.editAtMs.length);
  const editRates = samples.map((s) => {
    const streamingMs = s.timing.finalAtMs - s.timing.firstVisibleAtMs;
    return streamingMs > 0 ? (s.timing.editAtMs.length / streamingMs) * 1000 : Number.NaN;
  });
  const gaps = samples.flatMap((s) => {
    const visible = [s.timing.firstVisibleAtMs, ...s.timing.editAtMs];
    return visible.slice(1).map((at, i) => at - visible[i]!);
  });
  return {
    samples: SAMPLES,
    warmup: WARMUP,
    runtime: benchRuntime(),
    model: { ...MODEL, text_chars: STORY.length },
    mention_to_model_first_token: since((s) => s.modelFirstTokenAtMs),
    mention_to_first_visible: since((s) => s.timing.firstVisibleAtMs),
    mention_to_model_last_token: since((s) => s.modelFinishedAtMs),
    mention_to_final: since((s) => s.timing.finalAtMs),
    first_visible_after_model_first_token: firstAfterModel,
    goal_first_visible_after_model_ms: GOAL_FIRST_VISIBLE_AFTER_MODEL_MS,
    final_after_model_last_token: summarize(
      samples.map((s) => s.timing.finalAtMs - s.modelFinishedAtMs),
    ),
    edits_per_reply: {
      p50: summarize(editCounts).p50_ms,
      min: Math.min(...editCounts),
      max: Math.max(...editCounts),
      note: 'edits seen after the first reply event, the final edit included',
    },
    edits_per_second_p50: round(summarize(editRates).p50_ms, 2),
    visible_update_gap: summarize(gaps),
    complete_final_texts: samples.filter((s) => s.isFinalTextComplete).length,
  };
});
