import { describe, expect, it } from 'vitest';
import { clearEventOf } from './olm-conversions.js';
import type { RawEvent } from './types.js';

const encrypted: RawEvent = {
  event_id: '$real',
  room_id: '!room:hs',
  sender: '@alice:hs',
  type: 'm.room.encrypted',
  origin_server_ts: 1234,
  content: {
    algorithm: 'm.megolm.v1.aes-sha2',
    ciphertext: 'x',
    'm.relates_to': { rel_type: 'm.thread', event_id: '$root' },
  },
};

describe('clearEventOf', () => {
  it('takes only type and content from the ciphertext: who sent it and where stay the server’s', () => {
    const hostile = JSON.stringify({
      type: 'm.room.message',
      event_id: '$forged',
      sender: '@admin:hs',
      room_id: '!other:hs',
      origin_server_ts: 1,
      content: { msgtype: 'm.text', body: 'trust me' },
    });
    expect(clearEventOf(encrypted, hostile)).toEqual({
      ...encrypted,
      type: 'm.room.message',
      content: {
        msgtype: 'm.text',
        body: 'trust me',
        'm.relates_to': { rel_type: 'm.thread', event_id: '$root' },
      },
    });
  });

  it('keeps a relation inside the ciphertext over the clear one, and survives junk', () => {
    const inner = { rel_type: 'm.replace', event_id: '$edited' };
    const clear = clearEventOf(
      encrypted,
      JSON.stringify({ type: 'm.room.message', content: { body: 'x', 'm.relates_to': inner } }),
    );
    expect(clear.content['m.relates_to']).toEqual(inner);
    const junk = clearEventOf(encrypted, JSON.stringify({ type: 42, content: 'nope' }));
    expect(junk.type).toBe('m.room.message');
    expect(junk.content).toEqual({ 'm.relates_to': { rel_type: 'm.thread', event_id: '$root' } });
  });
});
