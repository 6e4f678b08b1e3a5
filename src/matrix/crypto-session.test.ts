import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.js';
import { RecordingLogger } from '../../test/support/recording-logger.js';
import { asRoomId, asUserId, type RoomId } from '../shared/index.js';
import type { CryptoContext } from './crypto-context.js';
import { disabledCryptoContext } from './crypto-context.js';
import { CryptoSession } from './crypto-session.js';
import { CryptoStoreFile } from './crypto-store-file.js';
import { DeviceCrypto } from './device-crypto.js';
import { MatrixRequestError } from './errors.js';
import { installIndexedDb } from './indexeddb-runtime.js';
import type { CryptoEngine, DecryptOutcome } from './olm-crypto-engine.js';
import type { RoomEncryption, RoomStateReader } from './room-encryption-directory.js';
import type { ParsedSync, SyncCryptoData } from './sync-response.js';
import type { RawEvent } from './types.js';

const ME = asUserId('@bot:hs');
const ROOM = asRoomId('!secret:hs');
const PLAIN = asRoomId('!plain:hs');

/** An engine whose keys arrive when the test says so. */
class FakeEngine implements CryptoEngine {
  readonly deviceId = 'DEV';
  readonly ed25519Key = 'ED25519KEY';
  readonly calls: string[] = [];
  readonly knownSessions = new Set<string>();
  failEncrypt: Error | undefined;

  receiveSyncData(data: SyncCryptoData): Promise<void> {
    this.calls.push(`sync:${data.toDeviceEvents.length}`);
    return Promise.resolve();
  }
  sendOutgoingRequests(): Promise<void> {
    this.calls.push('requests');
    return Promise.resolve();
  }
  decrypt(_roomId: RoomId, event: RawEvent): Promise<DecryptOutcome> {
    this.calls.push(`decrypt:${event.event_id}`);
    const session = String(event.content['session_id']);
    if (!this.knownSessions.has(session)) {
      return Promise.resolve({ kind: 'missing_key', reason: 'no session' });
    }
    return Promise.resolve({
      kind: 'decrypted',
      event: { ...event, type: 'm.room.message', content: { msgtype: 'm.text', body: 'clear' } },
    });
  }
  encrypt(
    roomId: RoomId,
    type: string,
    content: Readonly<Record<string, unknown>>,
    room: { readonly encryption: RoomEncryption; readonly members: readonly string[] },
  ): Promise<Record<string, unknown>> {
    this.calls.push(`encrypt:${roomId}:${type}:${room.members.join(',')}`);
    if (this.failEncrypt !== undefined) return Promise.reject(this.failEncrypt);
    return Promise.resolve({
      algorithm: 'm.megolm.v1.aes-sha2',
      ciphertext: JSON.stringify(content),
    });
  }
  bootstrapCrossSigning(): Promise<boolean> {
    return Promise.resolve(false);
  }
  close(): Promise<void> {
    this.calls.push('close');
    return Promise.resolve();
  }
}

const rooms: RoomStateReader = {
  readEncryption: (roomId) =>
    Promise.resolve(roomId === ROOM ? { algorithm: 'm.megolm.v1.aes-sha2' } : undefined),
  readHistoryVisibility: () => Promise.resolve('shared'),
  readMembers: () => Promise.resolve([ME, asUserId('@alice:hs')]),
};

async function setup(options: { backend?: boolean } = {}) {
  const clock = new FakeClock(1_000_000);
  const log = new RecordingLogger();
  const engine = new FakeEngine();
  const storeDir = mkdtempSync(join(tmpdir(), 'quorum-session-'));
  const runtime = await installIndexedDb();
  const base = disabledCryptoContext('no backend in this test');
  const context: CryptoContext =
    options.backend === false
      ? base
      : {
          ...base,
          backend: { name: 'rust-wasm', wasm: undefined as never, runtime },
          unavailableReason: undefined,
          storeDir,
        };
  const closing = new AbortController();
  const session = new CryptoSession({
    context,
    userId: ME,
    deviceId: 'DEV',
    password: '',
    http: () => Promise.reject(new Error('unused')),
    rooms,
    log,
    closed: closing.signal,
    now: () => clock.now(),
    openDevice: () =>
      DeviceCrypto.open({
        backend: context.backend ?? fail(),
        storeDir,
        userId: ME,
        deviceId: 'DEV',
        http: () => Promise.reject(new Error('unused')),
        log,
        now: () => clock.now(),
        noteAfterMs: 30_000,
        openEngine: () => Promise.resolve(engine),
      }),
  });
  return { clock, log, engine, session, context, storeDir };
}

function held(id: string, session = 'S1'): RawEvent {
  return {
    event_id: id,
    room_id: ROOM,
    sender: '@alice:hs',
    type: 'm.room.encrypted',
    origin_server_ts: 1,
    content: { algorithm: 'm.megolm.v1.aes-sha2', ciphertext: 'x', session_id: session },
  };
}

