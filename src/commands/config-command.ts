import type { Command } from './command-handler.js';

const USAGE = '`!config show [path]`, `!config set <path> <value>`, `!config unset <path>`';

/**
 * `!config show [path]` prints the config (secrets redacted); `!config set <path> <value>` and
 * `!config unset <path>` offer a change with its exact diff and validation result, which the
 * person confirms with ✅ (written to config.yaml with its comments kept, then applied live)
 * or cancels with ❌. Only global users may change settings; room admins may change the
 * settings of their room.
 */
export const configCommand: Command = {
  name: 'config',
  summary: 'Show the config, or change a setting (confirmed with ✅)',
  usage: '!config show [path] | set <path> <value> | unset <path>',
  run: async (decision, context) => {
    const match = /^(\S+)(?:\s+(\S+))?(?:\s+([\s\S]+))?$/.exec(decision.args.trim());
    const [, action = '', path, value] = match ?? [];
    if (action === 'show') {
      await context.reply(decision, await context.showConfig(path ?? ''));
      return;
    }
    if (
      (action !== 'set' && action !== 'unset') ||
      path === undefined ||
      (action === 'set' && value === undefined)
    ) {
      await context.reply(decision, `Usage: ${USAGE}.`);
      return;
    }
    if (!(await context.mayEditConfig(decision.requester, decision.roomId, path))) {
      await context.reply(
        decision,
        'Only global users (or room admins, for settings of their room) may change the config.',
      );
      return;
    }
    const refusal = await context.offerConfigChange(
      decision,
      path,
      action === 'set' ? value : undefined,
    );
    if (refusal !== undefined) await context.reply(decision, `Not offered: ${refusal}`);
  },
};
