import type { ConfigAccessSource, ConfigAccessVerdict } from '../config/index.js';
import { decideConfigView } from '../config/index.js';
import type { Command, CommandContext, CommandDecision } from './command-handler.js';

const USAGE = '`!config show [path]`, `!config set <path> <value>`, `!config unset <path>`';
const NOT_ALLOWED =
  'Only config admins may use `!config` (see `quorum.config_admins` in config.yaml).';

/**
 * The daemon's config-access decisions, when its command context provides them (see
 * {@link ConfigAccessSource}). TODO(issue-12): make `ConfigAccessSource` part of
 * `CommandContext`; until then a context without it falls back to `mayEditConfig`, and the
 * config editor still enforces `config_command_enabled`, no `${`, and protected settings.
 */
export function configAccessOf(context: CommandContext): ConfigAccessSource | undefined {
  const candidate = context as CommandContext & Partial<ConfigAccessSource>;
  return typeof candidate.configAuthority === 'function' &&
    typeof candidate.decideConfigEdit === 'function'
    ? (candidate as CommandContext & ConfigAccessSource)
    : undefined;
}

async function viewVerdict(
  decision: CommandDecision,
  context: CommandContext,
): Promise<ConfigAccessVerdict> {
  const access = configAccessOf(context);
  if (access !== undefined) return decideConfigView(access.configAuthority(), decision.requester);
  return (await context.mayEditConfig(decision.requester, decision.roomId, ''))
    ? { isAllowed: true }
    : { isAllowed: false, reason: 'not-admin', message: NOT_ALLOWED };
}

async function editVerdict(
  decision: CommandDecision,
  context: CommandContext,
  path: string,
): Promise<ConfigAccessVerdict> {
  const access = configAccessOf(context);
  if (access !== undefined)
    return access.decideConfigEdit(decision.requester, decision.roomId, path);
  return (await context.mayEditConfig(decision.requester, decision.roomId, path))
    ? { isAllowed: true }
    : { isAllowed: false, reason: 'not-admin', message: NOT_ALLOWED };
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
      const verdict = await viewVerdict(decision, context);
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
