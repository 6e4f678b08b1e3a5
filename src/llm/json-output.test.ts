import { describe, expect, it } from 'vitest';
import { parseJsonObject } from './json-output.js';

describe('parseJsonObject', () => {
  it('reads a plain JSON object', () => {
    expect(parseJsonObject('{"agent":"calc","reason":"maths"}')).toEqual({
      agent: 'calc',
      reason: 'maths',
    });
  });

  it('reads JSON inside a code fence', () => {
    expect(parseJsonObject('Sure:\n```json\n{"agent": "calc"}\n```\nDone.')).toEqual({
      agent: 'calc',
    });
  });

  it('reads the first object embedded in prose, with braces inside strings', () => {
    expect(
      parseJsonObject('I pick {"agent": "calc", "reason": "a {tricky} \\"one\\""} ok'),
    ).toEqual({ agent: 'calc', reason: 'a {tricky} "one"' });
  });

  it('skips a broken span and finds a later valid object', () => {
    expect(parseJsonObject('{not json} then {"agent":"scribe"}')).toEqual({ agent: 'scribe' });
  });

  it('gives up quickly on text full of unbalanced braces', () => {
    expect(parseJsonObject('{'.repeat(50_000))).toBeUndefined();
  });

  it('returns undefined for arrays, scalars and text without JSON', () => {
    expect(parseJsonObject('["calc"]')).toBeUndefined();
    expect(parseJsonObject('42')).toBeUndefined();
    expect(parseJsonObject('calc')).toBeUndefined();
    expect(parseJsonObject('{"agent": ')).toBeUndefined();
  });
});
