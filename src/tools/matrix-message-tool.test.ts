import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.js';
import { AbortReason, silentLogger } from '../shared/index.js';
import { ToolError } from './errors.js';
import { findRoom, matrixMessageTool } from './matrix-message-tool.js';
import type { AgentMessaging, KnownRoom, ToolContext } from './tool.js';

const ROOMS: KnownRoom[] = [
  { roomId: '!lobby:example.org', aliases: ['#Lobby:example.org', 'lobby'], name: 'Lobby' },
  { roomId: '!dev:example.org', aliases: [] },
];

class RecordingMessaging implements AgentMessaging {
  readonly posts: { roomId: string; markdown: string; signal: AbortSignal }[] = [];
  constructor(private readonly rooms: readonly KnownRoom[] = ROOMS) {}
  joinedRooms(): Promise<readonly KnownRoom[]> {
    return Promise.resolve(this.rooms);
  }
  postMessage(roomId: string, markdown: string, options: { signal: AbortSignal }): Promise<string> {
    options.signal.throwIfAborted();
    this.posts.push({ roomId, markdown, signal: options.signal });
    return Promise.resolve(`$event${this.posts.length}`);
  }
}

function context(messaging: AgentMessaging | undefined, signal?: AbortSignal): ToolContext {
  return {
    agentName: 'helper',
    roomId: '!lobby:example.org',
    threadRoot: '$root',
    requester: '@alice:example.org',
    signal: signal ?? new AbortController().signal,
    clock: new FakeClock(),
    timezone: 'UTC',
    log: silentLogger,
    ...(messaging === undefined ? {} : { messaging }),
  };
}

describe('matrix_message', () => {
  it('posts to a room named by id and returns the event id', async () => {
    const messaging = new RecordingMessaging();
    const signal = new AbortController().signal;
    const result = await matrixMessageTool.run(
      { room: '!dev:example.org', message: '**done**' },
      context(messaging, signal),
    );
    expect(result).toBe('Posted to !dev:example.org as event $event1.');
    expect(messaging.posts).toEqual([{ roomId: '!dev:example.org', markdown: '**done**', signal }]);
  });

  it('finds a room by alias or config key, ignoring case', async () => {
    const messaging = new RecordingMessaging();
    await matrixMessageTool.run({ room: '#lobby:EXAMPLE.org', message: 'a' }, context(messaging));
    await matrixMessageTool.run({ room: ' lobby ', message: 'b' }, context(messaging));
    expect(messaging.posts.map((post) => post.roomId)).toEqual([
      '!lobby:example.org',
      '!lobby:example.org',
    ]);
  });

  it('refuses a room the agent is not in and lists the rooms it is in', async () => {
    const messaging = new RecordingMessaging();
    const failure = matrixMessageTool.run(
      { room: '!secret:example.org', message: 'hi' },
      context(messaging),
    );
    await expect(failure).rejects.toBeInstanceOf(ToolError);
    await expect(failure).rejects.toThrow(
      'you are not in a room called "!secret:example.org". Rooms you can post to:\n' +
        '- !lobby:example.org (Lobby, #Lobby:example.org, lobby)\n- !dev:example.org',
    );
    expect(messaging.posts).toEqual([]);
  });

  it('does not match room ids case-insensitively', async () => {
    const messaging = new RecordingMessaging();
    await expect(
      matrixMessageTool.run({ room: '!DEV:example.org', message: 'hi' }, context(messaging)),
    ).rejects.toThrow('you are not in a room called');
  });

  it('refuses a blank message', async () => {
    await expect(
      matrixMessageTool.run({ room: 'lobby', message: '  ' }, context(new RecordingMessaging())),
    ).rejects.toThrow('`message` is empty');
  });

  it('says when the agent cannot post at all', async () => {
    await expect(
      matrixMessageTool.run({ room: 'lobby', message: 'hi' }, context(undefined)),
    ).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('says when the agent is in no room', async () => {
    await expect(
      matrixMessageTool.run({ room: 'lobby', message: 'hi' }, context(new RecordingMessaging([]))),
    ).rejects.toThrow('You are not in any room you can post to.');
  });

  it('does not post once the call is aborted', async () => {
    const messaging = new RecordingMessaging();
    const controller = new AbortController();
    controller.abort(new AbortReason('stopped'));
    await expect(
      matrixMessageTool.run(
        { room: 'lobby', message: 'hi' },
        context(messaging, controller.signal),
      ),
    ).rejects.toBeInstanceOf(AbortReason);
    expect(messaging.posts).toEqual([]);
  });
});

describe('findRoom', () => {
  it('prefers an exact room id over an alias that spells the same', () => {
    const rooms: KnownRoom[] = [
      { roomId: '!a:x', aliases: ['!b:x'] },
      { roomId: '!b:x', aliases: [] },
    ];
    expect(findRoom(rooms, '!b:x')?.roomId).toBe('!b:x');
  });
});
