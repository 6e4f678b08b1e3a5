import { ToolError } from './errors.js';
import type { KnownRoom, Tool } from './tool.js';

/** Longest message the tool posts, in characters; longer text is refused, not cut. */
export const MAX_MATRIX_MESSAGE_CHARS = 20_000;
/** How many rooms an error lists when the target room is not one of the agent's. */
const MAX_ROOMS_LISTED = 20;

/**
 * `matrix_message`: posts a Markdown message, as the agent, to a room the agent has joined,
 * named by room id (`!abc:server`), alias (`#lobby:server`) or config room key (`lobby`).
 * Refuses (`ToolError` `refused`) any room the agent is not in, listing those it is in.
 * Answers with the new event id. Needs the `messaging` capability.
 */
export const matrixMessageTool: Tool = {
  name: 'matrix_message',
  description:
    'Post a new message (Markdown) as yourself to a Matrix room you are in: another room, ' +
    'or this room outside the current thread. Your normal reply already goes to the current ' +
    'conversation; use this only to tell a different room something. Returns the event id.',
  needs: ['messaging'],
  parameters: {
    type: 'object',
    properties: {
      room: {
        type: 'string',
        description: 'Room id (!abc:server), alias (#name:server) or room name from your config.',
        minLength: 1,
      },
      message: {
        type: 'string',
        description: 'The message text, in Markdown.',
        minLength: 1,
        maxLength: MAX_MATRIX_MESSAGE_CHARS,
      },
    },
    required: ['room', 'message'],
    additionalProperties: false,
  },
  run: async (args, context) => {
    const messaging = context.messaging;
    if (messaging === undefined) {
      throw new ToolError('unavailable', 'this agent cannot post Matrix messages');
    }
    const target = stringArg(args, 'room').trim();
    const message = stringArg(args, 'message');
    if (message.trim() === '') throw new ToolError('invalid_arguments', '`message` is empty');
    const rooms = await messaging.joinedRooms();
    context.signal.throwIfAborted();
    const room = findRoom(rooms, target);
    if (room === undefined) {
      throw new ToolError(
        'refused',
        `you are not in a room called ${JSON.stringify(target)}. ${describeRooms(rooms)}`,
      );
    }
    const eventId = await messaging.postMessage(room.roomId, message, { signal: context.signal });
    context.log.info('tool posted a message', { targetRoomId: room.roomId, eventId });
    return `Posted to ${room.roomId} as event ${eventId}.`;
  },
};

function stringArg(args: Readonly<Record<string, unknown>>, name: string): string {
  const value = args[name];
  if (typeof value !== 'string')
    throw new ToolError('invalid_arguments', `\`${name}\` is required`);
  return value;
}

/**
 * The joined room `target` names: by exact room id, or by alias or config key compared
 * without case (aliases are case-insensitive in practice; room ids are not).
 */
export function findRoom(rooms: readonly KnownRoom[], target: string): KnownRoom | undefined {
  const byId = rooms.find((room) => room.roomId === target);
  if (byId !== undefined) return byId;
  const lowered = target.toLowerCase();
  return rooms.find((room) => room.aliases.some((alias) => alias.toLowerCase() === lowered));
}

function describeRooms(rooms: readonly KnownRoom[]): string {
  if (rooms.length === 0) return 'You are not in any room you can post to.';
  const lines = rooms.slice(0, MAX_ROOMS_LISTED).map((room) => {
    const names = [room.name, ...room.aliases].filter((n): n is string => n !== undefined);
    return `- ${room.roomId}${names.length > 0 ? ` (${names.join(', ')})` : ''}`;
  });
  const more =
    rooms.length > MAX_ROOMS_LISTED ? `\n…and ${rooms.length - MAX_ROOMS_LISTED} more` : '';
  return `Rooms you can post to:\n${lines.join('\n')}${more}`;
}
