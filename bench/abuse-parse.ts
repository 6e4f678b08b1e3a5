/**
 * Issue 12 (groundwork for bench/abuse): what hostile HTML costs before any authorization
 * check. Compares, in one run, the backtracking regex `pillsIn` used before issue 12 (the
 * baseline, copied here) with the linear scanner (`linkHrefs`) on 60 KB hostile bodies, then
 * floods the decoder and the dispatcher with hostile events (as one member flooding a room
 * would) and reports the event-loop delay while it runs.
 *
 * Prints JSON. No homeserver needed.
 *
 *   npx tsx bench/abuse-parse.ts [floodEvents=2000]
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { decodeEvent, linkHrefs, type RawEvent } from '../src/matrix/index.js';
import {
  decide,
  toDispatchInput,
  type DispatchContext,
  type EntityView,
} from '../src/routing/index.js';

const FLOOD = Number(process.argv[2] ?? 2000);
const SIZE = 60_000;
const ROOM = '!bench:hs';

/** The `pillsIn` regex before issue 12: backtracks on `<a <a <a …`. */
const OLD_PILL_HREF = /<a\s[^>]*?href\s*=\s*(["'])(.*?)\1/gi;

const fill = (unit: string): string => unit.repeat(Math.ceil(SIZE / unit.length)).slice(0, SIZE);
const HOSTILE: Record<string, string> = {
  'a-space': fill('<a '),
  'a-href-unquoted': fill('<a href='),
  'a-href-open-quote': fill('<a href="'),
  'attributes-no-close': `<a ${fill('x="y" ')}`,
  'many-pills': fill('<a href="https://matrix.to/#/@alice:hs">Alice</a> '),
  'plain-text': fill('hello world '),
};

function medianMs(run: () => void, repeats: number): number {
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    run();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return Math.round((samples[Math.floor(samples.length / 2)] ?? 0) * 1000) / 1000;
}

const parse: Record<string, unknown>[] = [];
for (const [name, html] of Object.entries(HOSTILE)) {
  parse.push({
    input: name,
    bytes: html.length,
    baselineRegexMs: medianMs(() => [...html.matchAll(OLD_PILL_HREF)], 3),
    linearScanMs: medianMs(() => linkHrefs(html), 20),
  });
}

const entities: EntityView[] = ['router', 'calc', 'scribe'].map((name) => ({
  name,
  kind: name === 'router' ? 'router' : 'agent',
  userId: `@quorum_${name}:hs`,
  displayName: name,
  rooms: new Set([ROOM]),
  acceptsInvites: true,
}));
const context: DispatchContext = {
  entities,
  teams: new Map(),
  botAccounts: new Set(),
  authorization: {
    globalUsers: new Set(['@alice:hs']),
    roomPermissions: new Map(),
    defaultRoomAccess: false,
    allowFederation: false,
    serverName: 'hs',
  },
  room: {
    roomId: ROOM,
    joinedEntities: new Set(['router', 'calc', 'scribe']),
    directEntities: new Set(),
  },
  thread: undefined,
  targetTurns: [],
  replyTurn: undefined,
  nowMs: Date.now(),
  catchUpWindowMs: 60_000,
};
const bodies = Object.values(HOSTILE);
const events: RawEvent[] = Array.from({ length: FLOOD }, (_, index) => ({
  event_id: `$flood${index}`,
  sender: '@mallory:hs',
  type: 'm.room.message',
  origin_server_ts: Date.now(),
  room_id: ROOM,
  content: {
    msgtype: 'm.text',
    body: 'flood',
    format: 'org.matrix.custom.html',
    formatted_body: bodies[index % bodies.length] ?? '',
  },
}));

const histogram = monitorEventLoopDelay({ resolution: 5 });
histogram.enable();
const floodStart = performance.now();
for (const event of events) {
  decodeEvent(event);
  const input = toDispatchInput({ roomId: ROOM, event }, () => undefined);
  if (input !== undefined) decide(input, context);
  // One event per turn of the loop, as sync batches arrive.
  await nextTurn();
}
const floodMs = performance.now() - floodStart;
histogram.disable();
const ms = (ns: number): number => Math.round(ns / 1e4) / 100;

process.stdout.write(
  `${JSON.stringify(
    {
      bench: 'abuse-parse',
      parse,
      flood: {
        events: FLOOD,
        bytesPerEvent: SIZE,
        totalMs: Math.round(floodMs),
        perEventMs: Math.round((floodMs / FLOOD) * 1000) / 1000,
        eventLoopDelayMs: {
          p50: ms(histogram.percentile(50)),
          p99: ms(histogram.percentile(99)),
          max: ms(histogram.max),
        },
      },
    },
    null,
    2,
  )}\n`,
);
