import { describe, expect, it } from 'vitest';
import { asRoomId } from '../shared/index.js';
import { MatrixRequestError } from './errors.js';
import { createRoomStateReader } from './room-state-reader.js';

const ROOM = asRoomId('!r:hs');

describe('createRoomStateReader', () => {
  it('shares keys with joined and invited members only, skipping junk', async () => {
    const asked: unknown[] = [];
    const reader = createRoomStateReader((_what, path, query) => {
      asked.push({ path, query });
      return Promise.resolve({
        chunk: [
          { state_key: '@joined:hs', content: { membership: 'join' } },
          { state_key: '@invited:hs', content: { membership: 'invite' } },
          { state_key: '@banned:hs', content: { membership: 'ban' } },
          { state_key: 'not-a-user', content: { membership: 'join' } },
          'junk',
          { content: { membership: 'join' } },
        ],
      });
    });
    expect(await reader.readMembers(ROOM)).toEqual(['@joined:hs', '@invited:hs']);
    expect(asked).toEqual([
      {
        path: `/_matrix/client/v3/rooms/${encodeURIComponent(ROOM)}/members`,
        query: { not_membership: 'leave' },
      },
    ]);
  });

  it('reads a missing encryption event as unencrypted, and passes other failures on', async () => {
    const missing = createRoomStateReader(() =>
      Promise.reject(new MatrixRequestError('not_found', 'no state', { httpStatus: 404 })),
    );
    expect(await missing.readEncryption(ROOM)).toBeUndefined();
    expect(await missing.readHistoryVisibility(ROOM)).toBeUndefined();
    const down = createRoomStateReader(() =>
      Promise.reject(new MatrixRequestError('server_error', 'down', { httpStatus: 502 })),
    );
    await expect(down.readEncryption(ROOM)).rejects.toMatchObject({ code: 'server_error' });
  });
});
