import { beforeEach, describe, expect, it } from 'vitest';
import { AbortReason, asRoomAlias } from '../../src/shared/index.js';
import type { RoomId, UserId } from '../../src/shared/index.js';
import { MatrixRequestError, decodeEvent } from '../../src/matrix/index.js';
import type { SyncBatch } from '../../src/matrix/index.js';
import { FakeClock, flushMicrotasks } from '../support/fake-clock.js';
import { FakeHomeserver } from '../support/fake-homeserver.js';
import type { FakeBotClient } from '../support/fake-bot-client.js';

let clock: FakeClock;
let server: FakeHomeserver;
let botId: UserId;
let humanId: UserId;
let bot: FakeBotClient;
let human: FakeBotClient;

beforeEach(() => {
  clock = new FakeClock();
  server = new FakeHomeserver({ serverName: 'test.local', clock, timelineLimit: 3 });
  botId = server.registerUser('coder', 'Coder');
  humanId = server.registerUser('alice', 'Alice');
  bot = server.createClient(botId);
  human = server.createClient(humanId);
});

const never = new AbortController().signal;

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** A room the bot created and the human joined. */
async function sharedRoom(): Promise<RoomId> {
  const roomId = await bot.createRoom({
    aliasLocalpart: 'lobby',
    name: 'Lobby',
    invite: [humanId],
  });
  await human.joinRoom(roomId);
  return roomId;
}

describe('FakeHomeserver rooms', () => {
  it('creates rooms with aliases, invites and joins', async () => {
    const roomId = await bot.createRoom({
      aliasLocalpart: 'lobby',
      name: 'Lobby',
      invite: [humanId],
    });
    expect(await human.resolveAlias(asRoomAlias('#lobby:test.local'))).toBe(roomId);
    const first = await human.sync({ since: undefined, timeoutMs: 0, signal: never });
    expect(first.invited).toEqual([{ roomId, inviter: botId, isDirect: false }]);
    expect(await human.joinRoom(asRoomAlias('#lobby:test.local'))).toBe(roomId);
    expect(await bot.getJoinedMembers(roomId)).toEqual([botId, humanId]);
    expect(await human.getJoinedRooms()).toEqual([roomId]);
  });

  it('marks DM invites as direct', async () => {
    const roomId = await human.createRoom({ aliasLocalpart: 'dm', name: 'DM', invite: [] });
    server.inviteAs(humanId, roomId, botId, { isDirect: true });
    const batch = await bot.sync({ since: undefined, timeoutMs: 0, signal: never });
    expect(batch.invited).toEqual([{ roomId, inviter: humanId, isDirect: true }]);
  });

  it('refuses what Synapse refuses', async () => {
    const roomId = await bot.createRoom({ aliasLocalpart: 'private', name: 'P', invite: [] });
    expect(await rejectionOf(human.joinRoom(roomId))).toMatchObject({ code: 'forbidden' });
    expect(await rejectionOf(human.say(roomId, 'hi'))).toMatchObject({ code: 'forbidden' });
    expect(
      await rejectionOf(bot.createRoom({ aliasLocalpart: 'private', name: 'again', invite: [] })),
    ).toMatchObject({ code: 'room_in_use' });
    expect(await bot.resolveAlias(asRoomAlias('#nothing:test.local'))).toBeUndefined();
  });

  it('reports rooms left since the last sync', async () => {
    const roomId = await sharedRoom();
    const { nextBatch } = await human.sync({ since: undefined, timeoutMs: 0, signal: never });
    await human.leaveRoom(roomId);
    const batch = await human.sync({ since: nextBatch, timeoutMs: 0, signal: never });
    expect(batch.left).toEqual([roomId]);
  });

  it('keeps display names', async () => {
    await bot.setDisplayName('Coder Bot');
    expect(await human.getDisplayName(botId)).toBe('Coder Bot');
    expect(await human.getDisplayName(server.registerUser('nobody'))).toBeUndefined();
  });
});

