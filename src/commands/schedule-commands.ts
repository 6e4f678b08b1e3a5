/**
 * `!schedule`, `!list_schedules`, `!cancel_schedule` and `!edit_schedule` (MindRoom's commands
 * and aliases), answered by the ScheduleService. A command written in a thread schedules for
 * that thread; one written in the room timeline schedules for the room.
 */
import type { ScheduleReply, ScheduleScope, ScheduleService } from '../schedules/index.js';
import type { Command, CommandDecision } from './command-handler.js';

/** The service methods the commands use. */
export type ScheduleCommandBackend = Pick<ScheduleService, 'schedule' | 'list' | 'cancel' | 'edit'>;

/** Options of {@link createScheduleCommands}. */
export interface ScheduleCommandOptions {
  /** Users the command event mentions explicitly (`m.mentions`, pills), when the caller knows them. */
  readonly mentionsOf?: (decision: CommandDecision) => readonly string[];
}

/**
 * MindRoom's other spellings of the schedule commands, mapped to Quorum's names. `!help` lists
 * only the canonical names; register an alias by routing its name to the canonical command.
 */
export const SCHEDULE_COMMAND_ALIASES: Readonly<Record<string, string>> = {
  listschedules: 'list_schedules',
  'list-schedules': 'list_schedules',
  list_schedule: 'list_schedules',
  listschedule: 'list_schedules',
  'list-schedule': 'list_schedules',
  inspect_schedules: 'list_schedules',
  inspectschedules: 'list_schedules',
  'inspect-schedules': 'list_schedules',
  inspect_schedule: 'list_schedules',
  inspectschedule: 'list_schedules',
  'inspect-schedule': 'list_schedules',
  cancelschedule: 'cancel_schedule',
  'cancel-schedule': 'cancel_schedule',
  editschedule: 'edit_schedule',
  'edit-schedule': 'edit_schedule',
};

/**
 * The schedule scope of a command: its thread, or the room when the command was a top-level
 * message (dispatch then sets `threadRoot` to the command's own event).
 */
export function scheduleScopeOf(
  decision: CommandDecision,
  mentionedUserIds: readonly string[] = [],
): ScheduleScope {
  return {
    roomId: decision.roomId,
    threadRoot: decision.threadRoot === decision.sourceEventId ? undefined : decision.threadRoot,
    requester: decision.requester,
    mentionedUserIds,
  };
}

/** The four schedule commands, in `!help` order. */
export function createScheduleCommands(
  backend: ScheduleCommandBackend,
  options: ScheduleCommandOptions = {},
): readonly Command[] {
  const scope = (decision: CommandDecision): ScheduleScope =>
    scheduleScopeOf(decision, options.mentionsOf?.(decision) ?? []);
  const answer = (reply: ScheduleReply): string => reply.markdown;
  return [
    {
      name: 'schedule',
      summary:
        'Schedule a task: `in 5 minutes …`, `tomorrow at 3pm …`, `every weekday at 9am @agent …`, `weekly on Friday …`, `cron 0 9 * * 1-5 …`',
      usage: '!schedule <when> <what>',
      run: async (decision, context) => {
        await context.reply(
          decision,
          answer(await backend.schedule(decision.args, scope(decision))),
        );
      },
    },
    {
      name: 'list_schedules',
      summary: 'List the scheduled tasks of this room',
      usage: '!list_schedules',
      run: async (decision, context) => {
        await context.reply(decision, answer(backend.list(scope(decision))));
      },
    },
    {
      name: 'cancel_schedule',
      summary: 'Cancel a scheduled task, or all of yours in this room',
      usage: '!cancel_schedule <id|all>',
      run: async (decision, context) => {
        await context.reply(decision, answer(backend.cancel(decision.args, scope(decision))));
      },
    },
    {
      name: 'edit_schedule',
      summary: 'Change when a scheduled task runs, or what it posts',
      usage: '!edit_schedule <id> <when> [what]',
      run: async (decision, context) => {
        const [id = '', ...rest] = decision.args.trim().split(/\s+/u);
        const text =
          id === ''
            ? '❌ Which one? `!edit_schedule <id> <new timing and message>` (ids are in `!list_schedules`).'
            : answer(await backend.edit(id, rest.join(' '), scope(decision)));
        await context.reply(decision, text);
      },
    },
  ];
}
