import { describe, expect, it } from 'vitest';
import { validateArguments } from './argument-validation.js';

const schema = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 5 },
    count: { type: 'integer', minimum: 0, maximum: 10 },
    ratio: { type: 'number' },
    flag: { type: 'boolean' },
    mode: { type: 'string', enum: ['fast', 'slow'] },
    tags: { type: 'array', items: { type: 'string' } },
    nested: {
      type: 'object',
      properties: { id: { type: ['string', 'null'] } },
      required: ['id'],
      additionalProperties: false,
    },
  },
  required: ['name'],
};

describe('validateArguments', () => {
  it('accepts arguments that fit', () => {
    expect(
      validateArguments(schema, {
        name: 'ab',
        count: 3,
        ratio: 0.5,
        flag: false,
        mode: 'slow',
        tags: ['a', 'b'],
        nested: { id: null },
      }),
    ).toEqual([]);
  });

  it('names a missing required argument with its type', () => {
    expect(validateArguments(schema, {})).toEqual(['`name` is required (a string)']);
  });

  it.each([
    [{ name: 5 }, '`name` must be a string, got the number 5'],
    [{ name: '' }, '`name` must not be empty'],
    [{ name: 'toolong' }, '`name` must be at most 5 characters long, got 7 characters'],
    [{ name: 'a', count: 2.5 }, '`count` must be an integer, got the number 2.5'],
    [{ name: 'a', count: -1 }, '`count` must be at least 0, got -1'],
    [{ name: 'a', count: 11 }, '`count` must be at most 10, got 11'],
    [{ name: 'a', ratio: '1' }, '`ratio` must be a number, got a string'],
    [{ name: 'a', flag: 'yes' }, '`flag` must be a boolean, got a string'],
    [{ name: 'a', mode: 'medium' }, '`mode` must be one of "fast", "slow", got "medium"'],
    [{ name: 'a', tags: 'x' }, '`tags` must be an array, got a string'],
    [{ name: 'a', tags: ['x', 2] }, '`tags[1]` must be a string, got the number 2'],
    [{ name: 'a', nested: [] }, '`nested` must be an object, got an array'],
    [{ name: 'a', nested: {} }, '`nested.id` is required (a string or null)'],
    [{ name: 'a', nested: { id: 1 } }, '`nested.id` must be a string or null, got the number 1'],
    [
      { name: 'a', nested: { id: 'x', extra: true } },
      '`nested.extra` is not an argument of this tool (it takes `id`)',
    ],
  ])('reports %j', (args, problem) => {
    expect(validateArguments(schema, args)).toEqual([problem]);
  });

  it('lets unknown arguments pass unless the schema forbids them', () => {
    expect(validateArguments(schema, { name: 'a', other: 1 })).toEqual([]);
  });

  it('does not treat inherited property names as declared', () => {
    expect(
      validateArguments(
        { type: 'object', properties: {}, additionalProperties: false },
        {
          constructor: 1,
        },
      ),
    ).toEqual(['`constructor` is not an argument of this tool']);
  });

  it('reports at most eight problems', () => {
    const many = {
      type: 'object',
      properties: {},
      required: Array.from({ length: 20 }, (_, i) => `p${i}`),
    };
    expect(validateArguments(many, {})).toHaveLength(8);
  });

  it('ignores keywords and types it does not know', () => {
    expect(
      validateArguments(
        { type: 'object', properties: { a: { type: 'decimal', format: 'weird', anyOf: [] } } },
        { a: 'x' },
      ),
    ).toEqual([]);
  });
});
