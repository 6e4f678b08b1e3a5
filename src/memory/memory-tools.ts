import type { Tool, ToolContext } from '../tools/index.js';
import { ToolError } from '../tools/index.js';
import { oneLine } from './context-provider.js';
import type { MemoryActor, MemoryService, MemorySettings } from './memory-service.js';
import { MAX_MEMORY_CHARS, MemoryError } from './memory-service.js';

/** The tool name an agent lists in `tools:` to get the memory tools (MindRoom's). */
export const MEMORY_TOOLKIT = 'memory';

/** Names of the tools {@link createMemoryTools} returns. */
export const MEMORY_TOOL_NAMES = [
  'add_memory',
  'search_memories',
  'list_memories',
  'get_memory',
  'update_memory',
  'delete_memory',
] as const;

const MAX_LIST = 50;

function actorOf(context: ToolContext): MemoryActor {
  return {
    owner: context.agentName,
    requester: context.requester,
    roomId: context.roomId,
    threadRoot: context.threadRoot,
    eventId: context.sourceEventId,
  };
}

function stringArg(args: Readonly<Record<string, unknown>>, name: string): string {
  const value = args[name];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ToolError('invalid_arguments', `'${name}' must be a non-empty string`);
  }
  return value;
}

function limitArg(args: Readonly<Record<string, unknown>>, fallback: number): number {
  const value = args['limit'];
  if (value === undefined) return fallback;
  return typeof value === 'number' && Number.isFinite(value)
    ? Math.min(MAX_LIST, Math.max(1, Math.floor(value)))
    : fallback;
}

function line(memory: { id: string; text: string }): string {
  return `[id=${memory.id}] ${oneLine(memory.text, 1_000)}`;
}

/**
 * MindRoom's memory tools (`add_memory`, `search_memories`, `list_memories`, `get_memory`,
 * `update_memory`, `delete_memory`) over a {@link MemoryService}: what the calling agent
 * remembers about the requester (and the room, when room memories are on). The requester and
 * scope come from the call context, never from the model's arguments, so a model cannot read
 * or write another person's memories. Give them to agents that list {@link MEMORY_TOOLKIT}
 * in `tools:` and whose memory backend is not `none`.
 */
export function createMemoryTools(service: MemoryService, settings: () => MemorySettings): Tool[] {
  const guard: Guard = async (context, action) => {
    if (!settings().isEnabledFor(context.agentName)) {
      throw new ToolError(
        'unavailable',
        'memory is turned off for this agent (memory_backend: none)',
      );
    }
    try {
      return await action();
    } catch (error: unknown) {
      if (error instanceof MemoryError) {
        throw new ToolError(
          error.code === 'not_found' ? 'invalid_arguments' : 'refused',
          error.message,
        );
      }
      throw error;
    }
  };
  const roomScope = settings().policy.roomMemories;
  return [
    addMemoryTool(service, guard, roomScope),
    searchMemoriesTool(service, guard),
    listMemoriesTool(service, guard),
    getMemoryTool(service, guard),
    updateMemoryTool(service, guard),
    deleteMemoryTool(service, guard),
  ];
}

/** Runs a tool's action when memory is on for the agent, with memory errors as tool errors. */
type Guard = <T>(context: ToolContext, action: () => Promise<T> | T) => Promise<T>;

/** MindRoom's `add_memory`. */
function addMemoryTool(service: MemoryService, guard: Guard, roomScope: boolean): Tool {
  return {
    name: 'add_memory',
    description:
      'Store a specific fact or piece of information about the person you are talking to (or, with scope "room", about this room), to remember it in later conversations.',
    parameters: {
      type: 'object',
      properties: {
        content: {
          type: 'string',
          description: 'The fact or information to memorize.',
          minLength: 1,
          maxLength: MAX_MEMORY_CHARS,
        },
        ...(roomScope
          ? {
              scope: {
                type: 'string',
                enum: ['person', 'room'],
                description:
                  'person (default): about this person; room: shared with everyone in this room.',
              },
            }
          : {}),
      },
      required: ['content'],
      additionalProperties: false,
    },
    run: (args, context) =>
      guard(context, async () => {
        const scope = args['scope'] === 'room' ? 'room' : 'person';
        const memory = await service.add(actorOf(context), stringArg(args, 'content'), {
          scope,
          signal: context.signal,
        });
        return `Memorized [id=${memory.id}]: ${oneLine(memory.text, 1_000)}`;
      }),
  };
}

