import { describe, expect, it } from 'vitest';
import { pillsIn } from './event-decoder.js';
import { linkHrefs, MAX_SCANNED_LINKS } from './html-links.js';

describe('linkHrefs', () => {
  it('reads double-quoted, single-quoted and unquoted hrefs, in order, entities decoded', () => {
    expect(
      linkHrefs(
        `<p>x <a href="https://matrix.to/#/@a:x">A</a> <A class=y HREF='b&amp;c'>B</A>` +
          `<a data-x="1" href=plain>C</a><abbr href="no">D</abbr><a>E</a></p>`,
      ),
    ).toEqual(['https://matrix.to/#/@a:x', 'b&c', 'plain']);
  });

  it('takes the first href of a tag and skips attributes that only look like one', () => {
    expect(linkHrefs('<a hrefx="no" data-href="no" href="yes" href="second">')).toEqual(['yes']);
    expect(linkHrefs('<a title="href=&quot;no&quot;" href="yes">')).toEqual(['yes']);
  });

  it('stops at an unterminated quote, and honours its limits', () => {
    expect(linkHrefs(`<a href="a">x</a><a title="never closed> <a href='c'>`)).toEqual(['a']);
    const many = '<a href="x">'.repeat(500);
    expect(linkHrefs(many)).toHaveLength(100);
    expect(linkHrefs(many, { maxLinks: 3 })).toHaveLength(3);
    expect(linkHrefs(`${'x'.repeat(200)}<a href="late">`, { maxChars: 100 })).toEqual([]);
  });

  // How fast (linear: a 60 KB hostile body in well under a millisecond) is measured by
  // bench/abuse-parse.ts and the fuzz test's stall check, not by a timed assertion here.
  it('reads hostile markup to the end with bounded results and no pills', () => {
    const inputs = [
      '<a '.repeat(20_000),
      '<a href='.repeat(10_000),
      `<a ${'x'.repeat(60_000)}`,
      '<a href="'.repeat(8_000),
      '<'.repeat(60_000),
      `<a ${'a="b" '.repeat(10_000)}`,
      '<a\t'.repeat(20_000) + '>',
    ];
    for (const html of inputs) {
      expect(linkHrefs(html).length, html.slice(0, 20)).toBeLessThanOrEqual(MAX_SCANNED_LINKS);
      expect(pillsIn(html), html.slice(0, 20)).toEqual([]);
    }
  });
});
