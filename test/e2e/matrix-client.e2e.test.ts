/**
 * The Matrix layer against a real Synapse: provisioning, rooms, sync, threaded sends with
 * mentions, edits, reactions, redactions, backfill and threads, checked through a second
 * account. The homeserver comes from the e2e global setup through vitest `inject`.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createBotSdkClient,
  decodeEvent,
  loadBotSdk,
  provisionAccount,
} from '../../src/matrix/index.js';
import type { BotClient, DecodedEvent, RawEvent } from '../../src/matrix/index.js';
import { asRoomAlias, silentLogger } from '../../src/shared/index.js';
import type { EventId, RoomId } from '../../src/shared/index.js';

interface RunHomeserver {
  readonly url: string;
  readonly serverName: string;
  readonly sharedSecret: string;
}

/**
 * The homeserver of this run, from the e2e global setup. The harness
 * (test/support/global-setup-synapse.ts) provides `quorumHomeserver` ({ url, serverName,
 * registrationSharedSecret }, null when skipped); the flat `matrixHomeserver`,
 * `matrixSharedSecret` and `matrixServerName` are read as a fallback. Read untyped, so this
 * file does not depend on which setup declared its ProvidedContext keys.
 */
function homeserverOfRun(): RunHomeserver | { readonly skipReason: string } {
  const read = inject as unknown as (key: string) => unknown;
  const skipReason = read('quorumE2eSkipReason');
  if (typeof skipReason === 'string') return { skipReason };
  const harness = read('quorumHomeserver') as Partial<Record<string, unknown>> | null | undefined;
  const url = harness?.['url'] ?? read('matrixHomeserver');
  const serverName = harness?.['serverName'] ?? read('matrixServerName');
  const sharedSecret = harness?.['registrationSharedSecret'] ?? read('matrixSharedSecret');
  if (
    typeof url !== 'string' ||
    typeof serverName !== 'string' ||
    typeof sharedSecret !== 'string'
  ) {
    throw new Error(
      'the e2e global setup provided no homeserver (url, server name, shared secret)',
    );
  }
  return { url, serverName, sharedSecret };
}

const provided = homeserverOfRun();
const describeOnHomeserver = 'skipReason' in provided ? describe.skip : describe;
const {
  url: homeserverUrl,
  serverName,
  sharedSecret,
} = 'skipReason' in provided ? { url: '', serverName: '', sharedSecret: '' } : provided;
/** Synapse keeps its database between runs, so every run uses fresh names. */
const run = randomUUID().slice(0, 8);
const never = new AbortController().signal;

async function provision(localpart: string, displayName: string) {
  return provisionAccount({
    homeserverUrl,
    localpart,
    displayName,
    stored: undefined,
    registration: { sharedSecret },
    signal: never,
  });
}

/** Syncs from `since` until `predicate` holds for the events seen so far (bounded rounds). */
async function syncUntil(
  client: BotClient,
  since: string,
  predicate: (events: readonly RawEvent[]) => boolean,
): Promise<{ events: RawEvent[]; nextBatch: string }> {
  const events: RawEvent[] = [];
  let token = since;
  for (let round = 0; round < 20 && !predicate(events); round++) {
    const batch = await client.sync({ since: token, timeoutMs: 5_000, signal: never });
    for (const room of batch.joined) events.push(...room.timeline);
    token = batch.nextBatch;
  }
  expect(predicate(events)).toBe(true);
  return { events, nextBatch: token };
}

function byId(events: readonly RawEvent[], eventId: string): DecodedEvent {
  const event = events.find((e) => e.event_id === eventId);
  expect(event).toBeDefined();
  return decodeEvent(event!);
}

