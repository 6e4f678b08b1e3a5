import { callContext } from './ask-user-tool.js';
import { ToolError } from './errors.js';
import type { Tool } from './tool.js';

/** Longest value text the tool accepts, in characters. */
export const MAX_CONFIG_VALUE_CHARS = 4_000;

/**
 * `propose_config_change`: proposes setting (or removing) one `config.yaml` setting. The
 * person who started the turn sees the exact diff and validation result and confirms with ✅
 * (or cancels with ❌); the turn waits for that. Only then is the file written, keeping its
 * comments, and the live reload applies it. Refusals (bad path or value, literal secrets, a
 * config that would be invalid, a person not allowed to change it) and failed writes reach the
 * model as errors. Needs the `interactions` capability; no per-call timeout.
 */
export const proposeConfigChangeTool: Tool = {
  name: 'propose_config_change',
  description:
    'Propose a change to the Quorum configuration (config.yaml) for the person you are ' +
    'talking to to confirm. Name the setting by its dotted path (agents.calc.model, ' +
    'room_models.lobby, tool_approval.rules[0].action) and give the new value as YAML ' +
    '(gpt-4o, true, 3, [a, b], {key: value}), or set remove to true to delete the setting. ' +
    'The person sees the exact change and confirms or cancels it; nothing changes without ' +
    'their confirmation. Secrets cannot be written: use ${ENV_VAR} references.',
  needs: ['interactions'],
  isInteractive: true,
  parameters: {
    type: 'object',
    properties: {
      path: {
        type: 'string',
        description: 'Dotted path of the setting, such as agents.calc.model.',
        minLength: 1,
        maxLength: 300,
      },
      value: {
        type: 'string',
        description: 'The new value as YAML text. Omit when removing.',
        maxLength: MAX_CONFIG_VALUE_CHARS,
      },
      remove: {
        type: 'boolean',
        description: 'True to remove the setting instead of setting a value.',
      },
      reason: {
        type: 'string',
        description: 'One sentence on why, shown to the person.',
        maxLength: 500,
      },
    },
    required: ['path'],
    additionalProperties: false,
  },
  run: async (args, context) => {
    const interactions = context.interactions;
    if (interactions === undefined) {
      throw new ToolError('unavailable', 'nobody can confirm config changes here');
    }
    const path = typeof args['path'] === 'string' ? args['path'].trim() : '';
    if (path === '') throw new ToolError('invalid_arguments', '`path` is empty');
    const isRemoval = args['remove'] === true;
    const value = typeof args['value'] === 'string' ? args['value'] : undefined;
    if (isRemoval && value !== undefined) {
      throw new ToolError('invalid_arguments', 'give either `value` or `remove: true`, not both');
    }
    if (!isRemoval && (value === undefined || value.trim() === '')) {
      throw new ToolError('invalid_arguments', 'give the new `value`, or `remove: true`');
    }
    const reason = typeof args['reason'] === 'string' ? args['reason'].trim() : '';
    const outcome = await interactions.proposeConfigChange(
      { path, value: isRemoval ? undefined : value, reason: reason === '' ? undefined : reason },
      callContext(context),
      { signal: context.signal },
    );
    switch (outcome.kind) {
      case 'applied':
        return `The person confirmed. ${outcome.path} was written to config.yaml; the running configuration reloads it now.`;
      case 'cancelled':
        return 'The person cancelled the change; config.yaml was not changed.';
      case 'expired':
        return 'The person did not confirm in time; config.yaml was not changed.';
      case 'refused':
        throw new ToolError('refused', `the change was not proposed: ${outcome.message}`);
      case 'failed':
        throw new ToolError(
          'refused',
          `the change was confirmed but not written: ${outcome.message}`,
        );
    }
  },
};
