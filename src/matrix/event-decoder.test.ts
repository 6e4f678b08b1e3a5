import { describe, expect, it } from 'vitest';
import { decodeEvent, isQuorumStreaming, pillsIn, streamStatusOf } from './event-decoder.js';
import type { RawEvent } from './types.js';

const ROOM = '!lobby:example.org';

/** A message as Element Web sends it in a thread, with a pill and intentional mentions. */
const elementThreadMessage: RawEvent = {
  event_id: '$reply1:example.org',
  room_id: ROOM,
  sender: '@human:example.org',
  type: 'm.room.message',
  origin_server_ts: 1_767_225_600_000,
  content: {
    msgtype: 'm.text',
    body: 'Coder: can you look at this?',
    format: 'org.matrix.custom.html',
    formatted_body:
      '<a href="https://matrix.to/#/%40coder%3Aexample.org">Coder</a>: can you look at this?',
    'm.mentions': { user_ids: ['@coder:example.org'] },
    'm.relates_to': {
      rel_type: 'm.thread',
      event_id: '$root:example.org',
      is_falling_back: true,
      'm.in_reply_to': { event_id: '$previous:example.org' },
    },
  },
  unsigned: { age: 120 },
};

describe('decodeEvent', () => {
  it('decodes a threaded Element message with mentions, pills and reply fallback', () => {
    expect(decodeEvent(elementThreadMessage)).toEqual({
      kind: 'message',
      eventId: '$reply1:example.org',
      roomId: ROOM,
      sender: '@human:example.org',
      originServerTs: 1_767_225_600_000,
      msgtype: 'm.text',
      body: 'Coder: can you look at this?',
      formattedBody:
        '<a href="https://matrix.to/#/%40coder%3Aexample.org">Coder</a>: can you look at this?',
      mentions: {
        userIds: ['@coder:example.org'],
        room: false,
        pills: ['@coder:example.org'],
        hasMentionsKey: true,
      },
      threadRootId: '$root:example.org',
      inReplyToId: '$previous:example.org',
      isReplyFallback: true,
      content: elementThreadMessage.content,
    });
  });

  it('decodes a real reply outside threads as not a fallback', () => {
    const decoded = decodeEvent({
      ...elementThreadMessage,
      content: {
        msgtype: 'm.text',
        body: 'yes',
        'm.relates_to': { 'm.in_reply_to': { event_id: '$asked:example.org' } },
      },
    });
    expect(decoded).toMatchObject({
      kind: 'message',
      threadRootId: undefined,
      inReplyToId: '$asked:example.org',
      isReplyFallback: false,
      mentions: { userIds: [], room: false, pills: [], hasMentionsKey: false },
    });
  });

  it('reads @room mentions and ignores invalid user ids in m.mentions', () => {
    const decoded = decodeEvent({
      ...elementThreadMessage,
      content: {
        msgtype: 'm.notice',
        body: '@room hello',
        'm.mentions': { room: true, user_ids: ['not-a-user', 42, '@ok:example.org'] },
      },
    });
    expect(decoded).toMatchObject({
      kind: 'message',
      msgtype: 'm.notice',
      mentions: { userIds: ['@ok:example.org'], room: true },
    });
  });

  it('ignores formatted_body with another format', () => {
    const decoded = decodeEvent({
      ...elementThreadMessage,
      content: { msgtype: 'm.text', body: 'x', format: 'text/markdown', formatted_body: '**x**' },
    });
    expect(decoded).toMatchObject({ kind: 'message', formattedBody: undefined });
  });

  it('decodes an edit from m.new_content, not the fallback', () => {
    const decoded = decodeEvent({
      event_id: '$edit:example.org',
      room_id: ROOM,
      sender: '@coder:example.org',
      type: 'm.room.message',
      origin_server_ts: 2,
      content: {
        msgtype: 'm.text',
        body: '* final answer',
        'm.new_content': {
          msgtype: 'm.text',
          body: 'final answer',
          'io.quorum.stream_status': 'final',
          'm.mentions': { user_ids: ['@human:example.org'] },
        },
        'm.relates_to': { rel_type: 'm.replace', event_id: '$reply:example.org' },
      },
    });
    expect(decoded).toMatchObject({
      kind: 'edit',
      targetId: '$reply:example.org',
      newContent: {
        body: 'final answer',
        mentions: { userIds: ['@human:example.org'] },
      },
      rawNewContent: { 'io.quorum.stream_status': 'final' },
    });
  });

  it('treats an edit without m.new_content as other', () => {
    const decoded = decodeEvent({
      ...elementThreadMessage,
      content: {
        body: '* x',
        'm.relates_to': { rel_type: 'm.replace', event_id: '$reply:example.org' },
      },
    });
    expect(decoded).toMatchObject({ kind: 'other', type: 'm.room.message' });
  });

  it('decodes a reaction', () => {
    const decoded = decodeEvent({
      event_id: '$react:example.org',
      sender: '@human:example.org',
      type: 'm.reaction',
      origin_server_ts: 3,
      content: {
        'm.relates_to': { rel_type: 'm.annotation', event_id: '$q:example.org', key: '👍' },
      },
    });
    expect(decoded).toEqual({
      kind: 'reaction',
      eventId: '$react:example.org',
      roomId: undefined,
      sender: '@human:example.org',
      originServerTs: 3,
      targetId: '$q:example.org',
      key: '👍',
    });
  });

  it('decodes redactions in the old (top-level) and v11 (content) shapes', () => {
    const base = { sender: '@human:example.org', type: 'm.room.redaction', origin_server_ts: 4 };
    expect(
      decodeEvent({
        ...base,
        event_id: '$r1:example.org',
        redacts: '$gone:example.org',
        content: { reason: 'oops' },
      }),
    ).toMatchObject({ kind: 'redaction', redactsId: '$gone:example.org', reason: 'oops' });
    expect(
      decodeEvent({
        ...base,
        event_id: '$r2:example.org',
        content: { redacts: '$gone2:example.org' },
      }),
    ).toMatchObject({ kind: 'redaction', redactsId: '$gone2:example.org', reason: undefined });
  });

  it('decodes a DM invite with its inviter and is_direct', () => {
    const decoded = decodeEvent({
      event_id: '$inv:example.org',
      sender: '@human:example.org',
      type: 'm.room.member',
      state_key: '@coder:example.org',
      origin_server_ts: 5,
      content: { membership: 'invite', is_direct: true, displayname: 'Coder' },
    });
    expect(decoded).toMatchObject({
      kind: 'membership',
      sender: '@human:example.org',
      userId: '@coder:example.org',
      membership: 'invite',
      previousMembership: undefined,
      isDirect: true,
      displayName: 'Coder',
    });
  });

  it('reads the previous membership from unsigned.prev_content', () => {
    const decoded = decodeEvent({
      event_id: '$leave:example.org',
      sender: '@mod:example.org',
      type: 'm.room.member',
      state_key: '@coder:example.org',
      origin_server_ts: 6,
      content: { membership: 'leave' },
      unsigned: { prev_content: { membership: 'join' } },
    });
    expect(decoded).toMatchObject({
      membership: 'leave',
      previousMembership: 'join',
      isDirect: false,
    });
  });

  it('decodes an undecrypted event as encrypted', () => {
    const decoded = decodeEvent({
      event_id: '$enc:example.org',
      sender: '@human:example.org',
      type: 'm.room.encrypted',
      origin_server_ts: 7,
      content: { algorithm: 'm.megolm.v1.aes-sha2', ciphertext: 'AwgA', session_id: 's' },
    });
    expect(decoded.kind).toBe('encrypted');
  });

  it('decodes a redacted message (empty content) as other', () => {
    const decoded = decodeEvent({
      ...elementThreadMessage,
      content: {},
      unsigned: { redacted_because: { type: 'm.room.redaction' } },
    });
    expect(decoded).toMatchObject({ kind: 'other', type: 'm.room.message' });
  });

  it('decodes unknown types as other', () => {
    expect(
      decodeEvent({ ...elementThreadMessage, type: 'm.room.topic', content: { topic: 'x' } }),
    ).toMatchObject({ kind: 'other', type: 'm.room.topic' });
  });

  it.each([
    [{ event_id: 'nope' }, 'event_id is not an event id'],
    [{ sender: 'human' }, 'sender is not a user id'],
    [{ origin_server_ts: 'yesterday' as unknown as number }, 'origin_server_ts is not a number'],
  ])('reports a malformed envelope %j', (override, reason) => {
    const raw = { ...elementThreadMessage, ...override };
    expect(decodeEvent(raw)).toEqual({ kind: 'malformed', reason, raw });
  });
});

