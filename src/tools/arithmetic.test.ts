import { describe, expect, it } from 'vitest';
import {
  ArithmeticError,
  evaluateArithmetic,
  formatArithmeticResult,
  MAX_EXPRESSION_LENGTH,
  MAX_NESTING_DEPTH,
} from './arithmetic.js';

const calc = (expression: string): string => formatArithmeticResult(evaluateArithmetic(expression));

function errorOf(expression: string): ArithmeticError {
  try {
    evaluateArithmetic(expression);
  } catch (error: unknown) {
    if (error instanceof ArithmeticError) return error;
    throw error;
  }
  throw new Error(`expected ${expression} to fail`);
}

/** Deterministic PRNG (mulberry32), so generated cases are the same on every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Generated {
  readonly text: string;
  readonly value: number;
}

/** A random integer expression over + - * and unary minus, with its value computed directly. */
function generate(next: () => number, depth: number): Generated {
  if (depth === 0 || next() < 0.3) {
    const n = Math.floor(next() * 20);
    return { text: String(n), value: n };
  }
  const pick = next();
  if (pick < 0.15) {
    const inner = generate(next, depth - 1);
    return { text: `-(${inner.text})`, value: -inner.value };
  }
  const left = generate(next, depth - 1);
  const right = generate(next, depth - 1);
  const op = pick < 0.45 ? '+' : pick < 0.75 ? '-' : '*';
  const value =
    op === '+'
      ? left.value + right.value
      : op === '-'
        ? left.value - right.value
        : left.value * right.value;
  const spaced = next() < 0.5 ? ` ${op} ` : op;
  return { text: `(${left.text}${spaced}${right.text})`, value };
}