describe('FakeHomeserver sync', () => {
  it('resolves a long-poll when an event arrives', async () => {
    const roomId = await sharedRoom();
    const { nextBatch } = await bot.sync({ since: undefined, timeoutMs: 0, signal: never });
    const pending = bot.sync({ since: nextBatch, timeoutMs: 30_000, signal: never });
    const eventId = await human.say(roomId, 'hello');
    const batch = await pending;
    expect(batch.joined).toHaveLength(1);
    expect(batch.joined[0]?.timeline.map((e) => e.event_id)).toEqual([eventId]);
    expect(batch.joined[0]?.timeline[0]?.room_id).toBe(roomId);
    expect(batch.nextBatch).not.toBe(nextBatch);
  });

  it('returns an empty batch with the same token when the clock passes the timeout', async () => {
    await sharedRoom();
    const { nextBatch } = await bot.sync({ since: undefined, timeoutMs: 0, signal: never });
    let settled: SyncBatch | undefined;
    const pending = bot
      .sync({ since: nextBatch, timeoutMs: 30_000, signal: never })
      .then((b) => (settled = b));
    await flushMicrotasks();
    await clock.advance(29_999);
    expect(settled).toBeUndefined();
    await clock.advance(1);
    await pending;
    expect(settled).toEqual({ nextBatch, joined: [], invited: [], left: [] });
  });

  it('rejects a pending long-poll with the abort reason, and with shutdown on close', async () => {
    const controller = new AbortController();
    const aborted = bot.sync({ since: 's0', timeoutMs: 30_000, signal: controller.signal });
    const closed = bot.sync({ since: 's0', timeoutMs: 30_000, signal: never });
    await flushMicrotasks();
    const reason = new AbortReason('reload');
    controller.abort(reason);
    expect(await rejectionOf(aborted)).toBe(reason);
    await bot.close();
    expect(await rejectionOf(closed)).toMatchObject({ kind: 'shutdown' });
    expect(await rejectionOf(bot.getJoinedRooms())).toMatchObject({ kind: 'shutdown' });
    expect(clock.pendingSleeps).toBe(0);
  });

  it('marks a long timeline limited and backfills the gap exactly', async () => {
    const roomId = await sharedRoom();
    const { nextBatch } = await bot.sync({ since: undefined, timeoutMs: 0, signal: never });
    const sent = [];
    for (const text of ['one', 'two', 'three', 'four', 'five'])
      sent.push(await human.say(roomId, text));
    const batch = await bot.sync({ since: nextBatch, timeoutMs: 0, signal: never });
    const room = batch.joined[0]!;
    expect(room.limited).toBe(true);
    expect(room.timeline.map((e) => e.event_id)).toEqual(sent.slice(2));
    const gap = await bot.backfill(roomId, {
      from: room.prevBatch!,
      to: nextBatch,
      limit: 10,
      signal: never,
    });
    expect(gap.events.map((e) => e.event_id)).toEqual([sent[1], sent[0]]);
    expect(gap.end).toBeUndefined();
  });
});

describe('FakeHomeserver events', () => {
  it('makes a resend under the same txnId idempotent', async () => {
    const roomId = await sharedRoom();
    const message = { body: 'answer', format: 'plain' } as const;
    const first = await bot.sendText(roomId, message, { txnId: 'turn-1' });
    const again = await bot.sendText(roomId, message, { txnId: 'turn-1' });
    expect(again).toBe(first);
    expect(server.events({ roomId, sender: botId, type: 'm.room.message' })).toHaveLength(1);
    const otherDevice = server.createClient(botId, 'OTHER');
    expect(await otherDevice.sendText(roomId, message, { txnId: 'turn-1' })).not.toBe(first);
  });

  it('stores threads, edits, reactions and redactions as events', async () => {
    const roomId = await sharedRoom();
    const root = await human.say(roomId, 'question');
    const reply = await bot.sendText(
      roomId,
      { body: 'thinking', format: 'plain', thread: { rootId: root } },
      { txnId: 'a' },
    );
    await bot.editText(roomId, reply, { body: 'answer', format: 'markdown' }, { txnId: 'b' });
    await human.react(roomId, reply, '👍', { txnId: 'c' });
    const kinds = server
      .events({ roomId })
      .slice(-3)
      .map((event) => decodeEvent(event).kind);
    expect(kinds).toEqual(['message', 'edit', 'reaction']);
    expect((await bot.getThread(roomId, root, { limit: 10 })).map((e) => e.event_id)).toEqual([
      root,
      reply,
    ]);
    await human.redact(roomId, root, { txnId: 'd', reason: 'oops' });
    expect((await bot.getEvent(roomId, root)).content).toEqual({});
    expect(decodeEvent(server.events({ roomId }).at(-1)!)).toMatchObject({
      kind: 'redaction',
      redactsId: root,
      reason: 'oops',
    });
  });

  it('records typing notifications', async () => {
    const roomId = await sharedRoom();
    await bot.setTyping(roomId, true, 30_000);
    await bot.setTyping(roomId, false, 0);
    expect(server.typing).toEqual([
      { userId: botId, roomId, isTyping: true, timeoutMs: 30_000 },
      { userId: botId, roomId, isTyping: false, timeoutMs: 0 },
    ]);
  });
});

describe('FakeHomeserver failure injection', () => {
  it('fails the next syncs with the given error, then recovers', async () => {
    const error = new MatrixRequestError('server_error', 'down', { httpStatus: 502 });
    server.failNextSyncs(botId, 2, error);
    expect(await rejectionOf(bot.sync({ since: undefined, timeoutMs: 0, signal: never }))).toBe(
      error,
    );
    expect(await rejectionOf(bot.sync({ since: undefined, timeoutMs: 0, signal: never }))).toBe(
      error,
    );
    expect((await bot.sync({ since: undefined, timeoutMs: 0, signal: never })).nextBatch).toMatch(
      /^s\d+$/,
    );
  });

  it('rate limits a chosen operation of a chosen user', async () => {
    const roomId = await sharedRoom();
    server.rateLimitNext(botId, 'editText', 750);
    const error = await rejectionOf(
      bot.editText(
        roomId,
        await bot.say(roomId, 'x'),
        { body: 'y', format: 'plain' },
        { txnId: 'e' },
      ),
    );
    expect(error).toMatchObject({ code: 'rate_limited', retryAfterMs: 750 });
    expect(await human.say(roomId, 'humans are not limited')).toMatch(/^\$/);
  });
});