describeOnHomeserver('Matrix layer on Synapse', () => {
  const loaded = loadBotSdk({ logger: silentLogger });
  let bot: BotClient;
  let human: BotClient;
  let roomId: RoomId;
  let humanSince: string;

  beforeAll(async () => {
    const botAccount = await provision(`bot-${run}`, 'Coder Bot');
    const humanAccount = await provision(`human-${run}`, 'Alice');
    expect(botAccount.outcome).toBe('registered');
    bot = createBotSdkClient(loaded, {
      homeserverUrl,
      credentials: botAccount.credentials,
      logger: silentLogger,
    });
    human = createBotSdkClient(loaded, {
      homeserverUrl,
      credentials: humanAccount.credentials,
      logger: silentLogger,
    });
  });

  afterAll(async () => {
    await bot.close();
    await human.close();
  });

  it('reuses a valid token and logs in again on the same device when it is not', async () => {
    const account = await provision(`reuse-${run}`, 'Reuse');
    const stored = account.credentials;
    const reused = await provisionAccount({
      homeserverUrl,
      localpart: `reuse-${run}`,
      displayName: 'Reuse',
      stored,
      registration: {},
      signal: never,
    });
    expect(reused).toEqual({ credentials: stored, outcome: 'reused' });
    const relogged = await provisionAccount({
      homeserverUrl,
      localpart: `reuse-${run}`,
      displayName: 'Reuse',
      stored: { ...stored, accessToken: 'syt_revoked_token_value' },
      registration: {},
      signal: never,
    });
    expect(relogged.outcome).toBe('logged_in');
    expect(relogged.credentials.deviceId).toBe(stored.deviceId);
    expect(relogged.credentials.accessToken).not.toBe(stored.accessToken);
  });

  it('creates a room the second account is invited to and joins', async () => {
    roomId = await bot.createRoom({
      aliasLocalpart: `lobby-${run}`,
      name: 'Lobby',
      invite: [human.userId],
    });
    expect(await bot.resolveAlias(asRoomAlias(`#lobby-${run}:${serverName}`))).toBe(roomId);
    expect(await bot.resolveAlias(asRoomAlias(`#missing-${run}:${serverName}`))).toBeUndefined();
    const first = await human.sync({ since: undefined, timeoutMs: 0, signal: never });
    expect(first.invited).toContainEqual({ roomId, inviter: bot.userId, isDirect: false });
    expect(await human.joinRoom(roomId)).toBe(roomId);
    humanSince = first.nextBatch;
    expect([...(await bot.getJoinedMembers(roomId))].sort()).toEqual(
      [bot.userId, human.userId].sort(),
    );
    expect(await human.getDisplayName(bot.userId)).toBe('Coder Bot');
  });

  it('sends a threaded reply with a mention, edits, reacts and redacts, seen by the other account', async () => {
    const botStart = await bot.sync({ since: undefined, timeoutMs: 0, signal: never });
    const rootId = await human.sendText(
      roomId,
      { body: 'what is 2+2?', format: 'plain' },
      { txnId: `q-${run}` },
    );
    await syncUntil(bot, botStart.nextBatch, (events) => events.some((e) => e.event_id === rootId));

    const reply = {
      body: `**4**, @human-${run}`,
      format: 'markdown',
      thread: { rootId },
      mentions: [human.userId],
    } as const;
    const replyId = await bot.sendText(roomId, reply, { txnId: `r-${run}` });
    expect(await bot.sendText(roomId, reply, { txnId: `r-${run}` })).toBe(replyId);
    const editId = await bot.editText(
      roomId,
      replyId,
      {
        body: 'It is **4**.',
        format: 'markdown',
        extraContent: { 'io.quorum.stream_status': 'final' },
      },
      { txnId: `e-${run}` },
    );
    const reactionId = await bot.react(roomId, rootId, '✅', { txnId: `k-${run}` });
    const redactionId = await bot.redact(roomId, reactionId, {
      txnId: `x-${run}`,
      reason: 'changed my mind',
    });
    await bot.setTyping(roomId, false, 0);

    const seen = await syncUntil(human, humanSince, (events) =>
      events.some((e) => e.event_id === redactionId),
    );
    expect(byId(seen.events, replyId)).toMatchObject({
      kind: 'message',
      sender: bot.userId,
      threadRootId: rootId,
      isReplyFallback: true,
      mentions: { userIds: [human.userId], pills: [human.userId] },
    });
    expect(seen.events.filter((e) => e.event_id === replyId)).toHaveLength(1);
    expect(byId(seen.events, editId)).toMatchObject({
      kind: 'edit',
      targetId: replyId,
      newContent: { body: 'It is **4**.', formattedBody: '<p>It is <strong>4</strong>.</p>' },
      rawNewContent: { 'io.quorum.stream_status': 'final' },
    });
    expect(byId(seen.events, redactionId)).toMatchObject({
      kind: 'redaction',
      redactsId: reactionId,
      reason: 'changed my mind',
    });
    humanSince = seen.nextBatch;

    const page = await human.backfill(roomId, {
      from: seen.nextBatch,
      to: undefined,
      limit: 50,
      signal: never,
    });
    const ids = page.events.map((e) => e.event_id as EventId);
    for (const id of [rootId, replyId, editId, reactionId, redactionId]) expect(ids).toContain(id);
    expect(ids.indexOf(redactionId)).toBeLessThan(ids.indexOf(rootId));
    expect(decodeEvent(page.events.find((e) => e.event_id === reactionId)!).kind).toBe('other');

    const thread = await human.getThread(roomId, rootId, { limit: 10 });
    expect(thread.map((e) => e.event_id)).toEqual([rootId, replyId]);
    expect((await human.getEvent(roomId, replyId)).sender).toBe(bot.userId);
  });

  it('fills a limited sync gap exactly with backfill from prev_batch to since', async () => {
    const account = await provision(`gap-${run}`, 'Gap');
    const narrow = createBotSdkClient(loaded, {
      homeserverUrl,
      credentials: account.credentials,
      logger: silentLogger,
      timelineLimit: 2,
    });
    await bot.invite(roomId, narrow.userId);
    await narrow.joinRoom(roomId);
    const start = await narrow.sync({ since: undefined, timeoutMs: 0, signal: never });
    const sent: string[] = [];
    for (const n of [1, 2, 3, 4, 5]) {
      sent.push(
        await human.sendText(roomId, { body: `m${n}`, format: 'plain' }, { txnId: `g${n}-${run}` }),
      );
    }
    // Waits until all five are visible, then re-reads the same range as one (limited) batch.
    await syncUntil(narrow, start.nextBatch, (events) =>
      events.some((e) => e.event_id === sent[4]),
    );
    const batch = await narrow.sync({ since: start.nextBatch, timeoutMs: 0, signal: never });
    const update = batch.joined.find((room) => room.roomId === roomId)!;
    expect(update.limited).toBe(true);
    expect(update.timeline.map((e) => e.event_id)).toEqual(sent.slice(3));
    const gap = await narrow.backfill(roomId, {
      from: update.prevBatch!,
      to: start.nextBatch,
      limit: 50,
      signal: never,
    });
    expect(gap.events.map((e) => e.event_id)).toEqual([sent[2], sent[1], sent[0]]);
    await narrow.close();
  });

  it('maps homeserver refusals to MatrixRequestError codes', async () => {
    const privateRoom = await bot.createRoom({
      aliasLocalpart: `private-${run}`,
      name: 'Private',
      invite: [],
    });
    await expect(human.joinRoom(privateRoom)).rejects.toMatchObject({ code: 'forbidden' });
    await expect(
      human.sendText(privateRoom, { body: 'x', format: 'plain' }, { txnId: `f-${run}` }),
    ).rejects.toMatchObject({ code: 'forbidden' });
    await expect(
      bot.createRoom({ aliasLocalpart: `private-${run}`, name: 'Again', invite: [] }),
    ).rejects.toMatchObject({ code: 'room_in_use' });
    await expect(provision(`bot-${run}`, 'Twin')).rejects.toMatchObject({ code: 'user_in_use' });
  });
});
