/**
 * A safe arithmetic evaluator for the `calculator` tool: a tokenizer and a recursive-descent
 * parser that computes as it parses. Nothing here reaches `eval`, `Function` or any object
 * property chosen by the input: names are looked up in `Map`s of our own, so `constructor`,
 * `__proto__` or `process` are simply unknown names.
 *
 * Grammar (lowest precedence first; `^` and `**` are right-associative and bind tighter than
 * unary minus, so `-2^2` is -4 and `2^-1` is 0.5):
 *
 * ```
 * expression := term (('+' | '-') term)*
 * term       := unary (('*' | '/' | '%') unary)*
 * unary      := ('+' | '-') unary | power
 * power      := primary (('^' | '**') unary)?
 * primary    := number | name | name '(' expression (',' expression)* ')' | '(' expression ')'
 * ```
 */

/** Longest expression accepted, in characters. */
export const MAX_EXPRESSION_LENGTH = 1_000;
/** Deepest nesting of parentheses, calls, unary signs and powers accepted. */
export const MAX_NESTING_DEPTH = 64;
/** Significant digits of a formatted result; hides binary noise like 0.30000000000000004. */
export const RESULT_SIGNIFICANT_DIGITS = 12;

/**
 * A problem with an expression. `position` is the 0-based character offset where the
 * problem was found (`undefined` when it concerns the whole expression, e.g. its length);
 * `message` already names it (`unexpected ')' at 7`).
 */
export class ArithmeticError extends Error {
  readonly position: number | undefined;
  constructor(message: string, position?: number) {
    super(message);
    this.name = 'ArithmeticError';
    this.position = position;
  }
}

type TokenKind = 'number' | 'name' | 'operator' | '(' | ')' | ',' | 'end';

interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly position: number;
  readonly value?: number;
}

const CONSTANTS: ReadonlyMap<string, number> = new Map([
  ['pi', Math.PI],
  ['e', Math.E],
  ['tau', 2 * Math.PI],
]);

interface MathFunction {
  readonly minArgs: number;
  readonly maxArgs: number;
  readonly apply: (args: readonly number[]) => number;
}

const unary = (fn: (x: number) => number): MathFunction => ({
  minArgs: 1,
  maxArgs: 1,
  apply: (args) => fn(args[0] ?? Number.NaN),
});

const FUNCTIONS: ReadonlyMap<string, MathFunction> = new Map<string, MathFunction>([
  ['sqrt', unary(Math.sqrt)],
  ['cbrt', unary(Math.cbrt)],
  ['abs', unary(Math.abs)],
  ['floor', unary(Math.floor)],
  ['ceil', unary(Math.ceil)],
  ['trunc', unary(Math.trunc)],
  ['sin', unary(trig(Math.sin))],
  ['cos', unary(trig(Math.cos))],
  ['tan', unary(trig(Math.tan))],
  ['asin', unary(Math.asin)],
  ['acos', unary(Math.acos)],
  ['atan', unary(Math.atan)],
  ['ln', unary(Math.log)],
  ['log', unary(Math.log)],
  ['log10', unary(Math.log10)],
  ['log2', unary(Math.log2)],
  ['exp', unary(Math.exp)],
  ['round', { minArgs: 1, maxArgs: 2, apply: ([x = Number.NaN, digits = 0]) => round(x, digits) }],
  ['pow', { minArgs: 2, maxArgs: 2, apply: ([x = Number.NaN, y = Number.NaN]) => x ** y }],
  [
    'atan2',
    { minArgs: 2, maxArgs: 2, apply: ([y = Number.NaN, x = Number.NaN]) => Math.atan2(y, x) },
  ],
  ['min', { minArgs: 1, maxArgs: 100, apply: (args) => Math.min(...args) }],
  ['max', { minArgs: 1, maxArgs: 100, apply: (args) => Math.max(...args) }],
]);

/** Names the evaluator knows, for the tool description and error hints. */
export const ARITHMETIC_FUNCTIONS: readonly string[] = [...FUNCTIONS.keys()];
/** Constant names the evaluator knows. */
export const ARITHMETIC_CONSTANTS: readonly string[] = [...CONSTANTS.keys()];

/**
 * `fn` with binary noise at its zeros removed: `sin(pi)` is 1.2e-16 because `pi` is not
 * exactly π, and people mean 0. A result that small next to a non-tiny argument is noise;
 * tiny arguments keep their true tiny results (`sin(1e-20)` stays 1e-20).
 */
