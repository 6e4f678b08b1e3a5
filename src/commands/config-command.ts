import type { ConfigAccessVerdict } from '../config/index.js';
import { decideConfigView } from '../config/index.js';
import type { Command, CommandContext, CommandDecision } from './command-handler.js';

const USAGE = '`!config show [path]`, `!config set <path> <value>`, `!config unset <path>`';
function viewVerdict(decision: CommandDecision, context: CommandContext): ConfigAccessVerdict {
  return decideConfigView(context.configAuthority(), decision.requester);
}

function editVerdict(
  decision: CommandDecision,
  context: CommandContext,
  path: string,
): Promise<ConfigAccessVerdict> {
  return context.decideConfigEdit(decision.requester, decision.roomId, path);
}

/**
 * `!config show [path]` prints the config as written (`${NAME}` references as they are, literal
 * secrets redacted); `!config set <path> <value>` and `!config unset <path>` offer a change with
 * its exact diff and validation result, which the person confirms with ✅ (written to
 * config.yaml with its comments kept, then applied live) or cancels with ❌.
 *
 * Off unless `authorization.config_command_enabled: true`; then for config admins only (room
 * admins may change their own room's entries). Settings that grant power (authorization,
 * tools, approvals, models, MCP servers, `quorum`, secrets) are never changed from chat, and a
 * value holding `${` is refused: chat never reads the environment.
 */
export const configCommand: Command = {
  name: 'config',
  summary: 'Show the config, or change a setting (config admins; confirmed with ✅)',
  usage: '!config show [path] | set <path> <value> | unset <path>',
  run: async (decision, context) => {
    const match = /^(\S+)(?:\s+(\S+))?(?:\s+([\s\S]+))?$/.exec(decision.args.trim());
    const [, action = '', path, value] = match ?? [];
    if (action === 'show') {
      const verdict = viewVerdict(decision, context);
      await context.reply(
        decision,
        verdict.isAllowed ? await context.showConfig(path ?? '') : verdict.message,
      );
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
    const verdict = await editVerdict(decision, context, path);
    if (!verdict.isAllowed) {
      await context.reply(decision, verdict.message);
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
