/**
 * Issue 12: what abuse costs the real daemon on a real Synapse, next to a quiet baseline in
 * the same run.
 *
 * - Event-loop delay, read from the daemon itself: `/metrics` exposes the histogram
 *   `quorum_event_loop_delay_seconds`, fed by a timer due every 20 ms inside the daemon
 *   (how late it ran). Each phase scrapes before and after, and the p99 of the window is
 *   computed from the bucket differences (Prometheus's `histogram_quantile` estimate, linear
 *   within the bucket; the bucket's upper bound is printed too). Phases: quiet (nothing
 *   happens), a flood of harmless 60 KB HTML (what any big message costs: sync, journal,
 *   decoding), the same flood of hostile HTML (one member who may not use the agents posts
 *   60 KB `formatted_body`s of `<a <a <a …` and similar, as fast as Synapse takes them), and
 *   the request flood below.
 * - The load caps with Quorum's default `quorum.limits`: one person sends 50 mentions in 5 s
 *   (each model answer takes 1.5 s); `/metrics` is sampled every 250 ms for running and
 *   queued turns, and the run counts turns started, rate-limited requests, the notes the
 *   person sees and how long until every admitted request was answered. The baseline is
 *   another person sending 5 mentions in the same 5 s.
 *
 *   npx tsx bench/abuse.ts [messagesPerFloodKind=150]
 */
import { uniqueSuffix } from '../test/support/matrix-registration.js';
import { MatrixTestUser } from '../test/support/matrix-test-user.js';
import { isInThread, type MatrixEvent } from '../test/support/matrix-events.js';
import { fleetConfig, fleetNames, messagesFrom } from '../test/support/quorum-e2e.js';
import { ScriptedLlmServer, llmReply } from '../test/support/scripted-llm-server.js';
import { pause, startJoinedFleet, type JoinedFleet } from './support/bench-fleet.js';
import { runBenchmark, type BenchScope } from './support/bench-run.js';
import {
  combine,
  difference,
  histogramOf,
  histogramWindow,
  parseMetrics,
  sumOf,
  valueOf,
  type Scrape,
} from './support/prom-metrics.js';
import { round } from './support/stats.js';

const HOSTILE_MESSAGES = Number(process.argv[2] ?? 150);
const HOSTILE_BYTES = 60_000;
const QUIET_MS = 10_000;
/** Harmless and hostile floods alternate this many times. */
const ROUNDS = 3;
const ANSWER_DELAY_MS = 1_500;
const DELAY = 'quorum_event_loop_delay_seconds';

/** `unit` repeated to `HOSTILE_BYTES` as sent (JSON-escaped: an event is at most 64 KiB). */
const fill = (unit: string): string =>
  unit.repeat(Math.floor(HOSTILE_BYTES / (JSON.stringify(unit).length - 2)));
/** Hostile `formatted_body`s: each made a backtracking regex crawl before issue 12. */
const HOSTILE_HTML = [
  fill('<a '),
  fill('<a href='),
  fill('<a href="'),
  `<a ${fill('x="y" ')}`,
  fill('<a href="https://matrix.to/#/@someone:example.org">x</a> '),
];
/** The same sizes of harmless HTML: what any 60 KB message costs (sync, journal, decoding). */
const BENIGN_HTML = HOSTILE_HTML.map((html) =>
  '<p>hello world</p> '.repeat(Math.ceil(html.length / 19)).slice(0, html.length),
);