describe('evaluateArithmetic', () => {
  it.each([
    ['1 + 2', '3'],
    ['2 + 3 * 4', '14'],
    ['(2 + 3) * 4', '20'],
    ['10 - 4 - 3', '3'],
    ['100 / 10 / 5', '2'],
    ['7 % 3', '1'],
    ['-7 % 3', '-1'],
    ['2 ^ 10', '1024'],
    ['2 ** 10', '1024'],
    ['2 ^ 3 ^ 2', '512'],
    ['-2 ^ 2', '-4'],
    ['(-2) ^ 2', '4'],
    ['2 ^ -1', '0.5'],
    ['--3', '3'],
    ['+-+3', '-3'],
    ['3 * -2', '-6'],
    ['1.5e3', '1500'],
    ['1e-3 * 2', '0.002'],
    ['.5 + 1.', '1.5'],
    ['1E2', '100'],
    ['0.1 + 0.2', '0.3'],
    ['1 - 0.9', '0.1'],
    ['3 × 4 ÷ 6 − 1', '1'],
    ['sqrt(16)', '4'],
    ['abs(-3.5)', '3.5'],
    ['round(2.5)', '3'],
    ['round(-2.5)', '-3'],
    ['round(3.14159, 2)', '3.14'],
    ['floor(-1.5)', '-2'],
    ['ceil(1.2)', '2'],
    ['sin(0)', '0'],
    ['cos(pi)', '-1'],
    ['tan(pi / 4)', '1'],
    ['asin(1) * 2', '3.14159265359'],
    ['acos(1)', '0'],
    ['atan(1) * 4', '3.14159265359'],
    ['log(e)', '1'],
    ['ln(e^2)', '2'],
    ['log10(1000)', '3'],
    ['log2(1024)', '10'],
    ['exp(0)', '1'],
    ['min(3, 1, 2)', '1'],
    ['max(3, 1, 2)', '3'],
    ['pow(2, 8)', '256'],
    ['PI', '3.14159265359'],
    ['Sqrt(9)', '3'],
    ['sin(pi)', '0'],
    ['cos(pi / 2)', '0'],
    ['sin(2 * pi)', '0'],
    ['sin(1e-20)', '1e-20'],
    ['2 * (3 + (4 - 1)) / 3', '4'],
    ['1e20 * 10', '1e+21'],
    ['1 / 3', '0.333333333333'],
    ['-0', '0'],
    ['  42  ', '42'],
  ])('evaluates %s to %s', (expression, expected) => {
    expect(calc(expression)).toBe(expected);
  });

  it('agrees with direct evaluation on generated integer expressions', () => {
    const next = random(20260101);
    for (let i = 0; i < 500; i++) {
      const { text, value } = generate(next, 6);
      expect(evaluateArithmetic(text), text).toBe(value);
    }
  });

  it('shows sums of two-decimal numbers exactly', () => {
    const next = random(7);
    for (let i = 0; i < 300; i++) {
      const a = Math.floor(next() * 100_000);
      const b = Math.floor(next() * 100_000);
      const text = `${(a / 100).toFixed(2)} + ${(b / 100).toFixed(2)}`;
      expect(calc(text), text).toBe(String((a + b) / 100));
    }
  });

  it.each([
    ['1 + ', 'unexpected end of expression at 4'],
    ['(1 + 2))', "unexpected ')' at 7"],
    ['(1 + 2', "missing ')' for '(' at 0"],
    ['* 2', "unexpected '*' at 0"],
    ['2 (3)', "unexpected '(' at 2"],
    ['1 2', "unexpected '2' at 2"],
    ['1,2', "unexpected ',' at 1"],
    ['2e', "unexpected 'e' at 1"],
    ['1.2.3', "unexpected '.3' at 3"],
    ['', 'empty expression'],
    ['   ', 'empty expression'],
    ['foo + 1', "unknown name 'foo' at 0"],
    ['sqrt 4', "function 'sqrt' needs parentheses"],
    ['sqrt()', "unexpected ')' at 5"],
    ['sqrt(1, 2)', 'sqrt takes 1 argument, got 2'],
    ['pow(2)', 'pow takes 2 arguments, got 1'],
    ['round(1, 2, 3)', 'round takes 1 to 2 arguments, got 3'],
    ['round(1, 0.5)', 'round: digits must be a whole number'],
    ['1 / 0', 'division by zero at 2'],
    ['5 % (2 - 2)', 'modulo by zero at 2'],
    ['sqrt(-1)', 'not a real number'],
    ['log(-1)', 'not a real number'],
    ['log(0)', 'too large'],
    ['10 ^ 400', 'too large'],
    ['9 ^ 9 ^ 9', 'too large'],
    ['1e400', 'number too large at 0'],
    ['2 $ 3', "unexpected character '$' at 2"],
    ['1 = 1', "unexpected character '=' at 2"],
    ['"a"', `unexpected character '"' at 0`],
    ['2 😀 3', "unexpected character '😀' at 2"],
  ])('rejects %j with "%s"', (expression, message) => {
    expect(errorOf(expression).message).toContain(message);
  });

  it('reports the position of a syntax error', () => {
    expect(errorOf('(1 + 2))').position).toBe(7);
  });

  it.each([
    'constructor',
    '__proto__',
    'prototype',
    'toString()',
    'valueOf()',
    'hasOwnProperty(1)',
    'process.exit()',
    'process',
    'require("fs")',
    'globalThis',
    'this',
    'Function("return 1")()',
    'eval(1)',
    'import("fs")',
    'constructor.constructor("return process")()',
    'sqrt.constructor',
    '[].constructor',
    'x => 1',
    'a = 1',
    '1; 2',
    '`1`',
    '\\u0031',
    '0x10',
  ])('refuses the code-like input %j', (expression) => {
    expect(() => evaluateArithmetic(expression)).toThrow(ArithmeticError);
  });

  it('refuses input longer than the limit', () => {
    const long = '1+'.repeat(MAX_EXPRESSION_LENGTH / 2) + '1';
    expect(errorOf(long).message).toContain('too long');
  });

  it('accepts nesting up to the limit and refuses deeper nesting', () => {
    const nested = (depth: number): string => '('.repeat(depth) + '1' + ')'.repeat(depth);
    expect(calc(nested(MAX_NESTING_DEPTH))).toBe('1');
    expect(errorOf(nested(MAX_NESTING_DEPTH + 1)).message).toContain('nested too deeply');
    expect(errorOf('-'.repeat(MAX_NESTING_DEPTH + 1) + '1').message).toContain('nested too deeply');
    expect(errorOf('sqrt('.repeat(100) + '1' + ')'.repeat(100)).message).toContain(
      'nested too deeply',
    );
    expect(errorOf(Array(100).fill('2').join('^')).message).toContain('nested too deeply');
  });
});

describe('formatArithmeticResult', () => {
  it.each([
    [0.1 + 0.2, '0.3'],
    [1 / 3, '0.333333333333'],
    [123456789012345, '123456789012000'],
    [1e21, '1e+21'],
    [1e-7, '1e-7'],
    [-0, '0'],
    [-1.5, '-1.5'],
  ])('formats %d as %s', (value, expected) => {
    expect(formatArithmeticResult(value)).toBe(expected);
  });
});
