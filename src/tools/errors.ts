import { DaemonError } from '../shared/index.js';

/**
 * Error codes of `tools/`. A tool throws a {@link ToolError} for an expected failure (bad
 * input from the model, a refused action); the tool runner turns it, like any other thrown
 * error, into an error result the model reads. None of these escapes `ToolRunner.run`.
 *
 * - `invalid_arguments`: the arguments do not fit the tool's schema or meaning (an
 *   expression that does not parse, an unknown time zone). The message says what to fix.
 * - `refused`: the tool will not do this for this agent (e.g. posting to a room the agent
 *   is not in). The message says why.
 * - `unavailable`: a capability the tool needs is missing at run time.
 */
export type ToolErrorCode = 'invalid_arguments' | 'refused' | 'unavailable';

/**
 * An expected tool failure. `message` goes back to the model verbatim (after `Error: `), so
 * it must be safe to show and say what to do differently. Kind `upstream`: the fault lies with
 * the model's request, not with Quorum or the operator.
 */
export class ToolError extends DaemonError<ToolErrorCode> {
  constructor(code: ToolErrorCode, message: string, options: { readonly cause?: unknown } = {}) {
    super(code, 'upstream', message, options);
    this.name = 'ToolError';
  }
}
