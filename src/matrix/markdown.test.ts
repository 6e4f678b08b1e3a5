import { describe, expect, it } from 'vitest';
import { asUserId } from '../shared/index.js';
import { renderMarkdown, renderPlain } from './markdown.js';

const alice = asUserId('@alice:example.org');
const botOne = asUserId('@bot_one:example.org');

/** Every tag and attribute in the output, so XSS tests can check nothing executable survived. */
function tagsOf(html: string | undefined): string[] {
  return [...(html ?? '').matchAll(/<[^>]*>/g)].map((match) => match[0]);
}

describe('renderMarkdown', () => {
  it('sends text without formatting as plain body only', () => {
    expect(renderMarkdown('hello world')).toEqual({
      body: 'hello world',
      formattedBody: undefined,
    });
  });

  it('keeps text with characters HTML escapes plain when nothing is formatted', () => {
    expect(renderMarkdown('a & b < c').formattedBody).toBeUndefined();
  });

  it('keeps multi-line text plain, clients show the line breaks of the body', () => {
    expect(renderMarkdown('line one\nline two').formattedBody).toBeUndefined();
  });

  it('renders formatting to HTML and keeps the Markdown source as body', () => {
    const rendered = renderMarkdown('**bold** and `code`');
    expect(rendered.body).toBe('**bold** and `code`');
    expect(rendered.formattedBody).toBe('<p><strong>bold</strong> and <code>code</code></p>');
  });

  it('sends formatted_body when an escape changes what is shown', () => {
    expect(renderMarkdown('\\*not bold\\*').formattedBody).toBe('<p>*not bold*</p>');
  });

  it('renders fenced code with its language class', () => {
    expect(renderMarkdown('```ts\nconst a = 1;\n```').formattedBody).toBe(
      '<pre><code class="language-ts">const a = 1;\n</code></pre>',
    );
  });

  it('links URLs with a scheme but not bare file names', () => {
    const html = renderMarkdown('see main.py and https://example.org/x').formattedBody;
    expect(html).toBe(
      '<p>see main.py and <a href="https://example.org/x">https://example.org/x</a></p>',
    );
  });

  it('renders images as links, since Matrix images must be mxc:// media', () => {
    expect(renderMarkdown('![a cat](https://example.org/cat.png)').formattedBody).toBe(
      '<p><a href="https://example.org/cat.png">a cat</a></p>',
    );
  });

  it('allows mailto links', () => {
    expect(renderMarkdown('[mail](mailto:a@example.org)').formattedBody).toBe(
      '<p><a href="mailto:a@example.org">mail</a></p>',
    );
  });

  describe('against script injection', () => {
    it('escapes script tags', () => {
      const html = renderMarkdown('**hi** <script>alert(1)</script>').formattedBody;
      expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(tagsOf(html)).toEqual(['<p>', '<strong>', '</strong>', '</p>']);
    });

    it('escapes raw img tags with event handlers', () => {
      const html = renderMarkdown('_x_ <img src=x onerror=alert(1)>').formattedBody;
      expect(tagsOf(html)).toEqual(['<p>', '<em>', '</em>', '</p>']);
    });

    it.each([
      '[x](javascript:alert(1))',
      '[x](JAVASCRIPT:alert(1))',
      '[x](  javascript:alert(1))',
      '[x](vbscript:msgbox(1))',
      '[x](data:text/html;base64,PHNjcmlwdD4=)',
      '[x](file:///etc/passwd)',
      '<javascript:alert(1)>',
      '![x](javascript:alert(1))',
      '![x](data:image/png;base64,AAAA)',
      '[x](/relative/path)',
    ])('does not link %s', (text) => {
      const html = renderMarkdown(`**b** ${text}`).formattedBody;
      expect(tagsOf(html).filter((tag) => tag.startsWith('<a'))).toEqual([]);
    });

    it('escapes quotes in link titles so no attribute can be injected', () => {
      const html = renderMarkdown(
        '[x](https://a.example "\\" onmouseover=alert(1) x=\\"")',
      ).formattedBody;
      expect(tagsOf(html)[1]).toBe(
        '<a href="https://a.example" title="&quot; onmouseover=alert(1) x=&quot;">',
      );
    });

    it('escapes HTML inside code blocks', () => {
      expect(renderMarkdown('```\n<b onclick=x>\n```').formattedBody).toBe(
        '<pre><code>&lt;b onclick=x&gt;\n</code></pre>',
      );
    });
  });

  describe('mention pills', () => {
    it('turns @localpart and full ids of mentioned users into matrix.to links', () => {
      const html = renderMarkdown('@alice: ask @bot_one or @alice:example.org', {
        mentions: [alice, botOne],
      }).formattedBody;
      expect(html).toBe(
        '<p><a href="https://matrix.to/#/@alice:example.org">@alice</a>: ask ' +
          '<a href="https://matrix.to/#/@bot_one:example.org">@bot_one</a> or ' +
          '<a href="https://matrix.to/#/@alice:example.org">@alice:example.org</a></p>',
      );
    });

    it('does not pill longer names, other servers, unmentioned users, code or link text', () => {
      const html = renderMarkdown(
        '@alice2 @alice:other.org @bob `@alice` [@alice](https://example.org) x@alice',
        { mentions: [alice] },
      ).formattedBody;
      expect(html).toBe(
        '<p>@alice2 @alice:other.org @bob <code>@alice</code> ' +
          '<a href="https://example.org">@alice</a> x@alice</p>',
      );
    });

    it('pills inside formatting', () => {
      expect(renderMarkdown('**@alice**', { mentions: [alice] }).formattedBody).toBe(
        '<p><strong><a href="https://matrix.to/#/@alice:example.org">@alice</a></strong></p>',
      );
    });
  });
});

describe('renderPlain', () => {
  it('sends plain text as body only when no mentioned user appears', () => {
    expect(renderPlain('<b>not bold</b>', { mentions: [alice] })).toEqual({
      body: '<b>not bold</b>',
      formattedBody: undefined,
    });
  });

  it('adds escaped HTML with pills when a mentioned user appears', () => {
    expect(renderPlain('hi @alice <b>\nbye', { mentions: [alice] })).toEqual({
      body: 'hi @alice <b>\nbye',
      formattedBody:
        'hi <a href="https://matrix.to/#/@alice:example.org">@alice</a> &lt;b&gt;<br>\nbye',
    });
  });
});
