import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.js';
import { asRoomId, asUserId, type RoomId, type UserId } from '../shared/index.js';
import { RoomEncryptionDirectory, type RoomStateReader } from './room-encryption-directory.js';
import type { RawEvent } from './types.js';

const ROOM = asRoomId('!r:hs');

function reader(state: { encryption?: Record<string, unknown>; members?: string[] }) {
  const calls: string[] = [];
  const value: RoomStateReader = {
    readEncryption: (roomId: RoomId) => {
      calls.push(`encryption ${roomId}`);
      return Promise.resolve(state.encryption);
    },
    readHistoryVisibility: () => Promise.resolve('joined'),
    readMembers: (roomId: RoomId) => {
      calls.push(`members ${roomId}`);
      return Promise.resolve<readonly UserId[]>((state.members ?? []).map((m) => asUserId(m)));
    },
  };
  return { calls, value };
}

function stateEvent(type: string, content: Record<string, unknown>, stateKey = ''): RawEvent {
  return {
    event_id: '$s',
    sender: '@a:hs',
    type,
    origin_server_ts: 1,
    content,
    state_key: stateKey,
  };
}

describe('RoomEncryptionDirectory', () => {
  it('reads a room once, shares the answer and the request in flight', async () => {
    const directory = new RoomEncryptionDirectory();
    const { calls, value } = reader({ encryption: { algorithm: 'm.megolm.v1.aes-sha2' } });
    const [a, b] = await Promise.all([
      directory.encryptionOf(ROOM, value),
      directory.encryptionOf(ROOM, value),
    ]);
    expect(a).toEqual(b);
    expect(a).toMatchObject({ algorithm: 'm.megolm.v1.aes-sha2', historyVisibility: 'joined' });
    await directory.encryptionOf(ROOM, value);
    expect(calls).toEqual([`encryption ${ROOM}`]);
  });

  it('learns encryption from any sync at once, and never forgets it', async () => {
    const clock = new FakeClock(0);
    const directory = new RoomEncryptionDirectory({
      now: () => clock.now(),
      recheckUnencryptedMs: 60_000,
    });
    const plain = reader({});
    expect(await directory.encryptionOf(ROOM, plain.value)).toBeNull();
    directory.observe(
      ROOM,
      stateEvent('m.room.encryption', {
        algorithm: 'm.megolm.v1.aes-sha2',
        rotation_period_msgs: 10,
      }),
    );
    expect(await directory.encryptionOf(ROOM, plain.value)).toMatchObject({
      rotationPeriodMessages: 10,
    });
    await clock.advance(10 * 60_000);
    expect(await directory.encryptionOf(ROOM, plain.value)).not.toBeNull();
    expect(plain.calls).toEqual([`encryption ${ROOM}`]);
  });

  it('re-checks an unencrypted room after a while (a missed event must not mean plaintext)', async () => {
    const clock = new FakeClock(0);
    const directory = new RoomEncryptionDirectory({
      now: () => clock.now(),
      recheckUnencryptedMs: 60_000,
    });
    const state: { encryption?: Record<string, unknown> } = {};
    const { value } = reader(state);
    expect(await directory.encryptionOf(ROOM, value)).toBeNull();
    state.encryption = { algorithm: 'm.megolm.v1.aes-sha2' };
    await clock.advance(59_000);
    expect(await directory.encryptionOf(ROOM, value)).toBeNull();
    await clock.advance(2_000);
    expect(await directory.encryptionOf(ROOM, value)).not.toBeNull();
  });

  it('re-reads members after any membership change any bot saw', async () => {
    const directory = new RoomEncryptionDirectory();
    const state = { members: ['@a:hs'] };
    const { calls, value } = reader(state);
    expect(await directory.membersOf(ROOM, value)).toEqual(['@a:hs']);
    expect(await directory.membersOf(ROOM, value)).toEqual(['@a:hs']);
    state.members = ['@a:hs', '@b:hs'];
    directory.observe(ROOM, stateEvent('m.room.member', { membership: 'join' }, '@b:hs'));
    expect(await directory.membersOf(ROOM, value)).toEqual(['@a:hs', '@b:hs']);
    expect(calls.filter((c) => c.startsWith('members'))).toHaveLength(2);
  });

  it('ignores a redacted encryption event and timeline messages', async () => {
    const directory = new RoomEncryptionDirectory();
    directory.observe(ROOM, stateEvent('m.room.encryption', {}));
    directory.observe(ROOM, {
      event_id: '$m',
      sender: '@a:hs',
      type: 'm.room.encryption',
      origin_server_ts: 1,
      content: { algorithm: 'x' },
    });
    expect(await directory.encryptionOf(ROOM, reader({}).value)).toBeNull();
  });
});