function parsed(timeline: RawEvent[], toDevice = 0): ParsedSync {
  return {
    batch: {
      nextBatch: 'n',
      joined: [{ roomId: ROOM, timeline, limited: false, prevBatch: undefined, state: [] }],
      invited: [],
      left: [],
    },
    crypto: {
      toDeviceEvents: Array.from({ length: toDevice }, () => ({ type: 'm.room.encrypted' })),
      oneTimeKeyCounts: {},
      unusedFallbackKeyTypes: [],
      changedDeviceUsers: [],
      leftDeviceUsers: [],
    },
    droppedEvents: 0,
  };
}

describe('CryptoSession', () => {
  it('feeds to-device data before decrypting, and saves the store before handing the batch on', async () => {
    const { session, engine, storeDir } = await setup();
    engine.knownSessions.add('S1');
    await session.ensureReady(undefined);
    const batch = await session.processSync(parsed([held('$a')], 1));
    expect(batch.joined[0]?.timeline[0]).toMatchObject({ event_id: '$a', type: 'm.room.message' });
    expect(engine.calls.slice(0, 3)).toEqual(['requests', 'sync:1', 'decrypt:$a']);
    expect(CryptoStoreFile.exists(storeDir, ME, 'DEV')).toBe(true);
  });

  it('takes in to-device keys from a sync without rooms (a bot in standby behind the router)', async () => {
    const { session, engine } = await setup();
    const standby = parsed([], 2);
    const batch = await session.processSync({
      ...standby,
      batch: { ...standby.batch, joined: [] },
    });
    expect(batch.joined).toEqual([]);
    expect(engine.calls).toContain('sync:2');
  });

  it('holds an event whose key is missing, yields it decrypted when keys come, reports it if they never do', async () => {
    const { session, engine, clock } = await setup();
    await session.ensureReady(undefined);
    const first = await session.processSync(parsed([held('$late'), held('$never', 'S2')]));
    expect(first.joined[0]?.timeline.map((e) => e.type)).toEqual([
      'm.room.encrypted',
      'm.room.encrypted',
    ]);
    engine.knownSessions.add('S1');
    const second = await session.processSync(parsed([], 1));
    expect(second.decryptedLate?.map((e) => [e.event_id, e.type, e.room_id])).toEqual([
      ['$late', 'm.room.message', ROOM],
    ]);
    await clock.advance(30_000);
    const third = await session.processSync(parsed([], 0));
    expect(third.undecryptable?.map((e) => e.event_id)).toEqual(['$never']);
    const fourth = await session.processSync(parsed([], 0));
    expect(fourth.undecryptable).toEqual([]);
  });

  it('encrypts sends into an encrypted room for its members, and leaves other rooms alone', async () => {
    const { session, engine } = await setup();
    const plain = await session.prepareOutgoing(PLAIN, 'm.room.message', { body: 'hi' });
    expect(plain).toEqual({ type: 'm.room.message', content: { body: 'hi' } });
    const secret = await session.prepareOutgoing(ROOM, 'm.reaction', { key: '👍' });
    expect(secret.type).toBe('m.room.encrypted');
    expect(JSON.stringify(secret.content)).not.toContain('"key":"👍"');
    expect(engine.calls).toContain(`encrypt:${ROOM}:m.reaction:@bot:hs,@alice:hs`);
  });

  it('refuses to send when encrypting fails: one error line, a refusal in the health board', async () => {
    const { session, engine, log, context } = await setup();
    engine.failEncrypt = new Error('wasm exploded');
    for (let i = 0; i < 2; i++) {
      await expect(
        session.prepareOutgoing(ROOM, 'm.room.message', { body: 'secret' }),
      ).rejects.toMatchObject({ code: 'encryption_failed' });
    }
    expect(log.at('error', 'not sending into an encrypted room')).toHaveLength(1);
    expect(context.health.statusOf(ME)?.refused_rooms.map((r) => r.room_id)).toEqual([ROOM]);
    engine.failEncrypt = undefined;
    await session.prepareOutgoing(ROOM, 'm.room.message', { body: 'ok now' });
    expect(context.health.statusOf(ME)?.refused_rooms).toEqual([]);
  });

  it('without a crypto backend, never sends plaintext into an encrypted room', async () => {
    const { session, context } = await setup({ backend: false });
    await expect(
      session.prepareOutgoing(ROOM, 'm.room.message', { body: 'secret' }),
    ).rejects.toBeInstanceOf(MatrixRequestError);
    expect(context.health.statusOf(ME)?.state).toBe('disabled');
    expect(await session.prepareOutgoing(PLAIN, 'm.room.message', { body: 'ok' })).toMatchObject({
      type: 'm.room.message',
    });
  });

  it('reports ready with its device key, and saves durably on close', async () => {
    const { session, engine, context, storeDir } = await setup();
    await session.ensureReady(undefined);
    expect(context.health.statusOf(ME)).toMatchObject({ state: 'ready', device_key: 'ED25519KEY' });
    await session.close();
    expect(engine.calls.at(-1)).toBe('close');
    expect(existsSync(CryptoStoreFile.pathFor(storeDir, ME, 'DEV'))).toBe(true);
  });
});

function fail(): never {
  throw new Error('no backend');
}
