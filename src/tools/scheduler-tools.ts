/**
 * MindRoom's `scheduler` tools: `schedule`, `list_schedules`, `cancel_schedule` and
 * `edit_schedule`, the same backend as the `!schedule` commands, acting in the room and thread
 * of the turn on behalf of the person who started it. `tools/` sits below `schedules/`, so the
 * backend is a structural interface that `ScheduleService` satisfies.
 */
import { ToolError } from './errors.js';
import type { Tool, ToolContext } from './tool.js';

/** Where a scheduler tool call acts: the turn's room, thread and requester. */
export interface SchedulerToolScope {
  readonly roomId: string;
  readonly threadRoot: string | undefined;
  readonly requester: string;
}

/** A schedule operation's answer (Markdown) and whether it worked. */
export interface SchedulerToolReply {
  readonly ok: boolean;
  readonly markdown: string;
}

/** What the scheduler tools call; `ScheduleService` from `schedules/` implements it. */
export interface SchedulerToolBackend {
  schedule(
    request: string,
    scope: SchedulerToolScope,
    options: {
      readonly newThread?: boolean;
      readonly historyLimit?: number;
      readonly signal?: AbortSignal;
    },
  ): Promise<SchedulerToolReply>;
  list(scope: SchedulerToolScope): SchedulerToolReply;
  cancel(argument: string, scope: SchedulerToolScope): SchedulerToolReply;
  edit(
    id: string,
    request: string,
    scope: SchedulerToolScope,
    options: { readonly historyLimit?: number; readonly signal?: AbortSignal },
  ): Promise<SchedulerToolReply>;
}

/** The name agents list in `tools:` to get these tools (MindRoom's toolkit name). */
export const SCHEDULER_TOOLKIT = 'scheduler';

const HISTORY_LIMIT = {
  type: 'integer',
  minimum: 0,
  maximum: 1_000,
  description:
    'Most recent thread messages the responder sees each time it fires: 0 for none (recommended for recurring polling tasks); omit for the usual history.',
} as const;

/** The four scheduler tools over `backend`. */
export function createSchedulerTools(backend: SchedulerToolBackend): readonly Tool[] {
  return [scheduleTool(backend), listTool(backend), cancelTool(backend), editTool(backend)];
}

function scheduleTool(backend: SchedulerToolBackend): Tool {
  return {
    name: 'schedule',
    description:
      'Schedule a task in this conversation, in natural language, exactly like the !schedule command: ' +
      '"in 5 minutes remind me to check the logs", "every weekday at 9am @analyst market report", ' +
      '"tomorrow at 3pm send the report", "cron 0 9 * * 1-5 stand-up". Mention an agent to have it answer; ' +
      'otherwise the router picks one. Returns the schedule id and when it runs.',
    parameters: {
      type: 'object',
      properties: {
        request: {
          type: 'string',
          minLength: 1,
          maxLength: 4_000,
          description: 'When, then what to post.',
        },
        new_thread: {
          type: 'boolean',
          description:
            'True: each fire starts a new thread in the room. False (default): post here.',
        },
        history_limit: HISTORY_LIMIT,
      },
      required: ['request'],
      additionalProperties: false,
    },
    run: async (args, context) => {
      const reply = await backend.schedule(stringArg(args, 'request'), scopeOf(context), {
        newThread: args['new_thread'] === true,
        ...historyOf(args),
        signal: context.signal,
      });
      return resultOf(reply);
    },
  };
}

function listTool(backend: SchedulerToolBackend): Tool {
  return {
    name: 'list_schedules',
    description: 'List the scheduled tasks of this room, with their ids and next run times.',
    parameters: { type: 'object', properties: {}, additionalProperties: false },
    run: (_args, context) => Promise.resolve(resultOf(backend.list(scopeOf(context)))),
  };
}

function cancelTool(backend: SchedulerToolBackend): Tool {
  return {
    name: 'cancel_schedule',
    description:
      'Cancel a scheduled task by its id (from list_schedules), or "all" for all of the requester\'s tasks here.',
    parameters: {
      type: 'object',
      properties: { task_id: { type: 'string', minLength: 1, maxLength: 200 } },
      required: ['task_id'],
      additionalProperties: false,
    },
    run: (args, context) =>
      Promise.resolve(resultOf(backend.cancel(stringArg(args, 'task_id'), scopeOf(context)))),
  };
}

function editTool(backend: SchedulerToolBackend): Tool {
  return {
    name: 'edit_schedule',
    description:
      'Change a scheduled task: its timing and/or what it posts, in natural language ("every weekday at 8am", "tomorrow at 10am check the build"). What the request leaves out stays.',
    parameters: {
      type: 'object',
      properties: {
        task_id: { type: 'string', minLength: 1, maxLength: 40 },
        request: { type: 'string', minLength: 1, maxLength: 4_000 },
        history_limit: HISTORY_LIMIT,
      },
      required: ['task_id', 'request'],
      additionalProperties: false,
    },
    run: async (args, context) => {
      const reply = await backend.edit(
        stringArg(args, 'task_id'),
        stringArg(args, 'request'),
        scopeOf(context),
        {
          ...historyOf(args),
          signal: context.signal,
        },
      );
      return resultOf(reply);
    },
  };
}

/** The turn's room and requester; a turn without a Matrix room (the OpenAI-compatible API) cannot schedule. */
function scopeOf(context: ToolContext): SchedulerToolScope {
  if (!context.roomId.startsWith('!')) {
    throw new ToolError(
      'unavailable',
      'scheduling needs a Matrix room to post in, and this conversation has none (ask in Matrix instead)',
    );
  }
  return { roomId: context.roomId, threadRoot: context.threadRoot, requester: context.requester };
}

function stringArg(args: Readonly<Record<string, unknown>>, name: string): string {
  const value = args[name];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ToolError('invalid_arguments', `\`${name}\` must be a non-empty string`);
  }
  return value;
}

function historyOf(args: Readonly<Record<string, unknown>>): { historyLimit?: number } {
  const value = args['history_limit'];
  return typeof value === 'number' && Number.isInteger(value) && value >= 0
    ? { historyLimit: value }
    : {};
}

/** The reply for the model; a refusal becomes a tool error with the reason. */
function resultOf(reply: SchedulerToolReply): string {
  if (!reply.ok) throw new ToolError('refused', reply.markdown.replace(/^❌\s*/u, ''));
  return reply.markdown;
}
