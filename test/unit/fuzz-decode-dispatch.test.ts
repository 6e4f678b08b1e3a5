/**
 * Fuzz: untrusted events through everything that runs on them before any authorization check
 * (admission relations, decoding) and through the pure dispatcher, with generated contexts.
 *
 * 12,000 generated events: random shapes, wrong types, huge bodies, hostile HTML, relation
 * loops (self-edits, edits of edits, threads rooted at themselves), deep nesting. Nothing may
 * throw, no event may take over 50 ms, nothing may reject unhandled. The seed is random per
 * run and printed in every failure; replay one with `FUZZ_SEED=<seed> npx vitest run <this>`.
 *
 * Time per event is the fastest of up to three runs of that event, so a garbage-collection
 * pause on a shared machine is not mistaken for a slow input (a slow input is slow every time).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toAdmissions } from '../../src/ingress/index.js';
import { decodeEvent, type RawEvent } from '../../src/matrix/index.js';
import { parseSyncResponse } from '../../src/matrix/sync-response.js';
import { asUserId } from '../../src/shared/index.js';
import {
  decide,
  toDispatchInput,
  type AdmittedEvent,
  type AuthorizationRules,
  type DispatchContext,
  type EntityView,
} from '../../src/routing/index.js';

const EVENTS = 12_000;
const MAX_EVENT_MS = 50;
const SEED = Number(process.env['FUZZ_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
const ROOM = '!fuzz:hs';
const NOW = 1_700_000_000_000;

/** mulberry32: small, fast, deterministic. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Gen {
  constructor(readonly next: () => number) {}
  int(max: number): number {
    return Math.floor(this.next() * max);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
  text(max: number, alphabet = 'ab @:<>"\'=/&;#!$\\\n\t{}[]é😀\u0000\u202e'): string {
    const chars = Array.from(alphabet);
    let out = '';
    const length = this.int(max + 1);
    for (let i = 0; i < length; i++) out += chars[this.int(chars.length)] ?? '';
    return out;
  }
}

const entities: EntityView[] = ['router', 'calc', 'scribe', 'duo'].map((name) => ({
  name,
  kind: name === 'router' ? 'router' : name === 'duo' ? 'team' : 'agent',
  userId: `@quorum_${name}:hs`,
  displayName: name === 'calc' ? 'Calculator' : name,
  rooms: new Set([ROOM]),
  acceptsInvites: true,
}));
const PEOPLE = ['@alice:hs', '@bob:hs', '@mallory:evil.org', '@bridge:hs', '@alice_tg:hs'];
const SENDERS: unknown[] = [
  ...PEOPLE,
  ...entities.map((entity) => entity.userId),
  '@nocolon',
  '',
  'alice',
  7,
  null,
  undefined,
  '@x:' + 'h'.repeat(300),
];

function hostileHtml(gen: Gen): string {
  const pill = (): string =>
    gen.pick([
      `<a href="https://matrix.to/#/${gen.pick(SENDERS.filter((s) => typeof s === 'string'))}">x</a>`,
      `<a href='matrix:u/${gen.text(10)}'>`,
      `<A HREF=https://matrix.to/#/%40alice%3Ahs>`,
    ]);
  const block = (): string => {
    switch (gen.int(9)) {
      case 0:
        return '<a '.repeat(gen.int(20_000));
      case 1:
        return '<a href='.repeat(gen.int(8_000));
      case 2:
        return `<a href="${gen.text(50)}`;
      case 3:
        return `<a ${'x="y" '.repeat(gen.int(5_000))}>`;
      case 4:
        return '<'.repeat(gen.int(30_000));
      case 5:
        return pill().repeat(gen.int(300));
      case 6:
        return gen.text(2_000, '<a href="\'= >/');
      case 7:
        return `<a href="https://matrix.to/#/${'%'.repeat(gen.int(5_000))}">`;
      default:
        return gen.text(200);
    }
  };
  return Array.from({ length: 1 + gen.int(3) }, block).join('');
}

function body(gen: Gen): unknown {
  switch (gen.int(10)) {
    case 0:
      return 'x'.repeat(gen.int(70_000));
    case 1:
      return `${'@calc '.repeat(gen.int(5_000))}hi`;
    case 2:
      return `!${gen.pick(['config', 'stop', 'usage', 'help'])} ${gen.text(200)}`;
    case 3:
      return 42;
    case 4:
      return ['array'];
    case 5:
      return undefined;
    case 6:
      return `${'\n> quoted'.repeat(gen.int(3_000))}\n\nhello @Calculator`;
    default:
      return gen.text(300);
  }
}

function mentions(gen: Gen): unknown {
  switch (gen.int(6)) {
    case 0:
      return undefined;
    case 1:
      return 'not an object';
    case 2:
      return { user_ids: 'not a list', room: 'yes' };
    case 3:
      return {
        user_ids: Array.from({ length: gen.int(3_000) }, () => gen.pick(SENDERS)),
        room: gen.chance(0.5),
      };
    default:
      return { user_ids: [gen.pick(SENDERS), gen.pick(SENDERS)] };
  }
}

function relation(gen: Gen, ids: readonly string[], self: string): unknown {
  const target = (): unknown =>
    gen.pick<unknown>([self, gen.pick(ids.length > 0 ? ids : [self]), 5, '', 'no-sigil', null]);
  switch (gen.int(8)) {
    case 0:
      return undefined;
    case 1:
      return {
        rel_type: 'm.thread',
        event_id: target(),
        is_falling_back: gen.chance(0.5),
        'm.in_reply_to': { event_id: target() },
      };
    case 2:
      return { rel_type: 'm.replace', event_id: target() };
    case 3:
      return {
        rel_type: 'm.annotation',
        event_id: target(),
        key: gen.pick(['🛑', '✅', '❌', 7, '']),
      };
    case 4:
      return { 'm.in_reply_to': { event_id: target() } };
    case 5:
      return { rel_type: gen.text(10), event_id: target() };
    case 6:
      return 'garbage';
    default:
      return { rel_type: 'm.reference', event_id: target() };
  }
}

function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { body: 'deep' };
  for (let i = 0; i < depth; i++) value = { 'm.new_content': value, body: `level ${i}` };
  return value;
}

function content(gen: Gen, ids: readonly string[], self: string): unknown {
  if (gen.chance(0.03)) return gen.pick<unknown>([null, 'string', 5, [1, 2], true]);
  const out: Record<string, unknown> = {
    msgtype: gen.pick<unknown>(['m.text', 'm.text', 'm.notice', 'm.emote', 9, undefined]),
    body: body(gen),
    'm.mentions': mentions(gen),
    'm.relates_to': relation(gen, ids, self),
  };
  if (gen.chance(0.5)) {
    out['format'] = gen.pick<unknown>(['org.matrix.custom.html', 'org.matrix.custom.html', 'x', 3]);
    out['formatted_body'] = gen.chance(0.9) ? hostileHtml(gen) : { not: 'a string' };
  }
  if (gen.chance(0.2)) {
    out['m.new_content'] = gen.chance(0.1)
      ? nested(gen.int(2_000))
      : gen.chance(0.5)
        ? content(gen, ids, self)
        : gen.pick<unknown>([null, 'x', [], 4]);
  }
  if (gen.chance(0.1))
    out['io.quorum.stream_status'] = gen.pick<unknown>(['streaming', 'final', 1]);
  if (gen.chance(0.05)) out['redacts'] = gen.pick<unknown>([self, ...ids.slice(-3), 4]);
  if (gen.chance(0.05)) out['membership'] = gen.pick<unknown>(['join', 'leave', 'ban', 'x', 1]);
  return out;
}

function rawEvent(gen: Gen, index: number, ids: readonly string[]): RawEvent {
  const eventId = gen.chance(0.97) ? `$e${index}` : gen.pick<unknown>([index, '', 'e', undefined]);
  const self = typeof eventId === 'string' ? eventId : '$self';
  const event: Record<string, unknown> = {
    event_id: eventId,
    sender: gen.pick(SENDERS),
    type: gen.pick<unknown>([
      'm.room.message',
      'm.room.message',
      'm.room.message',
      'm.reaction',
      'm.room.redaction',
      'm.room.member',
      'm.room.encrypted',
      'm.sticker',
      7,
      null,
    ]),
    origin_server_ts: gen.pick<unknown>([
      NOW - gen.int(60_000),
      NOW - 10 ** 9,
      'now',
      Number.NaN,
      Infinity,
      -1,
    ]),
    content: content(gen, ids, self),
    room_id: gen.chance(0.9) ? ROOM : gen.pick<unknown>([5, '!other:hs']),
  };
  if (gen.chance(0.1)) event['state_key'] = gen.pick<unknown>(['', '@alice:hs', 3]);
  if (gen.chance(0.1)) event['redacts'] = gen.pick<unknown>([self, ...ids.slice(-3), {}]);
  if (gen.chance(0.1))
    event['unsigned'] = gen.pick<unknown>([
      { prev_content: 'x' },
      null,
      { prev_content: { membership: 'invite' } },
    ]);
  // The wire can hold anything; the types describe what well-formed events look like.
  return event as unknown as RawEvent;
}

function authorization(gen: Gen): AuthorizationRules {
  const pattern = (): string =>
    gen.pick(['@alice:hs', '@*:hs', '*', '@[ab]*:hs', '@?ob:hs', '*:evil.org', '[', '@**:*']);
  return {
    globalUsers: new Set(Array.from({ length: gen.int(3) }, pattern)),
    roomPermissions: gen.chance(0.3) ? new Map([[ROOM, new Set([pattern()])]]) : new Map(),
    defaultRoomAccess: gen.chance(0.5),
    allowFederation: gen.chance(0.3),
    serverName: 'hs',
    aliases: new Map([['@alice_tg:hs', '@alice:hs']]),
    replyPermissions: gen.chance(0.5)
      ? new Map([
          ['*', { users: [pattern()], joinedRooms: ['#grant:hs'] }],
          [gen.pick(['calc', 'scribe', 'router']), { users: [pattern()], joinedRooms: [] }],
        ])
      : new Map(),
  };
}

function dispatchContext(gen: Gen, ids: readonly string[]): DispatchContext {
  const names = entities.map((entity) => entity.name);
  const some = (): Set<string> => new Set(names.filter(() => gen.chance(0.6)));
  const turn = () => ({
    responder: gen.pick(names),
    sourceEventId: gen.pick(ids.length > 0 ? ids : ['$x']),
    requester: gen.pick(PEOPLE),
    replyEventId: gen.chance(0.5) ? gen.pick(ids.length > 0 ? ids : ['$x']) : undefined,
    isOpen: gen.chance(0.5),
  });
  return {
    entities,
    teams: new Map([['duo', ['calc', 'scribe']]]),
    botAccounts: new Set(['@bridge:hs']),
    authorization: authorization(gen),
    room: {
      roomId: ROOM,
      joinedEntities: some(),
      directEntities: gen.chance(0.2) ? some() : new Set(),
    },
    thread: gen.chance(0.5)
      ? {
          rootId: gen.pick(ids.length > 0 ? ids : ['$x']),
          senders: new Set(PEOPLE.filter(() => gen.chance(0.4))),
          responders: names.filter(() => gen.chance(0.3)),
          openTurns: Array.from({ length: gen.int(3) }, turn),
          handedOff: new Set(names.filter(() => gen.chance(0.2))),
        }
      : undefined,
    targetTurns: Array.from({ length: gen.int(3) }, turn),
    replyTurn: gen.chance(0.3) ? turn() : undefined,
    isRedacted: gen.chance(0.1),
    card: gen.chance(0.1) ? { interactionId: 'i1' } : undefined,
    pendingQuestion: gen.chance(0.1)
      ? { interactionId: 'q1', options: ['red', 'blue', gen.text(30)] }
      : undefined,
    nowMs: NOW,
    catchUpWindowMs: gen.pick([0, 60_000, 15 * 60_000]),
    grantRoomMembers: gen.chance(0.5)
      ? new Map([['#grant:hs', new Set(PEOPLE.slice(0, 2))]])
      : new Map(),
    ...(gen.chance(0.5)
      ? {}
      : {
          limits: {
            maxAgentHops: gen.int(4),
            threadTokenBudget: gen.pick([undefined, 1, 10_000]),
          },
        }),
    agentHops: gen.int(6),
    threadTokensUsed: gen.int(20_000),
    notedLimits: new Set(gen.chance(0.5) ? (['agent-hops'] as const) : []),
  };
}

/** A `/sync` body carrying `event` (sometimes in a broken envelope). */
function syncBody(gen: Gen, event: RawEvent): unknown {
  const timeline = gen.chance(0.95) ? { events: [event], limited: gen.chance(0.1) } : 'broken';
  const room = gen.chance(0.97) ? { timeline, state: { events: [event] } } : [event];
  return { next_batch: 's1', rooms: { join: { [ROOM]: room, notaroom: room } } };
}

