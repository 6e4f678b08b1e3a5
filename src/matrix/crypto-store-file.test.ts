import {
  mkdtempSync,
  readFileSync,
  statSync,
  writeFileSync,
  existsSync,
  readdirSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as wasm from '@matrix-org/matrix-sdk-crypto-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { CryptoStoreFile } from './crypto-store-file.js';
import { deleteDatabases } from './idb-snapshot.js';
import { installIndexedDb, type IndexedDbRuntime } from './indexeddb-runtime.js';

let runtime: IndexedDbRuntime;
let counter = 0;

beforeAll(async () => {
  await wasm.initAsync();
  runtime = await installIndexedDb();
});

function storeFor(dir: string, deviceId = `DEV${++counter}`): CryptoStoreFile {
  return new CryptoStoreFile({ dir, userId: '@bot:hs', deviceId, runtime });
}

async function openMachine(file: CryptoStoreFile, deviceId: string): Promise<wasm.OlmMachine> {
  return wasm.OlmMachine.initialize(
    new wasm.UserId('@bot:hs'),
    new wasm.DeviceId(deviceId),
    file.storeName,
  );
}

/** What a process restart does to the in-memory IndexedDB: it is gone. */
async function forgetMemory(file: CryptoStoreFile): Promise<void> {
  await deleteDatabases(runtime.factory, file.storeName);
}

describe('CryptoStoreFile', () => {
  it('keeps the device identity across a restart (same Ed25519 and Curve25519 keys)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quorum-crypto-'));
    const file = storeFor(dir, 'DEVKEEP');
    expect(await file.restore()).toEqual({ kind: 'missing' });
    const machine = await openMachine(file, 'DEVKEEP');
    const keys = [
      machine.identityKeys.ed25519.toBase64(),
      machine.identityKeys.curve25519.toBase64(),
    ];
    machine.close();
    expect(await file.save({ pending: ['x'] }, { durable: true })).toBe(true);
    expect(statSync(file.path).mode & 0o777).toBe(0o600);

    await forgetMemory(file);
    const again = storeFor(dir, 'DEVKEEP');
    const restored = await again.restore();
    expect(restored).toMatchObject({ kind: 'restored', extra: { pending: ['x'] } });
    const reopened = await openMachine(again, 'DEVKEEP');
    expect([
      reopened.identityKeys.ed25519.toBase64(),
      reopened.identityKeys.curve25519.toBase64(),
    ]).toEqual(keys);
    reopened.close();
  });

  it('writes only when the store or the extra state changed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quorum-crypto-'));
    const file = storeFor(dir);
    const machine = await openMachine(file, `DEV${counter}`);
    expect(await file.save({}, { durable: false })).toBe(true);
    expect(await file.save({}, { durable: false })).toBe(false);
    expect(await file.save({ pending: [1] }, { durable: false })).toBe(true);
    machine.close();
    expect(readdirSync(dir).filter((name) => name.includes('.tmp-'))).toEqual([]);
  });

  it('refuses a damaged, truncated or foreign file, and moves it aside', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quorum-crypto-'));
    const file = storeFor(dir, 'DEVBAD');
    const machine = await openMachine(file, 'DEVBAD');
    await file.save({}, { durable: false });
    machine.close();
    const good = readFileSync(file.path);
    await forgetMemory(file);

    writeFileSync(file.path, good.subarray(0, good.length - 10));
    await expect(storeFor(dir, 'DEVBAD').restore()).rejects.toMatchObject({
      code: 'crypto_store_corrupt',
    });
    writeFileSync(file.path, 'garbage');
    await expect(storeFor(dir, 'DEVBAD').restore()).rejects.toMatchObject({
      code: 'crypto_store_corrupt',
    });
    // Another device's snapshot under this device's name is not used either.
    writeFileSync(file.path, good);
    const foreign = new CryptoStoreFile({ dir, userId: '@bot:hs', deviceId: 'OTHER', runtime });
    writeFileSync(foreign.path, good);
    await expect(foreign.restore()).rejects.toMatchObject({ code: 'crypto_store_corrupt' });
    const movedTo = foreign.quarantine();
    expect(movedTo).toMatch(/\.corrupt-/);
    expect(existsSync(foreign.path)).toBe(false);
    expect(CryptoStoreFile.exists(dir, '@bot:hs', 'OTHER')).toBe(false);
  });

  it('writes nothing for a quiet sync, in which the machine re-saves unchanged state', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quorum-crypto-'));
    const deviceId = `DEV${++counter}`;
    const file = storeFor(dir, deviceId);
    const machine = await openMachine(file, deviceId);
    for (const request of await machine.outgoingRequests()) {
      const response =
        request.type === wasm.RequestType.KeysUpload
          ? { one_time_key_counts: { signed_curve25519: 50 } }
          : { device_keys: {}, failures: {} };
      await machine.markRequestAsSent(request.id ?? '', request.type, JSON.stringify(response));
    }
    const quietSync = () =>
      machine.receiveSyncChanges(
        '[]',
        new wasm.DeviceLists([], []),
        new Map([['signed_curve25519', 50]]),
        new Set(['signed_curve25519']),
        new wasm.DecryptionSettings(wasm.TrustRequirement.Untrusted),
      );
    await quietSync();
    await file.save({}, { durable: false });
    await quietSync();
    expect(await file.save({}, { durable: false })).toBe(false);
    // A real change (one-time keys used up) is written.
    await machine.receiveSyncChanges(
      '[]',
      new wasm.DeviceLists([], []),
      new Map([['signed_curve25519', 3]]),
      new Set(['signed_curve25519']),
      new wasm.DecryptionSettings(wasm.TrustRequirement.Untrusted),
    );
    expect(await file.save({}, { durable: false })).toBe(true);
    machine.close();
  });
});
