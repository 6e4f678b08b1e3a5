import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { OutgoingText, SendOptions } from '../matrix/index.js';
import { asEventId, asRoomId, SecretScrubber, type EventId, type RoomId } from '../shared/index.js';
import { withScrubbedSends } from './scrubbing-client.js';

const canary = `CANARY-${randomBytes(8).toString('hex')}`;

class RecordingClient {
  readonly sent: unknown[] = [];
  #secretField = 'private fields need their own this';
  readonly userId = '@quorum_calc:hs';

  sendText(roomId: RoomId, message: OutgoingText, options: SendOptions): Promise<EventId> {
    this.sent.push({ roomId, message, options });
    return Promise.resolve(asEventId('$sent'));
  }
  editText(
    roomId: RoomId,
    targetId: EventId,
    message: OutgoingText,
    options: SendOptions,
  ): Promise<EventId> {
    this.sent.push({ roomId, targetId, message, options });
    return Promise.resolve(asEventId('$edit'));
  }
  react(): Promise<EventId> {
    return Promise.resolve(asEventId('$react'));
  }
  redact(
    roomId: RoomId,
    eventId: EventId,
    options: SendOptions & { reason?: string },
  ): Promise<EventId> {
    this.sent.push({ roomId, eventId, options });
    return Promise.resolve(asEventId('$redact'));
  }
  privateValue(): string {
    return this.#secretField;
  }
}

describe('withScrubbedSends', () => {
  it('scrubs sends, edits and redaction reasons, and keeps the rest of the client', async () => {
    const scrubber = new SecretScrubber();
    scrubber.setSecrets('env', [canary]);
    const inner = new RecordingClient();
    const client = withScrubbedSends(inner, scrubber);
    const room = asRoomId('!r:hs');
    const message: OutgoingText = {
      body: `the key is ${canary}`,
      format: 'markdown',
      details: [{ summary: `tool ${canary}`, text: `output ${canary}` }],
      extraContent: { 'io.quorum.note': canary },
    };
    await client.sendText(room, message, { txnId: 't1' });
    await client.editText(room, asEventId('$x'), message, { txnId: 't2' });
    await client.redact(room, asEventId('$x'), { txnId: 't3', reason: `because ${canary}` });
    expect(inner.sent).toHaveLength(3);
    expect(JSON.stringify(inner.sent)).not.toContain(canary);
    expect(JSON.stringify(inner.sent)).toContain('the key is [redacted]');
    expect(client.userId).toBe('@quorum_calc:hs');
    expect(client.privateValue()).toBe('private fields need their own this');
    await expect(client.react()).resolves.toBe('$react');
  });
});
