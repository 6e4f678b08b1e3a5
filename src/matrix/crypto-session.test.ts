import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RecordingLogger } from '../../test/support/recording-logger.js';
import { ScriptedHttpServer } from '../../test/support/scripted-http-server.js';
import { asRoomId, asUserId, silentLogger } from '../shared/index.js';
import { BotSdkClient } from './bot-sdk-client.js';
import { loadBotSdk } from './bot-sdk-loader.js';
import type { RoomCrypto } from './room-crypto.js';

/** The E2EE path of BotSdkClient (CryptoSession) on a fake RoomCrypto: no native binary needed. */
const me = asUserId('@coder:example.org');
const room = asRoomId('!lobby:example.org');
const loaded = loadBotSdk({ logger: silentLogger });
const SYNC = '/_matrix/client/v3/sync';

let server: ScriptedHttpServer;

beforeEach(async () => {
  server = await ScriptedHttpServer.start();
  server.on('POST', '/_matrix/client/v3/user/@coder:example.org/filter', {
    body: { filter_id: 'F1' },
  });
});

afterEach(async () => {
  await server.close();
});

describe('BotSdkClient with encryption (CryptoSession)', () => {
  const encrypted = {
    event_id: '$enc',
    sender: '@human:example.org',
    type: 'm.room.encrypted',
    origin_server_ts: 1,
    content: { algorithm: 'm.megolm.v1.aes-sha2', ciphertext: 'AwgA' },
  };

  function fakeCrypto(calls: string[], options: { failDecrypt?: boolean } = {}): RoomCrypto {
    return {
      prepare: (rooms) => (calls.push(`prepare ${rooms.join(',')}`), Promise.resolve()),
      receiveSyncData: (data) => (
        calls.push(`sync data ${data.toDeviceEvents.length}`),
        Promise.resolve()
      ),
      onRoomJoin: (roomId) => (calls.push(`join ${roomId}`), Promise.resolve()),
      onRoomEvent: (_roomId, event) => (calls.push(`event ${event.type}`), Promise.resolve()),
      isRoomEncrypted: () => Promise.resolve(true),
      decryptRoomEvent: (_roomId, event) => {
        calls.push(`decrypt ${event.event_id}`);
        return options.failDecrypt === true
          ? Promise.reject(new Error('no session'))
          : Promise.resolve({
              ...event,
              type: 'm.room.message',
              content: { msgtype: 'm.text', body: 'secret' },
            });
      },
      encryptRoomEvent: (_roomId, type) => (
        calls.push(`encrypt ${type}`),
        Promise.resolve({ algorithm: 'm.megolm.v1.aes-sha2', ciphertext: 'X' })
      ),
    };
  }

  function encryptedClient(crypto: RoomCrypto, logger = new RecordingLogger()): BotSdkClient {
    return new BotSdkClient(new loaded.sdk.MatrixClient(server.url, 'syt_t'), {
      userId: me,
      deviceId: 'DEVICE1',
      logger,
      crypto,
      timelineLimit: 50,
    });
  }

  beforeEach(() => {
    server.on('GET', '/_matrix/client/v3/joined_rooms', {
      body: { joined_rooms: ['!old:example.org'] },
    });
    server.on('GET', SYNC, {
      body: {
        next_batch: 's2',
        to_device: {
          events: [{ type: 'm.room.encrypted', sender: '@human:example.org', content: {} }],
        },
        rooms: { join: { [room]: { timeline: { events: [encrypted] } } } },
      },
    });
  });

  it('feeds to-device data before decrypting, and tracks newly joined rooms', async () => {
    const calls: string[] = [];
    const e2ee = encryptedClient(fakeCrypto(calls));
    const batch = await e2ee.sync({
      since: 's1',
      timeoutMs: 0,
      signal: new AbortController().signal,
    });
    expect(e2ee.isEncryptionEnabled).toBe(true);
    expect(calls).toEqual([
      'prepare !old:example.org',
      'sync data 1',
      `join ${room}`,
      'decrypt $enc',
      'event m.room.message',
    ]);
    expect(batch.joined[0]?.timeline[0]).toMatchObject({
      event_id: '$enc',
      type: 'm.room.message',
      room_id: room,
      content: { body: 'secret' },
    });
    await e2ee.close();
  });

  it('keeps an undecryptable event encrypted and warns', async () => {
    const logger = new RecordingLogger();
    const e2ee = encryptedClient(fakeCrypto([], { failDecrypt: true }), logger);
    const batch = await e2ee.sync({
      since: 's1',
      timeoutMs: 0,
      signal: new AbortController().signal,
    });
    expect(batch.joined[0]?.timeline[0]?.type).toBe('m.room.encrypted');
    expect(logger.at('warn', 'decryption failed')).toHaveLength(1);
    await e2ee.close();
  });

  it('sends encrypted content as m.room.encrypted under our transaction id', async () => {
    server.on('PUT', /\/send\//, { body: { event_id: '$e' } });
    const calls: string[] = [];
    const e2ee = encryptedClient(fakeCrypto(calls));
    await e2ee.sendText(room, { body: 'x', format: 'plain' }, { txnId: 'tx' });
    expect(calls).toContain('encrypt m.room.message');
    expect(server.received('PUT', /\/send\//)[0]?.path).toMatch(/\/send\/m\.room\.encrypted\/tx$/);
    await e2ee.close();
  });
});
