import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ScriptedHttpServer } from '../../test/support/scripted-http-server.js';
import {
  AbortReason,
  asEventId,
  asRoomAlias,
  asRoomId,
  asUserId,
  silentLogger,
} from '../shared/index.js';
import type { BotSdkClient } from './bot-sdk-client.js';
import { SYNC_HTTP_MARGIN_MS } from './bot-sdk-client.js';
import { loadBotSdk } from './bot-sdk-loader.js';
import { createBotSdkClient } from './create-bot-sdk-client.js';
import { MatrixRequestError } from './errors.js';

const me = asUserId('@coder:example.org');
const room = asRoomId('!lobby:example.org');
const loaded = loadBotSdk({ logger: silentLogger });

let server: ScriptedHttpServer;
let client: BotSdkClient;

beforeEach(async () => {
  server = await ScriptedHttpServer.start();
  client = createBotSdkClient(loaded, {
    homeserverUrl: server.url,
    credentials: { userId: me, accessToken: 'syt_test_token', deviceId: 'DEVICE1' },
    logger: silentLogger,
  });
  server.on('POST', '/_matrix/client/v3/user/@coder:example.org/filter', {
    body: { filter_id: 'F1' },
  });
  // Rooms are unencrypted unless a test says otherwise (a send checks once per room).
  server.on('GET', /\/state\/m\.room\.(encryption|history_visibility)\/$/, {
    status: 404,
    body: { errcode: 'M_NOT_FOUND', error: 'no such state' },
  });
});

afterEach(async () => {
  await client.close();
  await server.close();
});

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

const SYNC = '/_matrix/client/v3/sync';
const NOT_FOUND = { status: 404, body: { errcode: 'M_NOT_FOUND', error: 'Not found' } };

