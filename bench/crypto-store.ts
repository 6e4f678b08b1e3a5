/**
 * Issue 16: what persisting a bot's crypto store costs. The Rust crypto (wasm) keeps its
 * state in an in-process IndexedDB, which Quorum saves as one snapshot file
 * (src/matrix/crypto-store-file.ts) after every sync that changed it and after every
 * encrypted send. This measures, for a store holding `rooms` outbound and inbound Megolm
 * sessions (a busy bot), the snapshot size and the time of a save: non-durable (after a
 * send) and durable (fsync, after a sync with to-device events), plus the restore at start.
 * No homeserver: the machine runs alone.
 *
 *   npx tsx bench/crypto-store.ts [rooms=200] [saves=50]
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as wasm from '@matrix-org/matrix-sdk-crypto-wasm';
import { CryptoStoreFile } from '../src/matrix/crypto-store-file.js';
import { deleteDatabases } from '../src/matrix/idb-snapshot.js';
import { installIndexedDb } from '../src/matrix/indexeddb-runtime.js';
import { machineContext } from './support/machine.js';
import { round, summarize } from './support/stats.js';

const ROOMS = Number(process.argv[2] ?? 200);
const SAVES = Number(process.argv[3] ?? 50);
const started = performance.now();

await wasm.initAsync();
const runtime = await installIndexedDb();
const dir = mkdtempSync(join(tmpdir(), 'quorum-bench-crypto-'));
const userId = '@bench:localhost';
const deviceId = 'BENCHDEV';
const file = new CryptoStoreFile({ dir, userId, deviceId, runtime });
const machine = await wasm.OlmMachine.initialize(
  new wasm.UserId(userId),
  new wasm.DeviceId(deviceId),
  file.storeName,
);

// A busy bot: one outbound session per room, with its own inbound copy.
const settings = new wasm.EncryptionSettings();
for (let i = 0; i < ROOMS; i++) {
  const room = new wasm.RoomId(`!room${i}:localhost`);
  await machine.shareRoomKey(room, [], settings);
  await machine.encryptRoomEvent(room, 'm.room.message', JSON.stringify({ body: `hello ${i}` }));
}
await file.save({ pending: [] }, { durable: true });

const plain: number[] = [];
const durable: number[] = [];
const encrypt: number[] = [];
for (let i = 0; i < SAVES; i++) {
  const room = new wasm.RoomId(`!room${i % ROOMS}:localhost`);
  let t = performance.now();
  await machine.encryptRoomEvent(room, 'm.room.message', JSON.stringify({ body: `again ${i}` }));
  encrypt.push(performance.now() - t);
  t = performance.now();
  await file.save({ pending: [] }, { durable: false });
  plain.push(performance.now() - t);
  await machine.encryptRoomEvent(room, 'm.room.message', JSON.stringify({ body: `more ${i}` }));
  t = performance.now();
  await file.save({ pending: [] }, { durable: true });
  durable.push(performance.now() - t);
}
const bytes = statSync(file.path).size;
machine.close();

// Restore as a restart does: the in-memory store is gone, the file is read back.
await deleteDatabases(runtime.factory, file.storeName);
let t = performance.now();
await new CryptoStoreFile({ dir, userId, deviceId, runtime }).restore();
const restoreMs = performance.now() - t;
t = performance.now();
const reopened = await wasm.OlmMachine.initialize(
  new wasm.UserId(userId),
  new wasm.DeviceId(deviceId),
  file.storeName,
);
const openMs = performance.now() - t;
reopened.close();
rmSync(dir, { recursive: true, force: true });

process.stdout.write(
  `${JSON.stringify({
    benchmark: 'crypto-store',
    rooms: ROOMS,
    saves: SAVES,
    snapshot_bytes: bytes,
    encrypt_ms: summarize(encrypt),
    save_after_send_ms: summarize(plain),
    save_durable_ms: summarize(durable),
    restore_ms: round(restoreMs),
    machine_open_after_restore_ms: round(openMs),
    machine: machineContext(),
    duration_s: round((performance.now() - started) / 1000, 1),
  })}\n`,
);
