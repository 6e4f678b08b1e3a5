import type { Command } from './command-handler.js';

/** `!model [name|list|reset]`: shows, lists, switches or resets the model of the current thread. */
export const modelCommand: Command = {
  name: 'model',
  summary: 'Show or switch the model agents use in this thread (`list`, a name, or `reset`)',
  usage: '!model [name|list|reset]',
  run: async (decision, context) => {
    const arg = decision.args.trim();
    const names = context.modelNames();
    const current = context.threadModel(decision.roomId, decision.threadRoot);
    const list = names
      .map((name) => `- \`${name}\`${name === current ? ' (this thread)' : ''}`)
      .join('\n');
    if (arg === '') {
      await context.reply(
        decision,
        current === undefined
          ? `This thread uses each agent's configured model. Switch with \`!model <name>\`:\n${list}`
          : `This thread uses \`${current}\`. \`!model reset\` goes back to each agent's own model.`,
      );
      return;
    }
    if (arg === 'list') {
      await context.reply(decision, `**Models**\n${list}`);
      return;
    }
    if (arg === 'reset') {
      context.setThreadModel(decision.roomId, decision.threadRoot, undefined);
      await context.reply(decision, "This thread is back to each agent's configured model.");
      return;
    }
    if (!names.includes(arg)) {
      await context.reply(decision, `There is no model called \`${arg}\`. Choose one of:\n${list}`);
      return;
    }
    context.setThreadModel(decision.roomId, decision.threadRoot, arg);
    await context.reply(decision, `Agents in this thread now use \`${arg}\`.`);
  },
};