await runBenchmark('abuse', async (scope) => {
  const { homeserver } = scope;
  const llm = await ScriptedLlmServer.start({
    defaultReply: llmReply.text('ok', { firstTokenDelayMs: ANSWER_DELAY_MS }),
  });
  scope.defer(() => llm.close());
  const suffix = uniqueSuffix();
  const register = async (name: string): Promise<MatrixTestUser> => {
    const user = await MatrixTestUser.register(homeserver, { localpart: `${name}${suffix}` });
    scope.defer(() => user.close());
    return user;
  };
  const alice = await register('alice');
  const carol = await register('carol');
  const mallory = await register('mallory');
  await Promise.all([alice.startSync(), carol.startSync()]);
  const names = fleetNames(homeserver, suffix);
  // Quorum's default limits: this benchmark measures them.
  const fleet = await startJoinedFleet({
    homeserver,
    llm,
    names,
    user: alice,
    defer: scope.defer,
    configYaml: fleetConfig(names, {
      agents: ['calc', 'scribe', 'coder']
        .map((name) => `  ${name}:\n    display_name: ${name}\n    rooms: [ROOM]`)
        .join('\n'),
      globalUsers: [alice.userId, carol.userId],
    }),
  });
  await carol.joinRoom(names.alias);
  await alice.invite(fleet.roomId, mallory.userId);
  await mallory.joinRoom(fleet.roomId);
  const scrape = async (): Promise<Scrape> => parseMetrics(await fleet.daemon.metrics());
  await pause(3_000);

  scope.progress(`quiet: ${QUIET_MS / 1000} s`);
  const quietStart = await scrape();
  await pause(QUIET_MS);
  const quiet = histogramWindow(quietStart, await scrape(), DELAY);

  // Harmless and hostile floods alternate, so machine load and the store's growth (WAL
  // checkpoints) fall on both alike.
  const floods: Record<'benign' | 'hostile', Flood[]> = { benign: [], hostile: [] };
  for (let round = 1; round <= ROUNDS; round++) {
    for (const kind of ['benign', 'hostile'] as const) {
      scope.progress(`round ${round}: ${kind} HTML, ${HOSTILE_MESSAGES / ROUNDS} messages`);
      const html = kind === 'benign' ? BENIGN_HTML : HOSTILE_HTML;
      floods[kind].push(await htmlFlood(fleet, mallory, html, scrape));
    }
  }
  const benign = describeFloods(floods.benign, BENIGN_HTML);
  const hostile = describeFloods(floods.hostile, HOSTILE_HTML);

  scope.progress('requests: a baseline of 5 in 5 s, then a flood of 50 in 5 s');
  const baseline = await requestBurst(scope, fleet, carol, 5, scrape);
  const flood = await requestBurst(scope, fleet, alice, 50, scrape);

  return {
    method:
      'event-loop delay from the daemon: /metrics histogram quorum_event_loop_delay_seconds (a 20 ms timer inside the daemon), windowed by bucket differences between scrapes; p99 linear within its bucket',
    limits: {
      turns_per_user: 5,
      turns_per_room: 10,
      queued_turns_per_room: 20,
      messages_per_minute_per_user: 20,
    },
    event_loop_delay: {
      quiet: { duration_s: QUIET_MS / 1000, ...quiet },
      benign_html_flood: benign,
      hostile_html_flood: hostile,
      request_flood: flood.eventLoop,
      request_baseline: baseline.eventLoop,
    },
    request_baseline: baseline.figures,
    request_flood: flood.figures,
    daemon_ready_at_end: (await fleet.daemon.readiness())?.ready ?? false,
  };
});

/** One flood's window and send figures. */
interface Flood {
  readonly window: Scrape;
  readonly sentMs: number;
  readonly messages: number;
}

/**
 * One member who may not use the agents posts `HOSTILE_MESSAGES / ROUNDS` messages with
 * `html` bodies, three sends at a time; the window ends 3 s after the last send.
 */
async function htmlFlood(
  fleet: JoinedFleet,
  mallory: MatrixTestUser,
  html: readonly string[],
  scrape: () => Promise<Scrape>,
): Promise<Flood> {
  const messages = Math.round(HOSTILE_MESSAGES / ROUNDS);
  const before = await scrape();
  const startedAt = Date.now();
  let next = 0;
  const sender = async (): Promise<void> => {
    for (let index = next++; index < messages; index = next++) {
      await mallory.sendEvent(fleet.roomId, 'm.room.message', {
        msgtype: 'm.text',
        body: `flood ${index}`,
        format: 'org.matrix.custom.html',
        formatted_body: html[index % html.length],
      });
    }
  };
  await Promise.all([sender(), sender(), sender()]);
  const sentMs = Date.now() - startedAt;
  await pause(3_000);
  return { window: difference(before, await scrape()), sentMs, messages };
}

