export { agentsCommand, helpCommand } from './basic-commands.js';
export { CommandRouter } from './command-handler.js';
export type {
  Command,
  CommandContext,
  CommandDecision,
  CommandEntityInfo,
  UsageLine,
} from './command-handler.js';
export { createMemoryCommand } from './memory-command.js';
export type { MemoryCommandBackend } from './memory-command.js';
export { modelCommand } from './model-command.js';
export { usageCommand } from './usage-command.js';
export { configCommand } from './config-command.js';
export { fleetCommandRouter } from './fleet-commands.js';
export { createCommandContext } from './command-context.js';
export type { CommandContextDeps } from './command-context.js';
export {
  createScheduleCommands,
  SCHEDULE_COMMAND_ALIASES,
  scheduleScopeOf,
} from './schedule-commands.js';
export type { ScheduleCommandBackend, ScheduleCommandOptions } from './schedule-commands.js';
