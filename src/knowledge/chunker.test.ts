import { describe, expect, it } from 'vitest';
import { chunkText } from './chunker.js';

describe('chunkText', () => {
  it('cuts on line boundaries and reports 1-based line ranges', () => {
    const text = ['alpha one', 'beta two', 'gamma three', 'delta four'].join('\n');
    const chunks = chunkText(text, { chunkSize: 20, overlap: 0 });
    expect(chunks).toEqual([
      { startLine: 1, endLine: 2, text: 'alpha one\nbeta two' },
      { startLine: 3, endLine: 3, text: 'gamma three' },
      { startLine: 4, endLine: 4, text: 'delta four' },
    ]);
  });

  it('repeats whole lines of the previous chunk as overlap, and always advances', () => {
    const text = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join('\n');
    const chunks = chunkText(text, { chunkSize: 40, overlap: 15 });
    for (let i = 1; i < chunks.length; i++) {
      expect(chunks[i]!.startLine).toBeLessThanOrEqual(chunks[i - 1]!.endLine);
      expect(chunks[i]!.startLine).toBeGreaterThan(chunks[i - 1]!.startLine);
    }
    expect(chunks.at(-1)?.endLine).toBe(30);
    expect(chunks.every((chunk) => chunk.text.length <= 40)).toBe(true);
  });

  it('cuts a line longer than a chunk inside it', () => {
    const chunks = chunkText(`short\n${'x'.repeat(250)}\nend`, { chunkSize: 100, overlap: 0 });
    expect(chunks.every((chunk) => chunk.text.length <= 100)).toBe(true);
    expect(chunks.filter((chunk) => chunk.startLine === 2).length).toBeGreaterThanOrEqual(3);
    expect(chunks.at(-1)).toMatchObject({ endLine: 3 });
    expect(chunks.at(-1)?.text.endsWith('\nend')).toBe(true);
  });

  it('handles CRLF, empty text and blank lines', () => {
    expect(chunkText('', { chunkSize: 10, overlap: 0 })).toEqual([]);
    expect(chunkText('\n\n\n', { chunkSize: 10, overlap: 0 })).toEqual([]);
    expect(chunkText('a\r\nb', { chunkSize: 10, overlap: 0 })).toEqual([
      { startLine: 1, endLine: 2, text: 'a\nb' },
    ]);
  });
});
