/**
 * Issue 6: what routing costs. With three agents in a room and an instant scripted model:
 *
 * - reply latency (send → final reply text, as the test user's /sync sees it) for messages
 *   the router routes versus messages that mention the agent;
 * - the router's own time: routed − mentioned − the router model call itself (the scripted
 *   server's receive → finish time); the goal is one model call and under 20 ms;
 * - router model calls per 100 messages in a conversation with continuity (one unmentioned
 *   message starts a thread, the follow-ups stay in it without mentions).
 *
 *   npx tsx bench/routing.ts [samples=15] [followUps=19]
 */
import { randomUUID } from 'node:crypto';
import { uniqueSuffix } from '../test/support/matrix-registration.js';
import { MatrixTestUser } from '../test/support/matrix-test-user.js';
import { fleetNames } from '../test/support/quorum-e2e.js';
import { ScriptedLlmServer, llmReply } from '../test/support/scripted-llm-server.js';
import {
  agentNames,
  agentTarget,
  benchConfig,
  benchRuntime,
  pause,
  startJoinedFleet,
} from './support/bench-fleet.js';
import { runBenchmark } from './support/bench-run.js';
import { timeReply } from './support/reply-timing.js';
import { round, summarize } from './support/stats.js';

const SAMPLES = Number(process.argv[2] ?? 15);
const FOLLOW_UPS = Number(process.argv[3] ?? 19);
const WARMUP = 2;
const GAP_MS = 400;
const GOAL_OWN_MS = 20;

const isRouterRequest = (body: unknown): boolean => JSON.stringify(body).includes('"route"');

await runBenchmark('routing', async (scope) => {
  const { homeserver } = scope;
  const llm = await ScriptedLlmServer.start({ defaultReply: llmReply.text('instant answer') });
  scope.defer(() => llm.close());
  llm.when(
    { when: (request) => isRouterRequest(request.body) },
    llmReply.json({ agent: 'a2', reason: 'benchmark' }),
  );
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
    configYaml: benchConfig(names, agentNames(3), {
      globalUsers: [alice.userId],
      defaults: ['enable_streaming: false'],
    }),
  });
  const agent = agentTarget(names, 'a2');
  const routerCalls = (): number =>
    llm.requests.filter((request) => isRouterRequest(request.body)).length;

  const routed = async (): Promise<{ totalMs: number; routerModelMs: number }> => {
    const marker = `r-${randomUUID().slice(0, 8)}`;
    const before = llm.requests.length;
    const timing = await timeReply(
      alice,
      { roomId: fleet.roomId, responderId: agent.userId },
      marker,
      () => alice.sendText(fleet.roomId, `who can answer ${marker}?`),
    );
    const call = llm.requests.slice(before).find((request) => isRouterRequest(request.body));
    return {
      totalMs: timing.finalAtMs - timing.sentAtMs,
      routerModelMs:
        call?.finishedAtMs !== undefined ? call.finishedAtMs - call.receivedAtMs : Number.NaN,
    };
  };
  const mentioned = async (): Promise<number> => {
    const marker = `m-${randomUUID().slice(0, 8)}`;
    const timing = await timeReply(
      alice,
      { roomId: fleet.roomId, responderId: agent.userId },
      marker,
      () => alice.sendMention(fleet.roomId, agent, `${agent.displayName}, ${marker}?`),
    );
    return timing.finalAtMs - timing.sentAtMs;
  };

  for (let i = 0; i < WARMUP; i++) {
    await routed();
    await mentioned();
    await pause(GAP_MS);
  }
  scope.progress(`${SAMPLES} routed and ${SAMPLES} mentioned samples`);
  const sampleCallsBefore = routerCalls();
  const routedSamples: { totalMs: number; routerModelMs: number }[] = [];
  const mentionedSamples: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    routedSamples.push(await routed());
    await pause(GAP_MS);
    mentionedSamples.push(await mentioned());
    await pause(GAP_MS);
  }

  const sampleCalls = routerCalls() - sampleCallsBefore;

  // A conversation with continuity: one routed message, then follow-ups in its thread.
  scope.progress(`a conversation of ${FOLLOW_UPS + 1} messages`);
  const callsBefore = routerCalls();
  const marker = `c-${randomUUID().slice(0, 8)}`;
  const first = await timeReply(
    alice,
    { roomId: fleet.roomId, responderId: agent.userId },
    marker,
    () => alice.sendText(fleet.roomId, `a conversation ${marker}`),
  );
  for (let i = 0; i < FOLLOW_UPS; i++) {
    const answers = alice.eventsIn(fleet.roomId).filter((e) => e.sender === agent.userId).length;
    await alice.sendThreadReply(fleet.roomId, first.questionId, `follow-up ${i} ${marker}`);
    await alice.waitFor(
      () => alice.eventsIn(fleet.roomId).filter((e) => e.sender === agent.userId).length > answers,
      {
        timeoutMs: 30_000,
      },
    );
  }
  const conversationCalls = routerCalls() - callsBefore;

  const routedTotal = summarize(routedSamples.map((s) => s.totalMs));
  const mentionedTotal = summarize(mentionedSamples);
  const routerModel = summarize(routedSamples.map((s) => s.routerModelMs));
  const ownMs = routedTotal.p50_ms - mentionedTotal.p50_ms - routerModel.p50_ms;
  return {
    samples: SAMPLES,
    warmup: WARMUP,
    runtime: benchRuntime(),
    agents_in_room: 3,
    routed_reply: routedTotal,
    mentioned_reply: mentionedTotal,
    router_model_call: routerModel,
    routing_overhead_p50_ms: round(routedTotal.p50_ms - mentionedTotal.p50_ms),
    routing_own_time_p50_ms: round(ownMs),
    goal_own_time_ms: GOAL_OWN_MS,
    // Calls while sending SAMPLES routed and SAMPLES mentioned messages: equal to SAMPLES
    // when each routed message costs one call and a mention costs none.
    router_calls_during_samples: sampleCalls,
    conversation: {
      messages: FOLLOW_UPS + 1,
      router_model_calls: conversationCalls,
      router_calls_per_100_messages: round((conversationCalls / (FOLLOW_UPS + 1)) * 100, 1),
    },
  };
});
