import { agentsCommand, helpCommand } from './basic-commands.js';
import { CommandRouter, type Command, type CommandContext } from './command-handler.js';
import { configCommand } from './config-command.js';
import { modelCommand } from './model-command.js';
import { usageCommand } from './usage-command.js';

/**
 * Quorum's own commands (`!help`, `!agents`, `!model`, `!usage`, `!config`), then those of
 * the services (`!schedule`, `!memory`, ...), behind one router; `!help` lists them all.
 */
export function fleetCommandRouter(
  serviceCommands: readonly Command[],
  context: CommandContext,
): CommandRouter {
  const router: CommandRouter = new CommandRouter(
    [
      helpCommand(() => router),
      agentsCommand,
      modelCommand,
      usageCommand,
      configCommand,
      ...serviceCommands,
    ],
    context,
  );
  return router;
}
