import type { Command, CommandRouter } from './command-handler.js';

/** `!help [command]`: lists commands, or explains one. */
export function helpCommand(router: () => CommandRouter): Command {
  return {
    name: 'help',
    summary: 'List commands, or explain one',
    usage: '!help [command]',
    run: async (decision, context) => {
      const topic = decision.args.replace(/^!/, '').trim().toLowerCase();
      const commands = router();
      const named = topic.length > 0 ? commands.command(topic) : undefined;
      if (named !== undefined) {
        await context.reply(decision, `**${named.usage}**: ${named.summary}.`);
        return;
      }
      const lines = commands.names.map((name) => {
        const command = commands.command(name);
        return command === undefined ? '' : `- \`${command.usage}\`: ${command.summary}`;
      });
      await context.reply(
        decision,
        [
          'Mention an agent (for example `@calc`) to ask it something, or just write and the right agent answers.',
          'React 🛑 to a reply that is being written to stop it.',
          '',
          '**Commands**',
          ...lines,
        ].join('\n'),
      );
    },
  };
}

/** `!agents`: who is here, with roles and models. */
export const agentsCommand: Command = {
  name: 'agents',
  summary: 'List the agents and teams, their roles and models',
  usage: '!agents',
  run: async (decision, context) => {
    const entities = context.entities(decision.roomId);
    if (entities.length === 0) {
      await context.reply(decision, 'No agents are configured.');
      return;
    }
    const here = entities.filter((entity) => entity.isInRoom);
    const elsewhere = entities.filter((entity) => !entity.isInRoom);
    const line = (entity: (typeof entities)[number]): string =>
      `- **${entity.displayName}** (\`@${entity.name}\`${entity.kind === 'team' ? ', team' : ''}, model \`${entity.model}\`)${entity.role.length > 0 ? `: ${entity.role}` : ''}`;
    const sections = [`**In this room**`, ...(here.length > 0 ? here.map(line) : ['- nobody'])];
    if (elsewhere.length > 0) sections.push('', '**Elsewhere**', ...elsewhere.map(line));
    await context.reply(decision, sections.join('\n'));
  },
};