function trig(fn: (x: number) => number): (x: number) => number {
  return (x) => {
    const result = fn(x);
    return Math.abs(x) >= 1e-6 && Math.abs(result) < 1e-14 * Math.max(1, Math.abs(x)) ? 0 : result;
  };
}

function round(x: number, digits: number): number {
  if (!Number.isInteger(digits) || digits < 0 || digits > 15) {
    throw new ArithmeticError('round: digits must be a whole number from 0 to 15');
  }
  const factor = 10 ** digits;
  // Math.round rounds -2.5 to -2; round half away from zero, as people expect.
  return (Math.sign(x) * Math.round(Math.abs(x) * factor)) / factor;
}

// Typographic operators people paste from documents.
const OPERATOR_ALIASES: ReadonlyMap<string, string> = new Map([
  ['×', '*'],
  ['·', '*'],
  ['÷', '/'],
  ['−', '-'],
]);

const NUMBER = /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;

/** Splits `source` into tokens, ending with an `end` token. */
function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < source.length) {
    const char = source.charAt(index);
    if (/\s/.test(char)) {
      index++;
      continue;
    }
    NUMBER.lastIndex = index;
    const number = NUMBER.exec(source);
    if (number !== null) {
      const value = Number(number[0]);
      if (!Number.isFinite(value)) throw new ArithmeticError(`number too large at ${index}`, index);
      tokens.push({ kind: 'number', text: number[0], position: index, value });
      index += number[0].length;
      continue;
    }
    NAME.lastIndex = index;
    const name = NAME.exec(source);
    if (name !== null) {
      tokens.push({ kind: 'name', text: name[0], position: index });
      index += name[0].length;
      continue;
    }
    if (source.startsWith('**', index)) {
      tokens.push({ kind: 'operator', text: '^', position: index });
      index += 2;
      continue;
    }
    const operator = OPERATOR_ALIASES.get(char) ?? char;
    if ('+-*/%^'.includes(operator)) {
      tokens.push({ kind: 'operator', text: operator, position: index });
    } else if (operator === '(' || operator === ')' || operator === ',') {
      tokens.push({ kind: operator, text: operator, position: index });
    } else {
      const shown = String.fromCodePoint(source.codePointAt(index) ?? 0);
      throw new ArithmeticError(`unexpected character '${shown}' at ${index}`, index);
    }
    index++;
  }
  tokens.push({ kind: 'end', text: 'end of expression', position: source.length });
  return tokens;
}

class Parser {
  private index = 0;
  private depth = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  parseAll(): number {
    const value = this.expression();
    const next = this.peek();
    if (next.kind !== 'end') throw unexpected(next);
    return value;
  }

  private expression(): number {
    let value = this.term();
    for (;;) {
      const op = this.peek();
      if (op.kind !== 'operator' || (op.text !== '+' && op.text !== '-')) return value;
      this.index++;
      const right = this.term();
      value = op.text === '+' ? value + right : value - right;
    }
  }

  private term(): number {
    let value = this.unary();
    for (;;) {
      const op = this.peek();
      if (op.kind !== 'operator' || !'*/%'.includes(op.text)) return value;
      this.index++;
      const right = this.unary();
      if (op.text === '*') {
        value *= right;
      } else if (right === 0) {
        throw new ArithmeticError(
          `${op.text === '/' ? 'division' : 'modulo'} by zero at ${op.position}`,
          op.position,
        );
      } else {
        value = op.text === '/' ? value / right : value % right;
      }
    }
  }

  private unary(): number {
    const op = this.peek();
    if (op.kind === 'operator' && (op.text === '+' || op.text === '-')) {
      this.index++;
      const operand = this.nested(op, () => this.unary());
      return op.text === '-' ? -operand : operand;
    }
    return this.power();
  }

  private power(): number {
    const base = this.primary();
    const op = this.peek();
    if (op.kind !== 'operator' || op.text !== '^') return base;
    this.index++;
    const exponent = this.nested(op, () => this.unary());
    return base ** exponent;
  }

  private primary(): number {
    const token = this.next();
    switch (token.kind) {
      case 'number':
        return token.value ?? Number.NaN;
      case '(': {
        const value = this.nested(token, () => this.expression());
        this.expect(')', token);
        return value;
      }
      case 'name':
        return this.name(token);
      case 'operator':
      case ')':
      case ',':
      case 'end':
        throw unexpected(token);
    }
  }

