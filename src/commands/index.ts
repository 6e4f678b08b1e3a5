export { agentsCommand, helpCommand } from './basic-commands.js';
export { CommandRouter } from './command-handler.js';
export type {
  Command,
  CommandContext,
  CommandDecision,
  CommandEntityInfo,
} from './command-handler.js';
