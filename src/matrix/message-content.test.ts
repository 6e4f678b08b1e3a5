import { describe, expect, it } from 'vitest';
import { asEventId, asUserId } from '../shared/index.js';
import {
  STREAM_STATUS_KEY,
  buildEditContent,
  buildMessageContent,
  buildReactionContent,
} from './message-content.js';

const alice = asUserId('@alice:example.org');
const root = asEventId('$root');
const last = asEventId('$last');

describe('buildMessageContent', () => {
  it('builds a plain m.text with empty intentional mentions', () => {
    expect(buildMessageContent({ body: 'hi', format: 'plain' })).toEqual({
      msgtype: 'm.text',
      body: 'hi',
      'm.mentions': {},
    });
  });

  it('renders Markdown, lists mentions and pills them', () => {
    expect(
      buildMessageContent({
        body: '**@alice** look',
        format: 'markdown',
        msgtype: 'm.notice',
        mentions: [alice],
      }),
    ).toEqual({
      msgtype: 'm.notice',
      body: '**@alice** look',
      format: 'org.matrix.custom.html',
      formatted_body:
        '<p><strong><a href="https://matrix.to/#/@alice:example.org">@alice</a></strong> look</p>',
      'm.mentions': { user_ids: ['@alice:example.org'] },
    });
  });

  it('puts the message in a thread with a reply fallback to the root', () => {
    const content = buildMessageContent({ body: 'x', format: 'plain', thread: { rootId: root } });
    expect(content['m.relates_to']).toEqual({
      rel_type: 'm.thread',
      event_id: '$root',
      is_falling_back: true,
      'm.in_reply_to': { event_id: '$root' },
    });
  });

  it('points the reply fallback at replyToId when given', () => {
    const content = buildMessageContent({
      body: 'x',
      format: 'plain',
      thread: { rootId: root, replyToId: last },
    });
    expect(content['m.relates_to']).toMatchObject({
      event_id: '$root',
      'm.in_reply_to': { event_id: '$last' },
    });
  });

  it('adds extra keys but never lets them override the built ones', () => {
    const content = buildMessageContent({
      body: 'x',
      format: 'plain',
      extraContent: { [STREAM_STATUS_KEY]: 'streaming', body: 'hijack' },
    });
    expect(content[STREAM_STATUS_KEY]).toBe('streaming');
    expect(content['body']).toBe('x');
  });
});

describe('buildEditContent', () => {
  it('replaces the target with full new content and a starred fallback', () => {
    expect(
      buildEditContent(asEventId('$target'), {
        body: '**done** @alice',
        format: 'markdown',
        mentions: [alice],
        thread: { rootId: root },
        extraContent: { [STREAM_STATUS_KEY]: 'final' },
      }),
    ).toEqual({
      [STREAM_STATUS_KEY]: 'final',
      msgtype: 'm.text',
      body: '* **done** @alice',
      format: 'org.matrix.custom.html',
      formatted_body:
        '* <p><strong>done</strong> <a href="https://matrix.to/#/@alice:example.org">@alice</a></p>',
      'm.mentions': { user_ids: ['@alice:example.org'] },
      'm.new_content': {
        [STREAM_STATUS_KEY]: 'final',
        msgtype: 'm.text',
        body: '**done** @alice',
        format: 'org.matrix.custom.html',
        formatted_body:
          '<p><strong>done</strong> <a href="https://matrix.to/#/@alice:example.org">@alice</a></p>',
        'm.mentions': { user_ids: ['@alice:example.org'] },
      },
      'm.relates_to': { rel_type: 'm.replace', event_id: '$target' },
    });
  });

  it('keeps plain edits without HTML', () => {
    const content = buildEditContent(asEventId('$t'), { body: 'fixed', format: 'plain' });
    expect(content['body']).toBe('* fixed');
    expect(content['formatted_body']).toBeUndefined();
    expect(content['m.new_content']).toEqual({
      msgtype: 'm.text',
      body: 'fixed',
      'm.mentions': {},
    });
  });
});

describe('buildReactionContent', () => {
  it('annotates the target with the key', () => {
    expect(buildReactionContent(asEventId('$t'), '👍')).toEqual({
      'm.relates_to': { rel_type: 'm.annotation', event_id: '$t', key: '👍' },
    });
  });
});

describe('collapsible details', () => {
  it('puts escaped <details> blocks before the body, and their text in the plain body', () => {
    const content = buildMessageContent({
      body: 'The answer is **42**.',
      format: 'markdown',
      details: [{ summary: '🔧 fetch {"url":"x"}', text: '<script>alert(1)</script>\nline 2' }],
    });
    expect(content['body']).toBe(
      '🔧 fetch {"url":"x"}\n<script>alert(1)</script>\nline 2\n\nThe answer is **42**.',
    );
    expect(content['formatted_body']).toBe(
      '<details><summary>🔧 fetch {&quot;url&quot;:&quot;x&quot;}</summary><pre><code>&lt;script&gt;alert(1)&lt;/script&gt;\nline 2</code></pre></details>' +
        '<p>The answer is <strong>42</strong>.</p>',
    );
  });

  it('renders a plain body as an escaped paragraph after the details', () => {
    const content = buildMessageContent({
      body: 'a < b',
      format: 'plain',
      details: [{ summary: 's', text: 't' }],
    });
    expect(content['formatted_body']).toBe(
      '<details><summary>s</summary><pre><code>t</code></pre></details><p>a &lt; b</p>',
    );
  });
});
