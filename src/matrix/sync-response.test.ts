import { describe, expect, it } from 'vitest';
import { asUserId, hasErrorCode } from '../shared/index.js';
import { buildSyncFilter, parseSyncResponse } from './sync-response.js';

const me = asUserId('@coder:example.org');

/** Shaped after a Synapse 1.x incremental sync with the Quorum filter. */
const synapseSync = {
  next_batch: 's72595_4483_1934',
  device_one_time_keys_count: { signed_curve25519: 50 },
  'org.matrix.msc2732.device_unused_fallback_key_types': ['signed_curve25519'],
  device_lists: { changed: ['@human:example.org'], left: ['@gone:example.org'] },
  to_device: { events: [{ type: 'm.room.encrypted', sender: '@human:example.org', content: {} }] },
  rooms: {
    join: {
      '!lobby:example.org': {
        timeline: {
          events: [
            {
              event_id: '$m1',
              sender: '@human:example.org',
              type: 'm.room.message',
              origin_server_ts: 1000,
              content: { msgtype: 'm.text', body: 'hi' },
              unsigned: { age: 5 },
            },
            { sender: '@human:example.org', type: 'm.room.message', content: {} },
          ],
          limited: true,
          prev_batch: 't34-23535_0_0',
        },
        state: {
          events: [
            {
              event_id: '$name',
              sender: '@human:example.org',
              type: 'm.room.name',
              state_key: '',
              origin_server_ts: 900,
              content: { name: 'Lobby' },
            },
          ],
        },
        ephemeral: { events: [] },
      },
      'not-a-room': { timeline: { events: [] } },
    },
    invite: {
      '!dm:example.org': {
        invite_state: {
          events: [
            { type: 'm.room.name', state_key: '', sender: '@human:example.org', content: {} },
            {
              type: 'm.room.member',
              state_key: '@coder:example.org',
              sender: '@human:example.org',
              content: { membership: 'invite', is_direct: true },
            },
          ],
        },
      },
      '!group:example.org': { invite_state: { events: [] } },
    },
    leave: { '!old:example.org': { timeline: { events: [] } } },
  },
};

describe('parseSyncResponse', () => {
  it('reduces a Synapse sync to joined rooms, invites and left rooms', () => {
    const { batch, droppedEvents } = parseSyncResponse(synapseSync, me);
    expect(batch.nextBatch).toBe('s72595_4483_1934');
    expect(batch.joined).toEqual([
      {
        roomId: '!lobby:example.org',
        timeline: [
          {
            event_id: '$m1',
            room_id: '!lobby:example.org',
            sender: '@human:example.org',
            type: 'm.room.message',
            origin_server_ts: 1000,
            content: { msgtype: 'm.text', body: 'hi' },
            unsigned: { age: 5 },
          },
        ],
        limited: true,
        prevBatch: 't34-23535_0_0',
        state: [expect.objectContaining({ event_id: '$name', room_id: '!lobby:example.org' })],
      },
    ]);
    expect(droppedEvents).toBe(1);
    expect(batch.invited).toEqual([
      { roomId: '!dm:example.org', inviter: '@human:example.org', isDirect: true },
      { roomId: '!group:example.org', inviter: undefined, isDirect: false },
    ]);
    expect(batch.left).toEqual(['!old:example.org']);
  });

  it('extracts what the crypto machine needs', () => {
    expect(parseSyncResponse(synapseSync, me).crypto).toEqual({
      toDeviceEvents: [{ type: 'm.room.encrypted', sender: '@human:example.org', content: {} }],
      oneTimeKeyCounts: { signed_curve25519: 50 },
      unusedFallbackKeyTypes: ['signed_curve25519'],
      changedDeviceUsers: ['@human:example.org'],
      leftDeviceUsers: ['@gone:example.org'],
    });
  });

  it('parses an empty sync', () => {
    expect(parseSyncResponse({ next_batch: 's1' }, me).batch).toEqual({
      nextBatch: 's1',
      joined: [],
      invited: [],
      left: [],
    });
  });

  it('rejects a body without next_batch as invalid_response', () => {
    let thrown: unknown;
    try {
      parseSyncResponse({ rooms: {} }, me);
    } catch (error) {
      thrown = error;
    }
    expect(hasErrorCode(thrown, 'invalid_response')).toBe(true);
  });
});

describe('buildSyncFilter', () => {
  it('drops presence, account data and ephemeral events and lazy-loads members', () => {
    const filter = buildSyncFilter(20);
    expect(filter).toMatchObject({
      presence: { not_types: ['*'] },
      account_data: { not_types: ['*'] },
      room: {
        ephemeral: { not_types: ['*'] },
        state: { lazy_load_members: true },
        timeline: { limit: 20, lazy_load_members: true },
      },
    });
    expect((filter['room'] as { timeline: { types: string[] } }).timeline.types).toEqual(
      expect.arrayContaining([
        'm.room.message',
        'm.reaction',
        'm.room.redaction',
        'm.room.encrypted',
      ]),
    );
  });

  it('leaves rooms out of a filter but never to-device messages or key counts', () => {
    const filter = buildSyncFilter(50, ['!covered:hs']);
    expect(filter).not.toHaveProperty('to_device');
    expect((filter['room'] as Record<string, unknown>)['not_rooms']).toEqual(['!covered:hs']);
  });
});