/** MindRoom's `search_memories`. */
function searchMemoriesTool(service: MemoryService, guard: Guard): Tool {
  return {
    name: 'search_memories',
    description: 'Search your memories for information relevant to a query.',
    parameters: {
      type: 'object',
      properties: {
        query: {
          type: 'string',
          description: 'What to search for in your memories.',
          minLength: 1,
        },
        limit: {
          type: 'integer',
          description: 'Maximum number of results to return (default 5).',
          minimum: 1,
          maximum: MAX_LIST,
        },
      },
      required: ['query'],
      additionalProperties: false,
    },
    run: (args, context) =>
      guard(context, async () => {
        const hits = await service.search(
          actorOf(context),
          stringArg(args, 'query'),
          limitArg(args, 5),
          { signal: context.signal },
        );
        if (hits.length === 0) return 'No matching memories.';
        return hits.map((hit) => line(hit.memory)).join('\n');
      }),
  };
}

/** MindRoom's `list_memories`. */
function listMemoriesTool(service: MemoryService, guard: Guard): Tool {
  return {
    name: 'list_memories',
    description: 'List your stored memories about the person you are talking to, newest first.',
    parameters: {
      type: 'object',
      properties: {
        limit: {
          type: 'integer',
          description: 'Maximum number of memories to return (default 50).',
          minimum: 1,
          maximum: MAX_LIST,
        },
      },
      additionalProperties: false,
    },
    run: (args, context) =>
      guard(context, () => {
        const memories = service.list(actorOf(context), limitArg(args, MAX_LIST));
        return memories.length === 0 ? 'No memories stored yet.' : memories.map(line).join('\n');
      }),
  };
}

/** MindRoom's `get_memory`. */
function getMemoryTool(service: MemoryService, guard: Guard): Tool {
  return {
    name: 'get_memory',
    description: 'Retrieve a single memory by its ID (shown in search/list results as [id=...]).',
    parameters: {
      type: 'object',
      properties: {
        memory_id: {
          type: 'string',
          description: 'The ID of the memory to retrieve.',
          minLength: 1,
        },
      },
      required: ['memory_id'],
      additionalProperties: false,
    },
    run: (args, context) =>
      guard(context, () => line(service.get(actorOf(context), stringArg(args, 'memory_id')))),
  };
}

/** MindRoom's `update_memory`. */
function updateMemoryTool(service: MemoryService, guard: Guard): Tool {
  return {
    name: 'update_memory',
    description:
      'Update the content of a specific memory by its ID (shown in search/list results as [id=...]).',
    parameters: {
      type: 'object',
      properties: {
        memory_id: {
          type: 'string',
          description: 'The ID of the memory to update.',
          minLength: 1,
        },
        new_content: {
          type: 'string',
          description: 'The new content to replace the existing memory with.',
          minLength: 1,
          maxLength: MAX_MEMORY_CHARS,
        },
      },
      required: ['memory_id', 'new_content'],
      additionalProperties: false,
    },
    run: (args, context) =>
      guard(context, async () => {
        const memory = await service.update(
          actorOf(context),
          stringArg(args, 'memory_id'),
          stringArg(args, 'new_content'),
          context.signal,
        );
        return `Updated memory ${line(memory)}`;
      }),
  };
}

/** MindRoom's `delete_memory`. */
function deleteMemoryTool(service: MemoryService, guard: Guard): Tool {
  return {
    name: 'delete_memory',
    description: 'Delete a single memory by its ID (shown in search/list results as [id=...]).',
    parameters: {
      type: 'object',
      properties: {
        memory_id: {
          type: 'string',
          description: 'The ID of the memory to delete.',
          minLength: 1,
        },
      },
      required: ['memory_id'],
      additionalProperties: false,
    },
    run: (args, context) =>
      guard(context, () => {
        const memory = service.delete(actorOf(context), stringArg(args, 'memory_id'));
        return `Deleted memory [id=${memory.id}]`;
      }),
  };
}
