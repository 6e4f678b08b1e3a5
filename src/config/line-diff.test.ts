import { describe, expect, it } from 'vitest';
import { unifiedLineDiff } from './line-diff.js';

const lines = (count: number): string =>
  Array.from({ length: count }, (_, index) => `line ${index + 1}`).join('\n') + '\n';

describe('unifiedLineDiff', () => {
  it('is empty for equal texts', () => {
    expect(unifiedLineDiff('a\nb\n', 'a\nb\n')).toBe('');
  });

  it('shows one changed line with two lines of context', () => {
    const before = lines(10);
    expect(unifiedLineDiff(before, before.replace('line 5\n', 'line five\n'))).toBe(
      ['@@ -3,5 +3,5 @@', ' line 3', ' line 4', '-line 5', '+line five', ' line 6', ' line 7'].join(
        '\n',
      ),
    );
  });

  it('numbers an insertion and a deletion the way diff -u does', () => {
    expect(unifiedLineDiff('a\nb\n', 'a\nb\nc\n')).toBe('@@ -1,2 +1,3 @@\n a\n b\n+c');
    expect(unifiedLineDiff('a\n', '')).toBe('@@ -1,1 +0,0 @@\n-a');
    expect(unifiedLineDiff('', 'a\n')).toBe('@@ -0,0 +1,1 @@\n+a');
  });

  it('merges nearby changes into one hunk and keeps distant ones apart', () => {
    const before = lines(20);
    const near = before.replace('line 3\n', 'x\n').replace('line 6\n', 'y\n');
    expect(unifiedLineDiff(before, near).match(/^@@/gm)).toHaveLength(1);
    const far = before.replace('line 3\n', 'x\n').replace('line 15\n', 'y\n');
    expect(unifiedLineDiff(before, far)).toBe(
      [
        '@@ -1,5 +1,5 @@',
        ' line 1',
        ' line 2',
        '-line 3',
        '+x',
        ' line 4',
        ' line 5',
        '@@ -13,5 +13,5 @@',
        ' line 13',
        ' line 14',
        '-line 15',
        '+y',
        ' line 16',
        ' line 17',
      ].join('\n'),
    );
  });

  it('finds the minimal change inside a reordered region', () => {
    expect(unifiedLineDiff('a\nb\nc\nd\n', 'a\nc\nb\nd\n', 0)).toBe(
      '@@ -2,1 +1,0 @@\n-b\n@@ -3,0 +3,1 @@\n+b',
    );
  });

  it('marks a missing final newline', () => {
    expect(unifiedLineDiff('a\nb', 'a\nb\n')).toBe(
      '@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b',
    );
  });
});