/** Every round of one kind of flood together. */
function describeFloods(
  floods: readonly Flood[],
  html: readonly string[],
): Record<string, unknown> {
  const window = combine(floods.map((flood) => flood.window));
  const messages = floods.reduce((sum, flood) => sum + flood.messages, 0);
  const sentMs = floods.reduce((sum, flood) => sum + flood.sentMs, 0);
  return {
    messages,
    formatted_body_chars: html.map((body) => body.length),
    sent_in_s: round(sentMs / 1000),
    messages_per_s: round(messages / (sentMs / 1000)),
    admitted_by_daemon: valueOf(window, 'quorum_events_received_total{type="m.room.message"}'),
    unauthorized_ignored: sumOf(window, 'quorum_dispatch_decisions_total', 'reason="unauthorized"'),
    ...histogramOf(window, DELAY),
  };
}

/**
 * `count` mentions of one agent from `user` in 5 s; samples running and queued turns every
 * 250 ms until every admitted request was answered (or 120 s passed).
 */
async function requestBurst(
  scope: BenchScope,
  fleet: JoinedFleet,
  user: MatrixTestUser,
  count: number,
  scrape: () => Promise<Scrape>,
): Promise<{ figures: Record<string, unknown>; eventLoop: Record<string, unknown> }> {
  const target = { userId: fleet.names.userId('calc'), displayName: 'calc' };
  const before = await scrape();
  const seenBefore = user.timeline.all.length;
  let maxRunning = 0;
  let maxQueued = 0;
  let isSampling = true;
  const sampling = (async () => {
    while (isSampling) {
      const now = await scrape();
      maxRunning = Math.max(maxRunning, sumOf(now, 'quorum_turns_running'));
      maxQueued = Math.max(maxQueued, sumOf(now, 'quorum_turns_queued'));
      await pause(250);
    }
  })();
  const startedAt = Date.now();
  const sent: string[] = [];
  for (let index = 0; index < count; index++) {
    await pause(Math.max(0, startedAt + (index * 5_000) / count - Date.now()));
    sent.push(await user.sendMention(fleet.roomId, target, `request ${index} of ${count}`));
  }
  const sentMs = Date.now() - startedAt;
  let latest = await scrape();
  const counter = (name: string, labels = ''): number =>
    sumOf(latest, name, labels) - sumOf(before, name, labels);
  const answers = (): MatrixEvent[] =>
    messagesFrom(user.eventsIn(fleet.roomId), fleet.roomId, target.userId).filter(
      (event) =>
        event.content['msgtype'] !== 'm.notice' && sent.some((id) => isInThread(event, id)),
    );
  const deadline = Date.now() + 120_000;
  for (;;) {
    latest = await scrape();
    const admitted = count - counter('quorum_requests_rate_limited_total');
    if (answers().length >= admitted || Date.now() > deadline) break;
    await pause(250);
  }
  const doneMs = Date.now() - startedAt;
  isSampling = false;
  await sampling;
  await pause(500);
  latest = await scrape();
  const notices = user.timeline.all
    .slice(seenBefore)
    .filter((event) => event.sender === target.userId && event.content['msgtype'] === 'm.notice')
    .map((event) => String(event.content['body']));
  scope.progress(`${count} requests: ${answers().length} answered in ${doneMs} ms`);
  return {
    figures: {
      messages: count,
      sent_in_s: round(sentMs / 1000),
      turns_started: counter('quorum_turns_started_total'),
      rate_limited: counter('quorum_requests_rate_limited_total'),
      admissions: {
        started: counter('quorum_turn_admissions_total', 'outcome="started"'),
        queued: counter('quorum_turn_admissions_total', 'outcome="queued"'),
        refused: counter('quorum_turn_admissions_total', 'outcome="refused"'),
      },
      max_turns_running: maxRunning,
      max_queue_length: maxQueued,
      busy_notices: notices.filter((body) => body.includes('Busy')).length,
      rate_limit_notices: notices.filter((body) => body.includes('faster than the agents')).length,
      answered: answers().length,
      all_answered_after_s: round(doneMs / 1000),
      model_answer_delay_ms: ANSWER_DELAY_MS,
    },
    eventLoop: { ...histogramWindow(before, latest, DELAY) },
  };
}
