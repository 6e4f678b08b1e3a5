import { describe, expect, it } from 'vitest';
import { parseFrontMatter } from './front-matter.js';

describe('parseFrontMatter', () => {
  it('splits a MindRoom SKILL.md into its mapping and body', () => {
    const text = [
      '---',
      'name: mindroom-docs',
      'description: MindRoom documentation corpus.',
      "metadata: '{openclaw:{always:true}}'",
      'allowed-tools: [read, grep]',
      '---',
      '',
      '# MindRoom Docs',
      '',
    ].join('\n');
    expect(parseFrontMatter(text)).toEqual({
      ok: true,
      hasFrontMatter: true,
      data: {
        name: 'mindroom-docs',
        description: 'MindRoom documentation corpus.',
        metadata: '{openclaw:{always:true}}',
        'allowed-tools': ['read', 'grep'],
      },
      body: '\n# MindRoom Docs\n',
    });
  });

  it('reads folded and quoted values the way YAML means them', () => {
    const text = '---\ndescription: >-\n  two\n  lines\ntitle: "a: b"\n---\nbody';
    expect(parseFrontMatter(text)).toMatchObject({
      ok: true,
      data: { description: 'two lines', title: 'a: b' },
      body: 'body',
    });
  });

  it('handles CRLF line ends, a byte order mark and an empty block', () => {
    expect(parseFrontMatter('\uFEFF---\r\nname: x\r\n---\r\nbody\r\n')).toMatchObject({
      ok: true,
      data: { name: 'x' },
      body: 'body\r\n',
    });
    expect(parseFrontMatter('---\n---\nbody')).toEqual({
      ok: true,
      data: {},
      body: 'body',
      hasFrontMatter: true,
    });
  });

  it('treats a file without front matter as all body', () => {
    expect(parseFrontMatter('# Title\n---\nname: x\n---\n')).toEqual({
      ok: true,
      data: {},
      body: '# Title\n---\nname: x\n---\n',
      hasFrontMatter: false,
    });
    expect(parseFrontMatter('---\nname: never closed\n')).toMatchObject({
      ok: true,
      hasFrontMatter: false,
    });
  });

  it('reports invalid YAML with its file line', () => {
    const result = parseFrontMatter('---\nname: a\nname: b\n---\n');
    expect(result.ok).toBe(false);
    expect(!result.ok && result.message).toMatch(/^front matter is not valid YAML \(line 3\)/);
  });

  it('refuses front matter that is not a mapping', () => {
    expect(parseFrontMatter('---\n- a\n- b\n---\n')).toEqual({
      ok: false,
      message: 'front matter must be a mapping of keys to values',
    });
  });

  it('refuses an alias bomb', () => {
    const bomb = [
      '---',
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]',
      '---',
    ].join('\n');
    expect(parseFrontMatter(bomb).ok).toBe(false);
  });
});
