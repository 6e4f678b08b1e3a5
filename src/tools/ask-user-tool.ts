import { ToolError } from './errors.js';
import type { InteractionCallContext, Tool, ToolContext } from './tool.js';

/** Fewest and most options a question may offer (the reactions run 1️⃣ … 🔟). */
export const MIN_ASK_OPTIONS = 2;
export const MAX_ASK_OPTIONS = 10;
/** Longest question and option text, in characters. */
export const MAX_QUESTION_CHARS = 500;
export const MAX_OPTION_CHARS = 200;

/**
 * `ask_user`: asks the person who started the turn to choose one of 2–10 options, and waits
 * (the turn pauses inside this call) until they react with the option's number, reply naming
 * it, dismiss the question, or it expires. Answers the model with the choice, or with why
 * there is none. No per-call timeout (`isInteractive`): the question's own expiry ends it.
 * Needs the `interactions` capability.
 */
export const askUserTool: Tool = {
  name: 'ask_user',
  description:
    'Ask the person you are talking to a multiple-choice question and wait for their choice. ' +
    'Use it when you need them to decide between a few concrete options before you go on ' +
    '(not for open questions: ask those in your reply). They see the question with numbered ' +
    'options and answer by reacting or replying. Returns the option they chose.',
  needs: ['interactions'],
  isInteractive: true,
  parameters: {
    type: 'object',
    properties: {
      question: {
        type: 'string',
        description: 'The question, one short sentence.',
        minLength: 1,
        maxLength: MAX_QUESTION_CHARS,
      },
      options: {
        type: 'array',
        description: `The choices, ${MIN_ASK_OPTIONS} to ${MAX_ASK_OPTIONS}, each a few words; shown numbered in this order.`,
        items: { type: 'string', minLength: 1, maxLength: MAX_OPTION_CHARS },
        minItems: MIN_ASK_OPTIONS,
        maxItems: MAX_ASK_OPTIONS,
      },
    },
    required: ['question', 'options'],
    additionalProperties: false,
  },
  run: async (args, context) => {
    const interactions = context.interactions;
    if (interactions === undefined) {
      throw new ToolError('unavailable', 'nobody can answer questions here');
    }
    const question = typeof args['question'] === 'string' ? args['question'].trim() : '';
    if (question === '') throw new ToolError('invalid_arguments', '`question` is empty');
    const options = checkOptions(args['options']);
    const outcome = await interactions.ask({ question, options }, callContext(context), {
      signal: context.signal,
    });
    switch (outcome.kind) {
      case 'answered':
        return `The person chose option ${outcome.index + 1}: ${outcome.option}`;
      case 'expired':
        return 'The person did not answer before the question expired. Go on without their choice, or tell them what you need.';
      case 'cancelled':
        return 'The person dismissed the question without choosing.';
    }
  },
};

function checkOptions(value: unknown): string[] {
  if (!Array.isArray(value)) throw new ToolError('invalid_arguments', '`options` must be a list');
  const options = value.map((option: unknown) => (typeof option === 'string' ? option.trim() : ''));
  if (options.length < MIN_ASK_OPTIONS || options.length > MAX_ASK_OPTIONS) {
    throw new ToolError(
      'invalid_arguments',
      `give ${MIN_ASK_OPTIONS} to ${MAX_ASK_OPTIONS} options, not ${options.length}`,
    );
  }
  if (options.some((option) => option === '')) {
    throw new ToolError('invalid_arguments', 'every option needs some text');
  }
  const seen = new Set(options.map((option) => option.toLowerCase()));
  if (seen.size !== options.length) {
    throw new ToolError('invalid_arguments', 'the options must differ from each other');
  }
  return options;
}

/** The part of a tool context an interaction needs. */
export function callContext(context: ToolContext): InteractionCallContext {
  return {
    agentName: context.agentName,
    roomId: context.roomId,
    threadRoot: context.threadRoot,
    requester: context.requester,
    toolCallId: context.toolCallId,
    sourceEventId: context.sourceEventId,
  };
}