const OWN = asUserId('@quorum_router:hs');

/** Everything that runs on one untrusted event before and in dispatch. */
function processEvent(
  body: unknown,
  event: RawEvent,
  journal: Map<string, AdmittedEvent>,
  context: DispatchContext,
): void {
  // Decoding is total even on what the sync parser would drop.
  decodeEvent(event);
  const parsed = parseSyncResponse(body, OWN);
  for (const room of parsed.batch.joined) {
    const policy = {
      isEntityUser: (id: string) => id.startsWith('@quorum_'),
      nowMs: NOW,
      catchUpWindowMs: 60_000,
    };
    toAdmissions(room.roomId, room.timeline, policy, false);
    for (const admitted of room.timeline) {
      decodeEvent(admitted);
      const input = toDispatchInput({ roomId: room.roomId, event: admitted }, (id) =>
        journal.get(id),
      );
      if (input !== undefined) decide(input, context);
    }
  }
}

describe('fuzz: decoding and dispatch of untrusted events', () => {
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown): void => {
    rejections.push(reason);
  };
  beforeAll(() => {
    process.on('unhandledRejection', onRejection);
  });
  afterAll(() => {
    process.off('unhandledRejection', onRejection);
  });

  it(`survives ${EVENTS} generated events, each in under ${MAX_EVENT_MS} ms (seed ${SEED})`, async () => {
    const gen = new Gen(prng(SEED));
    const journal = new Map<string, AdmittedEvent>();
    const ids: string[] = [];
    let slowest = { ms: 0, index: -1 };
    for (let index = 0; index < EVENTS; index++) {
      const event = rawEvent(gen, index, ids);
      const body = syncBody(gen, event);
      const context = dispatchContext(gen, ids);
      let best = Number.POSITIVE_INFINITY;
      for (let attempt = 0; attempt < 3 && best > MAX_EVENT_MS; attempt++) {
        const start = performance.now();
        try {
          processEvent(body, event, journal, context);
        } catch (error: unknown) {
          const shown = JSON.stringify(event).slice(0, 500);
          throw new Error(`seed ${SEED}, event ${index} threw: ${String(error)}\n${shown}`, {
            cause: error,
          });
        }
        best = Math.min(best, performance.now() - start);
      }
      if (best > slowest.ms) slowest = { ms: best, index };
      expect(best, `seed ${SEED}: event ${index} took ${best.toFixed(1)} ms`).toBeLessThan(
        MAX_EVENT_MS,
      );
      if (typeof event.event_id === 'string') {
        journal.set(event.event_id, { roomId: ROOM, event });
        ids.push(event.event_id);
      }
    }
    // Let any stray promise settle before checking for unhandled rejections.
    await new Promise((resolve) => setImmediate(resolve));
    expect(rejections, `seed ${SEED}`).toEqual([]);
    expect(slowest.ms, `seed ${SEED}: slowest event ${slowest.index}`).toBeLessThan(MAX_EVENT_MS);
  }, 60_000);
});
