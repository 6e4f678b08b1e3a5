import * as wasm from '@matrix-org/matrix-sdk-crypto-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { asRoomId, asUserId, silentLogger } from '../shared/index.js';
import { installIndexedDb } from './indexeddb-runtime.js';
import { OlmCryptoEngine, type CryptoHttp } from './olm-crypto-engine.js';
import type { RoomEncryption } from './room-encryption-directory.js';
import type { RawEvent } from './types.js';

const ME = asUserId('@bot:hs');
const ROOM = asRoomId('!room:hs');
const MEGOLM: RoomEncryption = {
  algorithm: 'm.megolm.v1.aes-sha2',
  rotationPeriodMs: undefined,
  rotationPeriodMessages: undefined,
  historyVisibility: 'shared',
};
let counter = 0;

beforeAll(async () => {
  await wasm.initAsync();
  await installIndexedDb();
});

/** A homeserver that knows only this device: it stores what is uploaded and answers queries. */
function fakeKeyServer() {
  const calls: string[] = [];
  let deviceKeys: Record<string, unknown> | undefined;
  const http: CryptoHttp = (method, path, body) => {
    calls.push(`${method} ${path}`);
    if (path.endsWith('/keys/upload')) {
      const keys = body['device_keys'] as Record<string, unknown> | undefined;
      if (keys !== undefined) deviceKeys = keys;
      return Promise.resolve({ one_time_key_counts: { signed_curve25519: 50 } });
    }
    if (path.endsWith('/keys/query')) {
      const id = deviceKeys?.['device_id'];
      return Promise.resolve({
        device_keys: { [ME]: typeof id === 'string' ? { [id]: deviceKeys } : {} },
        failures: {},
      });
    }
    if (path.endsWith('/keys/claim')) return Promise.resolve({ one_time_keys: {}, failures: {} });
    return Promise.resolve({});
  };
  return { http, calls };
}

async function openEngine(http: CryptoHttp): Promise<OlmCryptoEngine> {
  const deviceId = `ENGINE${++counter}`;
  return OlmCryptoEngine.open({
    wasm,
    userId: ME,
    deviceId,
    storeName: `engine-test|${deviceId}`,
    http,
    log: silentLogger,
  });
}

describe('OlmCryptoEngine', () => {
  it('uploads its device keys, then encrypts and decrypts its own room messages', async () => {
    const server = fakeKeyServer();
    const engine = await openEngine(server.http);
    await engine.sendOutgoingRequests();
    expect(server.calls).toContain('POST /_matrix/client/v3/keys/upload');
    expect(engine.ed25519Key).toMatch(/^[A-Za-z0-9+/]{43}$/);

    const thread = { rel_type: 'm.thread', event_id: '$root' };
    const content = await engine.encrypt(
      ROOM,
      'm.room.message',
      { msgtype: 'm.text', body: 'secret answer', 'm.relates_to': thread },
      { encryption: MEGOLM, members: [ME] },
    );
    expect(content['algorithm']).toBe('m.megolm.v1.aes-sha2');
    expect(JSON.stringify(content)).not.toContain('secret answer');
    // Relations stay in the clear, so servers can aggregate threads.
    expect(content['m.relates_to']).toEqual(thread);

    const event: RawEvent = {
      event_id: '$e',
      room_id: ROOM,
      sender: ME,
      type: 'm.room.encrypted',
      origin_server_ts: Date.now(),
      content,
    };
    const outcome = await engine.decrypt(ROOM, event);
    expect(outcome.kind).toBe('decrypted');
    if (outcome.kind !== 'decrypted') return;
    expect(outcome.event).toMatchObject({
      event_id: '$e',
      sender: ME,
      type: 'm.room.message',
      content: { body: 'secret answer', 'm.relates_to': thread },
    });
    await engine.close();
  });

  it('tells a missing room key (worth a retry) from a malformed event (not)', async () => {
    const sender = await openEngine(fakeKeyServer().http);
    const receiver = await openEngine(fakeKeyServer().http);
    const content = await sender.encrypt(
      ROOM,
      'm.room.message',
      { body: 'for someone else' },
      { encryption: MEGOLM, members: [ME] },
    );
    const event: RawEvent = {
      event_id: '$x',
      room_id: ROOM,
      sender: ME,
      type: 'm.room.encrypted',
      origin_server_ts: Date.now(),
      content,
    };
    expect((await receiver.decrypt(ROOM, event)).kind).toBe('missing_key');
    const garbled = { ...event, content: { ...content, ciphertext: 'not base64 ciphertext' } };
    expect((await receiver.decrypt(ROOM, garbled)).kind).toBe('failed');
    await sender.close();
    await receiver.close();
  });

  it('refuses rooms with an algorithm it cannot encrypt with, and every call once closed', async () => {
    const engine = await openEngine(fakeKeyServer().http);
    await expect(
      engine.encrypt(
        ROOM,
        'm.room.message',
        { body: 'x' },
        {
          encryption: { ...MEGOLM, algorithm: 'm.olm.v1.curve25519-aes-sha2' },
          members: [ME],
        },
      ),
    ).rejects.toMatchObject({ code: 'encryption_unavailable' });
    await engine.close();
    await expect(engine.sendOutgoingRequests()).rejects.toMatchObject({ kind: 'shutdown' });
  });
});
