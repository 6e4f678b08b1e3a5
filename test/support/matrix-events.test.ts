import { describe, expect, it } from 'vitest';
import type { MatrixEvent } from './matrix-events.js';
import {
  describeEvent,
  editContent,
  isEditOf,
  isInThread,
  isReactionTo,
  latestContent,
  mentionedUserIds,
  reactionContent,
  relationOf,
  textContent,
} from './matrix-events.js';

const BOT = { userId: '@bot:localhost', displayName: 'Bot <1>' };

function event(
  id: string,
  content: Record<string, unknown>,
  overrides: Partial<MatrixEvent> = {},
): MatrixEvent {
  return {
    room_id: '!room:localhost',
    event_id: id,
    type: 'm.room.message',
    sender: '@alice:localhost',
    origin_server_ts: 1_000,
    content,
    ...overrides,
  };
}

describe('textContent', () => {
  it('renders a mention as a matrix.to pill and lists it in m.mentions', () => {
    expect(textContent('a < b', [BOT])).toEqual({
      msgtype: 'm.text',
      body: 'Bot <1>: a < b',
      format: 'org.matrix.custom.html',
      formatted_body: '<a href="https://matrix.to/#/@bot:localhost">Bot &lt;1&gt;</a>: a &lt; b',
      'm.mentions': { user_ids: ['@bot:localhost'] },
    });
  });

  it('sends plain text with empty m.mentions when nobody is mentioned', () => {
    expect(textContent('hello')).toEqual({
      msgtype: 'm.text',
      body: 'hello',
      'm.mentions': { user_ids: [] },
    });
  });

  it('threads a message with a reply fallback to the latest thread event', () => {
    const content = textContent('in thread', [], {
      threadRootId: '$root',
      fallbackEventId: '$last',
    });
    expect(content['m.relates_to']).toEqual({
      rel_type: 'm.thread',
      event_id: '$root',
      is_falling_back: true,
      'm.in_reply_to': { event_id: '$last' },
    });
  });

  it('marks a real reply inside a thread as not falling back', () => {
    const content = textContent('answer', [], { threadRootId: '$root', replyToEventId: '$q' });
    expect(relationOf(event('$x', content))).toEqual({
      relType: 'm.thread',
      eventId: '$root',
      key: undefined,
      inReplyTo: '$q',
      isFallingBack: false,
    });
  });

  it('makes a plain reply outside threads', () => {
    const content = textContent('answer', [], { replyToEventId: '$q' });
    expect(content['m.relates_to']).toEqual({ 'm.in_reply_to': { event_id: '$q' } });
  });
});

describe('editContent', () => {
  it('replaces the event with full new content and a starred fallback', () => {
    const content = editContent('$orig', 'fixed', [BOT]);
    expect(content['m.relates_to']).toEqual({ rel_type: 'm.replace', event_id: '$orig' });
    expect(content['body']).toBe('* Bot <1>: fixed');
    expect(content['formatted_body']).toBe(
      '* <a href="https://matrix.to/#/@bot:localhost">Bot &lt;1&gt;</a>: fixed',
    );
    expect(content['m.new_content']).toEqual(textContent('fixed', [BOT]));
    expect(mentionedUserIds(content)).toEqual(['@bot:localhost']);
  });

  it('does not mention again users the previous version mentioned', () => {
    const content = editContent('$orig', 'fixed', [BOT], ['@bot:localhost']);
    expect(mentionedUserIds(content)).toEqual([]);
    expect(mentionedUserIds(content['m.new_content'] as Record<string, unknown>)).toEqual([
      '@bot:localhost',
    ]);
  });
});

describe('relation predicates', () => {
  const reply = event('$r', textContent('hi', [], { threadRootId: '$root' }));
  const reaction = event('$re', reactionContent('$r', '👍'), { type: 'm.reaction' });

  it('recognises thread replies, edits and reactions', () => {
    expect(isInThread(reply, '$root')).toBe(true);
    expect(isInThread(reply, '$other')).toBe(false);
    expect(isEditOf(event('$e', editContent('$r', 'x')), '$r')).toBe(true);
    expect(isReactionTo(reaction, '$r')).toBe(true);
    expect(isReactionTo(reaction, '$r', '👎')).toBe(false);
    expect(relationOf(event('$p', { body: 'plain' }))).toBeUndefined();
  });

  it('describes an event on one line for timeout messages', () => {
    expect(describeEvent(reaction)).toBe(
      '!room:localhost $re m.reaction from @alice:localhost rel=m.annotation→$r key=👍',
    );
  });
});

describe('latestContent', () => {
  const original = event('$o', textContent('v1'));

  it('applies the latest edit by the original sender', () => {
    const events = [
      original,
      event('$e2', editContent('$o', 'v3'), { origin_server_ts: 3_000 }),
      event('$e1', editContent('$o', 'v2'), { origin_server_ts: 2_000 }),
      event('$forged', editContent('$o', 'forged'), { origin_server_ts: 4_000, sender: '@eve:x' }),
    ];
    expect(latestContent(events, '$o')?.['body']).toBe('v3');
  });

  it('returns the original content without edits and nothing for an unknown event', () => {
    expect(latestContent([original], '$o')).toBe(original.content);
    expect(latestContent([original], '$nope')).toBeUndefined();
  });

  it('returns empty content once the event is redacted', () => {
    const redaction = event('$red', {}, { type: 'm.room.redaction', redacts: '$o' });
    expect(latestContent([original, redaction], '$o')).toEqual({});
  });
});