describe('BotSdkClient.sync', () => {
  it('uploads the filter once and long-polls with since, timeout and filter', async () => {
    server.on('GET', SYNC, { body: { next_batch: 's2' } });
    const signal = new AbortController().signal;
    const first = await client.sync({ since: undefined, timeoutMs: 0, signal });
    await client.sync({ since: first.nextBatch, timeoutMs: 30_000, signal });
    expect(server.received('POST', /\/filter$/)).toHaveLength(1);
    const filterBody = server.received('POST', /\/filter$/)[0]?.body as Record<string, unknown>;
    expect(filterBody['room']).toMatchObject({ timeline: { lazy_load_members: true } });
    const syncs = server.received('GET', SYNC);
    expect(syncs.map((request) => Object.fromEntries(request.query))).toEqual([
      { filter: 'F1', timeout: '0' },
      { filter: 'F1', timeout: '30000', since: 's2' },
    ]);
    expect(syncs[0]?.headers.authorization).toBe('Bearer syt_test_token');
  });

  it('uploads one filter per set of excluded rooms and reuses it', async () => {
    let filters = 0;
    server.on('POST', '/_matrix/client/v3/user/@coder:example.org/filter', () => {
      filters += 1;
      return { body: { filter_id: `F${filters}` } };
    });
    server.on('GET', SYNC, { body: { next_batch: 's2' } });
    const signal = new AbortController().signal;
    const lobby = asRoomId('!lobby:example.org');
    const dev = asRoomId('!dev:example.org');
    await client.sync({ since: 's1', timeoutMs: 0, signal });
    await client.sync({ since: 's1', timeoutMs: 0, signal, excludeRooms: [lobby, dev] });
    await client.sync({ since: 's1', timeoutMs: 0, signal, excludeRooms: [dev, lobby] });
    await client.sync({ since: 's1', timeoutMs: 0, signal, excludeRooms: [] });
    const uploads = server.received('POST', /\/filter$/);
    expect(uploads).toHaveLength(2);
    expect(
      (uploads[0]?.body as { room: Record<string, unknown> }).room['not_rooms'],
    ).toBeUndefined();
    expect((uploads[1]?.body as { room: Record<string, unknown> }).room['not_rooms']).toEqual([
      dev,
      lobby,
    ]);
    expect(server.received('GET', SYNC).map((request) => request.query.get('filter'))).toEqual([
      'F1',
      'F2',
      'F2',
      'F1',
    ]);
  });

  it('gives the HTTP request more time than the long-poll', async () => {
    server.on('GET', SYNC, { body: { next_batch: 's2' } });
    const sdkClient = (
      client as unknown as { client: { doRequest: (...args: unknown[]) => unknown } }
    ).client;
    const spy = vi.spyOn(sdkClient, 'doRequest');
    await client.sync({ since: 's1', timeoutMs: 30_000, signal: new AbortController().signal });
    const syncCall = spy.mock.calls.find((call) => call[1] === SYNC);
    expect(syncCall?.[4]).toBe(30_000 + SYNC_HTTP_MARGIN_MS);
  });

  it('rejects with the abort reason at once and leaves no listener on the signal', async () => {
    let release: () => void = () => undefined;
    server.on(
      'GET',
      SYNC,
      () =>
        new Promise(
          (resolve) =>
            (release = () => {
              resolve({ body: { next_batch: 'late' } });
            }),
        ),
    );
    const controller = new AbortController();
    const pending = client.sync({ since: 's1', timeoutMs: 30_000, signal: controller.signal });
    await vi.waitFor(() => {
      expect(server.received('GET', SYNC)).toHaveLength(1);
    });
    const reason = new AbortReason('shutdown');
    controller.abort(reason);
    expect(await rejectionOf(pending)).toBe(reason);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    release();
  });

  it('rejects a pending sync with a shutdown reason when the client closes', async () => {
    server.on('GET', SYNC, () => new Promise(() => undefined));
    const pending = client.sync({
      since: 's1',
      timeoutMs: 30_000,
      signal: new AbortController().signal,
    });
    await vi.waitFor(() => {
      expect(server.received('GET', SYNC)).toHaveLength(1);
    });
    await client.close();
    const error = await rejectionOf(pending);
    expect(error).toBeInstanceOf(AbortReason);
    expect((error as AbortReason).kind).toBe('shutdown');
  });

  it('maps a rate limit to rate_limited with the server delay', async () => {
    server.on('GET', SYNC, {
      status: 429,
      body: { errcode: 'M_LIMIT_EXCEEDED', error: 'Too many requests', retry_after_ms: 2500 },
    });
    const error = await rejectionOf(
      client.sync({ since: 's1', timeoutMs: 0, signal: new AbortController().signal }),
    );
    expect(error).toBeInstanceOf(MatrixRequestError);
    expect(error).toMatchObject({ code: 'rate_limited', retryAfterMs: 2500, httpStatus: 429 });
  });

  it('maps a proxy error page to server_error', async () => {
    server.on('GET', SYNC, { status: 502, rawBody: '<html>Bad Gateway</html>' });
    const error = await rejectionOf(
      client.sync({ since: 's1', timeoutMs: 0, signal: new AbortController().signal }),
    );
    expect(error).toMatchObject({ code: 'server_error', httpStatus: 502 });
  });

  it('maps a refused connection to network', async () => {
    const url = server.url;
    await server.close();
    const offline = createBotSdkClient(loaded, {
      homeserverUrl: url,
      credentials: { userId: me, accessToken: 't', deviceId: 'D' },
      logger: silentLogger,
    });
    const error = await rejectionOf(
      offline.sync({ since: 's1', timeoutMs: 0, signal: new AbortController().signal }),
    );
    expect(error).toMatchObject({ code: 'network' });
    server = await ScriptedHttpServer.start();
  });

  it('rejects a response without next_batch as invalid_response', async () => {
    server.on('GET', SYNC, { body: { rooms: {} } });
    const error = await rejectionOf(
      client.sync({ since: 's1', timeoutMs: 0, signal: new AbortController().signal }),
    );
    expect(error).toMatchObject({ code: 'invalid_response' });
  });
});

