import { describe, expect, it } from 'vitest';
import {
  MAX_OPTIONS,
  normalizeReactionKey,
  OPTION_KEYS,
  optionFromReaction,
  optionFromReply,
  stripReplyFallback,
} from './option-keys.js';

const OPTIONS = ['Red', 'Blue', 'Light green'];

describe('OPTION_KEYS', () => {
  it('are the keycaps 1 to 9 and then the keycap ten', () => {
    expect(OPTION_KEYS).toHaveLength(10);
    expect(MAX_OPTIONS).toBe(10);
    expect(OPTION_KEYS[0]).toBe('1\uFE0F\u20E3');
    expect(OPTION_KEYS[8]).toBe('9\uFE0F\u20E3');
    expect(OPTION_KEYS[9]).toBe('\u{1F51F}');
  });
});

describe('optionFromReaction', () => {
  it('maps each key to its 0-based option', () => {
    OPTION_KEYS.forEach((key, index) => {
      expect(optionFromReaction(key, 10)).toBe(index);
    });
  });

  it('accepts keycaps sent without the variation selector', () => {
    expect(optionFromReaction('2\u20E3', 3)).toBe(1);
    expect(normalizeReactionKey('✅\uFE0F')).toBe(normalizeReactionKey('✅'));
  });

  it('rejects keys beyond the options and unrelated keys', () => {
    expect(optionFromReaction('4️⃣', 3)).toBeUndefined();
    expect(optionFromReaction('👍', 3)).toBeUndefined();
    expect(optionFromReaction('1', 3)).toBeUndefined();
  });
});

describe('optionFromReply', () => {
  it('accepts the number in the usual spellings', () => {
    for (const text of ['2', ' 2 ', '2.', '2)', '#2', 'option 2', 'Option 2', 'OPTION2', '2️⃣']) {
      expect(optionFromReply(text, OPTIONS)).toBe(1);
    }
  });

  it('accepts the option text without case, quotes or extra spaces', () => {
    expect(optionFromReply('blue', OPTIONS)).toBe(1);
    expect(optionFromReply('  LIGHT   green ', OPTIONS)).toBe(2);
    expect(optionFromReply('"Red"', OPTIONS)).toBe(0);
  });

  it('ignores the quoted fallback of a Matrix reply', () => {
    expect(optionFromReply('> <@quorum_calc:hs> ❓ Which colour?\n> 1️⃣ Red\n\nblue', OPTIONS)).toBe(
      1,
    );
  });

  it('is undefined for no match, out of range and ambiguity', () => {
    expect(optionFromReply('purple', OPTIONS)).toBeUndefined();
    expect(optionFromReply('blue please', OPTIONS)).toBeUndefined();
    expect(optionFromReply('4', OPTIONS)).toBeUndefined();
    expect(optionFromReply('0', OPTIONS)).toBeUndefined();
    expect(optionFromReply('', OPTIONS)).toBeUndefined();
    expect(optionFromReply('same', ['Same', 'same'])).toBeUndefined();
    // "1" is option 2's text and option 1's number.
    expect(optionFromReply('1', ['2', '1'])).toBeUndefined();
    // ... but a number that is also the same option's text is fine.
    expect(optionFromReply('2', ['1', '2'])).toBe(1);
  });
});

describe('stripReplyFallback', () => {
  it('keeps a message that quotes nothing', () => {
    expect(stripReplyFallback('  hello\n> not a fallback  ')).toBe('hello\n> not a fallback');
  });
});
