import {
  ARITHMETIC_CONSTANTS,
  ARITHMETIC_FUNCTIONS,
  ArithmeticError,
  evaluateArithmetic,
  formatArithmeticResult,
  MAX_EXPRESSION_LENGTH,
} from './arithmetic.js';
import { ToolError } from './errors.js';
import type { Tool } from './tool.js';

/**
 * `calculator`: evaluates one arithmetic expression with the safe evaluator of
 * arithmetic.ts and answers with the result alone (`0.3`). A syntax or math error becomes a
 * `ToolError` whose message names the position, so the model can correct the expression.
 */
export const calculatorTool: Tool = {
  name: 'calculator',
  description:
    'Evaluate an arithmetic expression exactly, instead of computing in your head. ' +
    'Supports + - * / % ^ (power), parentheses, decimals and exponents (1e-3), ' +
    `the constants ${ARITHMETIC_CONSTANTS.join(', ')}, and the functions ` +
    `${ARITHMETIC_FUNCTIONS.join(', ')} (trigonometry in radians; log is natural; ` +
    'round(x, digits)). Returns the result, rounded to 12 significant digits.',
  parameters: {
    type: 'object',
    properties: {
      expression: {
        type: 'string',
        description: 'The expression, e.g. "(1.5 + 2) * sqrt(16) / 3" or "2^10 % 7".',
        minLength: 1,
        maxLength: MAX_EXPRESSION_LENGTH,
      },
    },
    required: ['expression'],
    additionalProperties: false,
  },
  run: (args) => {
    const expression = args['expression'];
    if (typeof expression !== 'string') {
      return Promise.reject(new ToolError('invalid_arguments', '`expression` must be a string'));
    }
    try {
      return Promise.resolve(formatArithmeticResult(evaluateArithmetic(expression)));
    } catch (error: unknown) {
      if (!(error instanceof ArithmeticError)) throw error;
      return Promise.reject(
        new ToolError('invalid_arguments', `${error.message} in ${JSON.stringify(expression)}`, {
          cause: error,
        }),
      );
    }
  },
};
