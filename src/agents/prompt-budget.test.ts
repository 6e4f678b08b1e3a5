import { describe, expect, it } from 'vitest';
import { byteLength, fitHistory, fitSections, truncateBytes } from './prompt-budget.js';

describe('prompt budget', () => {
  it('cuts text to a byte budget on a character boundary and says so', () => {
    const text = 'ü'.repeat(1_000); // 2 bytes each
    const cut = truncateBytes(text, 200);
    expect(byteLength(cut)).toBeLessThanOrEqual(200);
    expect(cut).toMatch(/^ü+\n… \[cut: 2000 bytes, the first 200 shown\]$/);
    expect(truncateBytes('short', 200)).toBe('short');
  });

  it('keeps the newest history that fits, starting with a person', () => {
    const history = [
      { role: 'user' as const, content: 'a'.repeat(100) },
      { role: 'assistant' as const, content: 'b'.repeat(100) },
      { role: 'user' as const, content: 'c'.repeat(100) },
      { role: 'assistant' as const, content: 'd'.repeat(100) },
      { role: 'user' as const, content: 'e'.repeat(100) },
    ];
    expect(fitHistory(history, 350).map((message) => message.content[0])).toEqual(['c', 'd', 'e']);
    // 250 bytes fit 'd' and 'e', but a history may not start with the model's own message.
    expect(fitHistory(history, 250).map((message) => message.content[0])).toEqual(['e']);
    expect(fitHistory(history, 10)).toEqual([]);
  });

  it('cuts each section to its share and drops sections past the total', () => {
    const sections = [
      { title: 'A', body: 'x'.repeat(5_000) },
      { title: 'B', body: 'y'.repeat(500) },
      { title: 'C', body: 'z'.repeat(5_000) },
      { title: 'D', body: 'w'.repeat(5_000) },
    ];
    const fitted = fitSections(sections, 10_000);
    expect(fitted.map((section) => section.title)).toEqual(['A', 'B', 'C']);
    expect(byteLength(fitted[0]?.body ?? '')).toBeLessThanOrEqual(1_000);
  });
});
