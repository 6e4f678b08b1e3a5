import { describe, expect, it } from 'vitest';
import type { RawEvent } from '../matrix/index.js';
import { toDispatchInput, type AdmittedEvent } from './dispatch-input.js';

const ROOM = '!r:hs';
function raw(
  id: string,
  content: Record<string, unknown>,
  type = 'm.room.message',
  sender = '@alice:hs',
): RawEvent {
  return { event_id: id, sender, type, origin_server_ts: 10, content };
}
const none = (): AdmittedEvent | undefined => undefined;

describe('toDispatchInput', () => {
  it('reads a threaded message with m.mentions and pills', () => {
    const event = raw('$m', {
      msgtype: 'm.text',
      body: 'Calc: hi',
      format: 'org.matrix.custom.html',
      formatted_body: '<a href="https://matrix.to/#/@quorum_calc:hs">Calc</a>: hi',
      'm.mentions': { user_ids: ['@quorum_scribe:hs'] },
      'm.relates_to': {
        rel_type: 'm.thread',
        event_id: '$root',
        is_falling_back: true,
        'm.in_reply_to': { event_id: '$root' },
      },
    });
    expect(toDispatchInput({ roomId: ROOM, event }, none)).toEqual({
      kind: 'message',
      eventId: '$m',
      roomId: ROOM,
      sender: '@alice:hs',
      body: 'Calc: hi',
      threadRoot: '$root',
      mentionedUserIds: ['@quorum_scribe:hs', '@quorum_calc:hs'],
      originTs: 10,
      isFinal: true,
      isNotice: false,
    });
  });

  it('reads an edit with its target’s sender and thread', () => {
    const target = raw('$m', {
      msgtype: 'm.text',
      body: 'old',
      'm.relates_to': { rel_type: 'm.thread', event_id: '$root' },
    });
    const edit = raw('$e', {
      msgtype: 'm.text',
      body: '* new',
      'm.new_content': { msgtype: 'm.text', body: 'new', 'io.quorum.stream_status': 'streaming' },
      'm.relates_to': { rel_type: 'm.replace', event_id: '$m' },
    });
    expect(
      toDispatchInput({ roomId: ROOM, event: edit }, () => ({ roomId: ROOM, event: target })),
    ).toMatchObject({
      kind: 'edit',
      targetId: '$m',
      targetSender: '@alice:hs',
      targetThreadRoot: '$root',
      newBody: 'new',
      isFinal: false,
    });
  });

  it('reads reactions and skips events without a rule', () => {
    const reaction = raw(
      '$x',
      { 'm.relates_to': { rel_type: 'm.annotation', event_id: '$r', key: '🛑' } },
      'm.reaction',
    );
    expect(toDispatchInput({ roomId: ROOM, event: reaction }, none)).toMatchObject({
      kind: 'reaction',
      targetId: '$r',
      key: '🛑',
    });
    expect(
      toDispatchInput({ roomId: ROOM, event: raw('$n', { name: 'x' }, 'm.room.name') }, none),
    ).toBeUndefined();
  });

  it('reads a redaction (the id at the top level, or in content from room v11)', () => {
    const top = { ...raw('$d', {}, 'm.room.redaction'), redacts: '$m' };
    expect(toDispatchInput({ roomId: ROOM, event: top }, none)).toEqual({
      kind: 'redaction',
      eventId: '$d',
      roomId: ROOM,
      sender: '@alice:hs',
      targetId: '$m',
      originTs: 10,
    });
    const inContent = raw('$d2', { redacts: '$m' }, 'm.room.redaction');
    expect(toDispatchInput({ roomId: ROOM, event: inContent }, none)).toMatchObject({
      kind: 'redaction',
      targetId: '$m',
    });
  });
});