  private name(token: Token): number {
    const key = token.text.toLowerCase();
    const fn = FUNCTIONS.get(key);
    if (fn !== undefined) {
      const open = this.next();
      if (open.kind !== '(') {
        throw new ArithmeticError(
          `function '${token.text}' needs parentheses, e.g. ${key}(x), at ${open.position}`,
          open.position,
        );
      }
      const args = this.nested(open, () => this.arguments(open));
      if (args.length < fn.minArgs || args.length > fn.maxArgs) {
        const wanted =
          fn.minArgs === fn.maxArgs
            ? `${fn.minArgs}`
            : fn.maxArgs >= 100
              ? `at least ${fn.minArgs}`
              : `${fn.minArgs} to ${fn.maxArgs}`;
        throw new ArithmeticError(
          `${key} takes ${wanted} argument${wanted === '1' ? '' : 's'}, got ${args.length}, at ${token.position}`,
          token.position,
        );
      }
      return fn.apply(args);
    }
    const constant = CONSTANTS.get(key);
    if (constant !== undefined) return constant;
    throw new ArithmeticError(`unknown name '${token.text}' at ${token.position}`, token.position);
  }

  private arguments(open: Token): number[] {
    const args = [this.expression()];
    while (this.peek().kind === ',') {
      this.index++;
      args.push(this.expression());
    }
    this.expect(')', open);
    return args;
  }

  /** Runs `parse` one nesting level deeper, refusing input nested beyond the limit. */
  private nested<T>(at: Token, parse: () => T): T {
    if (++this.depth > MAX_NESTING_DEPTH) {
      throw new ArithmeticError(
        `expression nested too deeply (more than ${MAX_NESTING_DEPTH} levels) at ${at.position}`,
        at.position,
      );
    }
    try {
      return parse();
    } finally {
      this.depth--;
    }
  }

  private expect(kind: TokenKind, opener: Token): void {
    const token = this.next();
    if (token.kind === kind) return;
    if (token.kind === 'end') {
      throw new ArithmeticError(
        `missing '${kind}' for '${opener.text}' at ${opener.position}`,
        token.position,
      );
    }
    throw unexpected(token);
  }

  private peek(): Token {
    // The token list always ends with `end`, and the parser never moves past it.
    return this.tokens[Math.min(this.index, this.tokens.length - 1)] as Token;
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== 'end') this.index++;
    return token;
  }
}

function unexpected(token: Token): ArithmeticError {
  const shown = token.kind === 'end' ? 'end of expression' : `'${token.text}'`;
  return new ArithmeticError(`unexpected ${shown} at ${token.position}`, token.position);
}

/**
 * Evaluates an arithmetic expression (see the grammar at the top of this file). Names are
 * case-insensitive; trigonometry is in radians. Throws {@link ArithmeticError} for a syntax
 * error, an unknown name, a wrong argument count, division or modulo by zero, input longer
 * than {@link MAX_EXPRESSION_LENGTH} or nested deeper than {@link MAX_NESTING_DEPTH}, and a
 * result that is not a finite real number (overflow, `sqrt(-1)`).
 */
export function evaluateArithmetic(expression: string): number {
  if (expression.length > MAX_EXPRESSION_LENGTH) {
    throw new ArithmeticError(
      `expression is too long (${expression.length} characters, at most ${MAX_EXPRESSION_LENGTH})`,
    );
  }
  const tokens = tokenize(expression);
  if (tokens.length === 1) throw new ArithmeticError('empty expression', 0);
  const value = new Parser(tokens).parseAll();
  if (Number.isNaN(value)) {
    throw new ArithmeticError('the result is not a real number (e.g. sqrt of a negative)');
  }
  if (!Number.isFinite(value)) throw new ArithmeticError('the result is too large to represent');
  return value;
}

/**
 * A result for people: rounded to {@link RESULT_SIGNIFICANT_DIGITS} significant digits
 * (so 0.1 + 0.2 shows as `0.3`), without `-0`, in plain notation between 1e-7 and 1e21 and
 * exponent notation outside it (JavaScript's own rule).
 */
export function formatArithmeticResult(value: number): string {
  const rounded = Number(value.toPrecision(RESULT_SIGNIFICANT_DIGITS));
  return Object.is(rounded, -0) ? '0' : String(rounded);
}