describe('pillsIn', () => {
  it('finds matrix.to and matrix: URI pills, decoded and deduplicated', () => {
    expect(
      pillsIn(
        '<a href="https://matrix.to/#/@a:example.org">A</a> ' +
          "<a class='x' href='https://matrix.to/#/%40b%3Aexample.org?via=example.org'>B</a> " +
          '<a href="matrix:u/c:example.org?action=chat">C</a> ' +
          '<a href="https://matrix.to/#/@a:example.org">A again</a> ' +
          '<a href="https://matrix.to/#/#room:example.org">a room</a> ' +
          '<a href="https://example.org/@d:example.org">not a pill</a>',
      ),
    ).toEqual(['@a:example.org', '@b:example.org', '@c:example.org']);
  });
});

describe('stream status', () => {
  it('reads the daemon stream status key', () => {
    expect(streamStatusOf({ 'io.quorum.stream_status': 'streaming' })).toBe('streaming');
    expect(streamStatusOf({ 'io.quorum.stream_status': 'final' })).toBe('final');
    expect(streamStatusOf({ 'io.quorum.stream_status': 'other' })).toBeUndefined();
    expect(streamStatusOf({})).toBeUndefined();
  });

  it('counts only streaming as in progress', () => {
    expect(isQuorumStreaming({ 'io.quorum.stream_status': 'streaming' })).toBe(true);
    expect(isQuorumStreaming({ 'io.quorum.stream_status': 'final' })).toBe(false);
    expect(isQuorumStreaming({ body: 'a human message' })).toBe(false);
  });
});