describe('BotSdkClient sends', () => {
  const SEND = /^\/_matrix\/client\/v3\/rooms\/!lobby:example.org\/send\//;

  beforeEach(() => {
    server.on('PUT', SEND, { body: { event_id: '$sent' } });
    server.on('PUT', /\/redact\//, { body: { event_id: '$redaction' } });
  });

  it('sends a threaded Markdown message under our transaction id', async () => {
    const eventId = await client.sendText(
      room,
      {
        body: '**hi** @human',
        format: 'markdown',
        thread: { rootId: asEventId('$root') },
        mentions: [asUserId('@human:example.org')],
      },
      { txnId: 'quorum-txn-1' },
    );
    expect(eventId).toBe('$sent');
    const [request] = server.received('PUT', SEND);
    expect(request?.path).toBe(
      '/_matrix/client/v3/rooms/!lobby:example.org/send/m.room.message/quorum-txn-1',
    );
    expect(request?.body).toMatchObject({
      body: '**hi** @human',
      formatted_body:
        '<p><strong>hi</strong> <a href="https://matrix.to/#/@human:example.org">@human</a></p>',
      'm.mentions': { user_ids: ['@human:example.org'] },
      'm.relates_to': { rel_type: 'm.thread', event_id: '$root', is_falling_back: true },
    });
  });

  it('edits with m.replace and reacts with m.annotation under our transaction ids', async () => {
    await client.editText(
      room,
      asEventId('$sent'),
      { body: 'better', format: 'plain' },
      { txnId: 't2' },
    );
    await client.react(room, asEventId('$sent'), '👍', { txnId: 't3' });
    const [edit, reaction] = server.received('PUT', SEND);
    expect(edit?.path).toMatch(/\/send\/m\.room\.message\/t2$/);
    expect(edit?.body).toMatchObject({
      body: '* better',
      'm.new_content': { body: 'better' },
      'm.relates_to': { rel_type: 'm.replace', event_id: '$sent' },
    });
    expect(reaction?.path).toMatch(/\/send\/m\.reaction\/t3$/);
  });

  it('redacts under our transaction id with a reason', async () => {
    expect(await client.redact(room, asEventId('$x'), { txnId: 't4', reason: 'superseded' })).toBe(
      '$redaction',
    );
    const [request] = server.received('PUT', /\/redact\//);
    expect(request?.path).toBe('/_matrix/client/v3/rooms/!lobby:example.org/redact/$x/t4');
    expect(request?.body).toEqual({ reason: 'superseded' });
  });

  it('encodes transaction ids that contain reserved characters', async () => {
    await client.sendText(room, { body: 'x', format: 'plain' }, { txnId: 'a/b c' });
    expect(server.received('PUT', SEND)[0]?.rawPath).toMatch(/\/a%2Fb%20c$/);
  });
});

describe('BotSdkClient history', () => {
  const event = (id: string, ts: number): Record<string, unknown> => ({
    event_id: id,
    sender: '@human:example.org',
    type: 'm.room.message',
    origin_server_ts: ts,
    content: { msgtype: 'm.text', body: id },
  });

  it('backfills through /messages backwards with the filter types', async () => {
    server.on('GET', /\/messages$/, {
      body: { chunk: [event('$b', 2), event('$a', 1)], end: 't9' },
    });
    const page = await client.backfill(room, {
      from: 't10',
      to: 's5',
      limit: 20,
      signal: new AbortController().signal,
    });
    expect(page.events.map((e) => e.event_id)).toEqual(['$b', '$a']);
    expect(page.events[0]?.room_id).toBe(room);
    expect(page.end).toBe('t9');
    const query = server.received('GET', /\/messages$/)[0]?.query;
    expect(query?.get('dir')).toBe('b');
    expect(query?.get('from')).toBe('t10');
    expect(query?.get('to')).toBe('s5');
    expect(JSON.parse(query?.get('filter') ?? '{}')).toMatchObject({ lazy_load_members: true });
  });

  it('reports no further page when /messages returns nothing', async () => {
    server.on('GET', /\/messages$/, { body: { chunk: [], end: 't9' } });
    const page = await client.backfill(room, {
      from: 't1',
      to: undefined,
      limit: 5,
      signal: new AbortController().signal,
    });
    expect(page).toEqual({ events: [], end: undefined });
  });

  it('reads a thread root first, then its events oldest first across pages', async () => {
    server.on('GET', /\/event\/\$root$/, { body: event('$root', 0) });
    const RELATIONS = '/_matrix/client/v1/rooms/!lobby:example.org/relations/$root/m.thread';
    server.on('GET', RELATIONS, (request) =>
      request.query.get('from') === null
        ? { body: { chunk: [event('$t4', 4), event('$t3', 3)], next_batch: 'p2' } }
        : { body: { chunk: [event('$t2', 2), event('$t1', 1)] } },
    );
    const thread = await client.getThread(room, asEventId('$root'), { limit: 10 });
    expect(thread.map((e) => e.event_id)).toEqual(['$root', '$t1', '$t2', '$t3', '$t4']);
  });
});

describe('BotSdkClient rooms and profiles', () => {
  it('resolves an alias, and answers undefined for an unknown one', async () => {
    server.on('GET', '/_matrix/client/v3/directory/room/#lobby:example.org', {
      body: { room_id: room },
    });
    server.on('GET', '/_matrix/client/v3/directory/room/#nope:example.org', NOT_FOUND);
    expect(await client.resolveAlias(asRoomAlias('#lobby:example.org'))).toBe(room);
    expect(await client.resolveAlias(asRoomAlias('#nope:example.org'))).toBeUndefined();
  });

  it('creates a private room with shared history by default', async () => {
    server.on('POST', '/_matrix/client/v3/createRoom', { body: { room_id: '!new:example.org' } });
    const roomId = await client.createRoom({
      aliasLocalpart: 'lobby',
      name: 'Lobby',
      topic: 'Hi',
      invite: [asUserId('@human:example.org')],
    });
    expect(roomId).toBe('!new:example.org');
    expect(server.received('POST', '/_matrix/client/v3/createRoom')[0]?.body).toEqual({
      preset: 'private_chat',
      room_alias_name: 'lobby',
      name: 'Lobby',
      topic: 'Hi',
      invite: ['@human:example.org'],
      initial_state: [
        {
          type: 'm.room.history_visibility',
          state_key: '',
          content: { history_visibility: 'shared' },
        },
      ],
    });
  });

  it('maps an existing alias to room_in_use', async () => {
    server.on('POST', '/_matrix/client/v3/createRoom', {
      status: 400,
      body: { errcode: 'M_ROOM_IN_USE', error: 'Room alias already taken' },
    });
    const error = await rejectionOf(
      client.createRoom({ aliasLocalpart: 'lobby', name: 'Lobby', invite: [] }),
    );
    expect(error).toMatchObject({ code: 'room_in_use' });
  });

  it('reads display names, undefined when the profile is unknown', async () => {
    server.on('GET', '/_matrix/client/v3/profile/@human:example.org/displayname', {
      body: { displayname: 'Human' },
    });
    server.on('GET', '/_matrix/client/v3/profile/@ghost:example.org/displayname', NOT_FOUND);
    expect(await client.getDisplayName(asUserId('@human:example.org'))).toBe('Human');
    expect(await client.getDisplayName(asUserId('@ghost:example.org'))).toBeUndefined();
  });

  it('lists joined rooms and members as branded ids, rejecting junk as invalid_response', async () => {
    server.on('GET', '/_matrix/client/v3/joined_rooms', { body: { joined_rooms: [room] } });
    server.on('GET', /\/joined_members$/, { body: { joined: { '@a:example.org': {}, junk: {} } } });
    expect(await client.getJoinedRooms()).toEqual([room]);
    expect(await rejectionOf(client.getJoinedMembers(room))).toMatchObject({
      code: 'invalid_response',
    });
  });
});

describe('BotSdkClient membership and typing', () => {
  it('calls the client-server API directly, without a whoami first', async () => {
    server.on('POST', '/_matrix/client/v3/join/#lobby:example.org', { body: { room_id: room } });
    server.on('POST', /\/(leave|invite)$/, { body: {} });
    server.on('PUT', /\/typing\//, { body: {} });
    server.on('PUT', /\/displayname$/, { body: {} });
    expect(await client.joinRoom(asRoomAlias('#lobby:example.org'))).toBe(room);
    await client.invite(room, asUserId('@human:example.org'));
    await client.setTyping(room, true, 20_000);
    await client.setTyping(room, false, 0);
    await client.setDisplayName('Coder');
    await client.leaveRoom(room);
    expect(server.received('POST', /\/invite$/)[0]?.body).toEqual({
      user_id: '@human:example.org',
    });
    expect(server.received('PUT', /\/typing\//).map((r) => [r.path, r.body])).toEqual([
      [`/_matrix/client/v3/rooms/${room}/typing/${me}`, { typing: true, timeout: 20_000 }],
      [`/_matrix/client/v3/rooms/${room}/typing/${me}`, { typing: false }],
    ]);
    expect(server.received('PUT', /\/displayname$/)[0]?.path).toBe(
      `/_matrix/client/v3/profile/${me}/displayname`,
    );
    expect(server.received('POST', /\/leave$/)).toHaveLength(1);
    expect(server.received('GET', /whoami/)).toEqual([]);
  });
});

describe('BotSdkClient files', () => {
  it('uploads a file and posts it as an image in the thread', async () => {
    server.on('POST', '/_matrix/media/v3/upload', {
      body: { content_uri: 'mxc://example.org/up' },
    });
    server.on('PUT', /\/send\/m\.room\.message\//, { body: { event_id: '$file' } });
    const eventId = await client.sendFile(
      room,
      {
        bytes: Buffer.from('png bytes'),
        filename: 'chart.png',
        mimetype: 'image/png',
        thread: { rootId: asEventId('$root') },
      },
      { txnId: 'f1' },
    );
    expect(eventId).toBe('$file');
    const [upload] = server.received('POST', '/_matrix/media/v3/upload');
    expect(upload?.query.get('filename')).toBe('chart.png');
    expect(upload?.headers['content-type']).toBe('image/png');
    expect(upload?.body).toEqual(Buffer.from('png bytes'));
    const [sent] = server.received('PUT', /\/send\//);
    expect(sent?.path).toContain('/send/m.room.message/f1');
    expect(sent?.body).toMatchObject({
      msgtype: 'm.image',
      body: 'chart.png',
      url: 'mxc://example.org/up',
      info: { mimetype: 'image/png', size: 9 },
      'm.relates_to': { rel_type: 'm.thread', event_id: '$root' },
    });
  });

  it('uploads only ciphertext to an encrypted room, and refuses to post it without crypto', async () => {
    server.on('GET', /\/state\/m\.room\.encryption\/$/, {
      body: { algorithm: 'm.megolm.v1.aes-sha2' },
    });
    server.on('POST', '/_matrix/media/v3/upload', {
      body: { content_uri: 'mxc://example.org/up' },
    });
    await expect(
      client.sendFile(
        room,
        { bytes: Buffer.from('top secret'), filename: 's.txt', mimetype: 'text/plain' },
        { txnId: 'f2' },
      ),
    ).rejects.toMatchObject({ code: 'encryption_unavailable' });
    const uploads = server.received('POST', '/_matrix/media/v3/upload');
    expect(uploads).toHaveLength(1);
    expect(Buffer.isBuffer(uploads[0]?.body)).toBe(true);
    expect((uploads[0]?.body as Buffer).toString('latin1')).not.toContain('top secret');
    expect(server.received('PUT', /\/send\//)).toEqual([]);
  });
});

describe('createBotSdkClient', () => {
  it('never sends plaintext into an encrypted room when it has no crypto backend', async () => {
    server.on('GET', /\/state\/m\.room\.encryption\/$/, {
      body: { algorithm: 'm.megolm.v1.aes-sha2' },
    });
    expect(client.isEncryptionEnabled).toBe(false);
    await expect(
      client.sendText(room, { body: 'secret', format: 'plain' }, { txnId: 't1' }),
    ).rejects.toMatchObject({ code: 'encryption_unavailable' });
    expect(server.received('PUT', /\/send\//)).toEqual([]);
  });
});

describe('BotSdkClient notifications', () => {
  const MASTER = '/_matrix/client/v3/pushrules/global/override/.m.rule.master/enabled';

  it('reads the setting from the master push rule and turns them off by enabling it', async () => {
    server.on('GET', MASTER, { body: { enabled: false } });
    server.on('PUT', MASTER, { body: {} });
    expect(await client.getNotificationsEnabled()).toBe(true);
    await client.setNotificationsEnabled(false);
    expect(server.received('PUT', MASTER).map((request) => request.body)).toEqual([
      { enabled: true },
    ]);
  });
});
