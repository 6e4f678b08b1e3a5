import { decideUsageView } from '../config/index.js';
import type { Command, CommandContext, CommandDecision, UsageLine } from './command-handler.js';

const DAY_MS = 24 * 60 * 60 * 1000;

function table(title: string, lines: readonly UsageLine[]): string {
  if (lines.length === 0) return `**${title}**: none yet`;
  const rows = lines
    .slice(0, 10)
    .map(
      (line) =>
        `- \`${line.key}\`: ${line.inputTokens + line.outputTokens} tokens (${line.inputTokens} in, ${line.outputTokens} out) in ${line.calls} calls`,
    );
  return [`**${title}**`, ...rows].join('\n');
}

/** Why `decision.requester` may not see usage, or `undefined` when they may (config admins). */
function refusalOf(decision: CommandDecision, context: CommandContext): string | undefined {
  const verdict = decideUsageView(context.configAuthority(), decision.requester);
  return verdict.isAllowed ? undefined : verdict.message;
}

/**
 * `!usage [days]`: token usage per agent, per room and per user over the last days (default
 * 30). For config admins only: it shows who talks to whom and how much.
 */
export const usageCommand: Command = {
  name: 'usage',
  summary: 'Token usage per agent, room and user (config admins; last 30 days, or `!usage <days>`)',
  usage: '!usage [days]',
  run: async (decision, context) => {
    const refusal = refusalOf(decision, context);
    if (refusal !== undefined) {
      await context.reply(decision, refusal);
      return;
    }
    const days = Number.parseInt(decision.args.trim() || '30', 10);
    const window = Number.isFinite(days) && days > 0 ? Math.min(days, 3650) : 30;
    const since = context.now() - window * DAY_MS;
    await context.reply(
      decision,
      [
        `Token usage, last ${window} day${window === 1 ? '' : 's'}:`,
        table('By agent', context.usage('responder', since)),
        table('By room', context.usage('room', since)),
        table('By user', context.usage('user', since)),
      ].join('\n\n'),
    );
  },
};
