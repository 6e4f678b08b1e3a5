import { describe, expect, it } from 'vitest';
import type { AuthorizationRules } from './authorization.js';
import type { DispatchContext, EntityView, MessageInput, TurnView } from './dispatch-types.js';
import { decide } from './dispatcher.js';

const ROOM = '!lobby:hs';
const NOW = 1_000_000_000;

function entity(name: string, kind: EntityView['kind'] = 'agent', rooms = [ROOM]): EntityView {
  const localpart = kind === 'router' ? 'quorum_router' : `quorum_${name}`;
  return {
    name,
    kind,
    userId: `@${localpart}:hs`,
    displayName: name === 'calc' ? 'Calculator' : name[0]!.toUpperCase() + name.slice(1),
    rooms: new Set(rooms),
    acceptsInvites: true,
  };
}

const router = entity('router', 'router');
const calc = entity('calc');
const scribe = entity('scribe');

const authorization: AuthorizationRules = {
  globalUsers: new Set(['@alice:hs']),
  roomPermissions: new Map(),
  defaultRoomAccess: true,
  allowFederation: false,
  serverName: 'hs',
};

function context(overrides: Partial<DispatchContext> = {}): DispatchContext {
  return {
    entities: [router, calc, scribe],
    teams: new Map(),
    botAccounts: new Set(['@bridge:hs']),
    authorization,
    room: {
      roomId: ROOM,
      joinedEntities: new Set(['router', 'calc', 'scribe']),
      directEntities: new Set(),
    },
    thread: undefined,
    targetTurns: [],
    replyTurn: undefined,
    nowMs: NOW,
    catchUpWindowMs: 15 * 60_000,
    ...overrides,
  };
}

function message(overrides: Partial<MessageInput> = {}): MessageInput {
  return {
    kind: 'message',
    eventId: '$m',
    roomId: ROOM,
    sender: '@alice:hs',
    body: 'hello',
    threadRoot: undefined,
    mentionedUserIds: [],
    originTs: NOW - 1000,
    isFinal: true,
    isNotice: false,
    ...overrides,
  };
}

function turn(overrides: Partial<TurnView> = {}): TurnView {
  return {
    responder: 'calc',
    sourceEventId: '$m',
    requester: '@alice:hs',
    replyEventId: '$r',
    isOpen: true,
    ...overrides,
  };
}

describe('dispatcher: messages', () => {
  it('answers a mention with that agent only, in a thread rooted at the message', () => {
    expect(decide(message({ mentionedUserIds: [calc.userId] }), context())).toEqual({
      kind: 'respond',
      responders: ['calc'],
      sourceEventId: '$m',
      sourceVersion: '$m',
      requester: '@alice:hs',
      threadRoot: '$m',
      via: 'mention',
    });
  });

  it('recognises plain-text mentions by name, localpart and display name', () => {
    for (const body of ['@calc what is 2+2', 'hey @quorum_calc', 'ask @Calculator please']) {
      expect(decide(message({ body }), context())).toMatchObject({ responders: ['calc'] });
    }
    expect(decide(message({ body: 'email me at calc@example.org' }), context())).toMatchObject({
      kind: 'route',
    });
  });

  it('forms an ad-hoc team of several mentioned agents, in config order', () => {
    const decision = decide(message({ mentionedUserIds: [scribe.userId, calc.userId] }), context());
    expect(decision).toMatchObject({
      kind: 'team',
      members: ['calc', 'scribe'],
      mode: 'collaborate',
      via: 'mention',
    });
  });

  it('keeps a thread two agents answered working as their team', () => {
    const thread = {
      rootId: '$root',
      senders: new Set(['@alice:hs']),
      responders: ['calc', 'scribe'],
      openTurns: [],
    };
    expect(decide(message({ threadRoot: '$root' }), context({ thread }))).toMatchObject({
      kind: 'team',
      members: ['calc', 'scribe'],
      via: 'thread',
    });
  });

  it('lets a configured team speak for its members when mentioned with them', () => {
    const crew = entity('crew', 'team');
    const teams = new Map([['crew', ['calc', 'scribe']]]);
    const room = {
      roomId: ROOM,
      joinedEntities: new Set(['router', 'calc', 'scribe', 'crew']),
      directEntities: new Set<string>(),
    };
    expect(
      decide(
        message({ mentionedUserIds: [crew.userId, calc.userId] }),
        context({ entities: [router, calc, scribe, crew], teams, room }),
      ),
    ).toMatchObject({ kind: 'respond', responders: ['crew'] });
  });

  it('ignores mentions of agents that are not in the room', () => {
    const room = {
      roomId: ROOM,
      joinedEntities: new Set(['router', 'scribe']),
      directEntities: new Set<string>(),
    };
    const decision = decide(message({ mentionedUserIds: [calc.userId] }), context({ room }));
    expect(decision).toMatchObject({ kind: 'respond', responders: ['scribe'], via: 'only-agent' });
  });

  it('keeps replies in the existing thread', () => {
    const decision = decide(
      message({ threadRoot: '$root', mentionedUserIds: [calc.userId] }),
      context(),
    );
    expect(decision).toMatchObject({ threadRoot: '$root' });
  });

  it('gives unauthorized and federated users nothing', () => {
    const closed = { ...authorization, defaultRoomAccess: false };
    expect(
      decide(
        message({ sender: '@mallory:hs', mentionedUserIds: [calc.userId] }),
        context({ authorization: closed }),
      ),
    ).toEqual({
      kind: 'ignore',
      reason: 'unauthorized',
    });
    expect(
      decide(message({ sender: '@eve:elsewhere', mentionedUserIds: [calc.userId] }), context()),
    ).toEqual({
      kind: 'ignore',
      reason: 'unauthorized',
    });
  });

  it('honours a room permission list over the default access', () => {
    const rules = { ...authorization, roomPermissions: new Map([[ROOM, new Set(['@bob:hs'])]]) };
    expect(
      decide(
        message({ sender: '@bob:hs', mentionedUserIds: [calc.userId] }),
        context({ authorization: rules }),
      ),
    ).toMatchObject({
      kind: 'respond',
    });
    expect(
      decide(
        message({ sender: '@carol:hs', mentionedUserIds: [calc.userId] }),
        context({ authorization: rules }),
      ),
    ).toMatchObject({
      kind: 'ignore',
      reason: 'unauthorized',
    });
  });

  it('does not answer messages older than the catch-up window', () => {
    const decision = decide(
      message({ originTs: NOW - 16 * 60_000, mentionedUserIds: [calc.userId] }),
      context(),
    );
    expect(decision).toEqual({ kind: 'ignore', reason: 'too-old' });
  });

  it('ignores agent chatter unless it mentions another agent, and only on final text', () => {
    expect(
      decide(message({ sender: scribe.userId, body: 'here is my answer' }), context()),
    ).toEqual({
      kind: 'ignore',
      reason: 'agent-not-mentioning',
    });
    expect(
      decide(
        message({ sender: scribe.userId, mentionedUserIds: [calc.userId], isFinal: false }),
        context(),
      ),
    ).toEqual({
      kind: 'ignore',
      reason: 'streaming-partial',
    });
    expect(
      decide(
        message({ sender: scribe.userId, mentionedUserIds: [calc.userId, scribe.userId] }),
        context(),
      ),
    ).toMatchObject({
      kind: 'respond',
      responders: ['calc'],
      requester: scribe.userId,
    });
  });

  it('never acts on an agent’s notices or on plain-text mentions in its prose', () => {
    expect(
      decide(
        message({ sender: router.userId, body: '- @calc: does maths', isNotice: true }),
        context(),
      ),
    ).toEqual({
      kind: 'ignore',
      reason: 'entity-notice',
    });
    expect(decide(message({ sender: scribe.userId, body: 'see `@calc` docs' }), context())).toEqual(
      {
        kind: 'ignore',
        reason: 'agent-not-mentioning',
      },
    );
  });

  it('answers in a DM without a mention', () => {
    const room = {
      roomId: '!dm:hs',
      joinedEntities: new Set(['calc']),
      directEntities: new Set(['calc']),
    };
    expect(decide(message({ roomId: '!dm:hs' }), context({ room }))).toMatchObject({
      kind: 'respond',
      responders: ['calc'],
      via: 'direct',
    });
  });

  it('lets the only agent in a room answer unmentioned messages', () => {
    const room = {
      roomId: ROOM,
      joinedEntities: new Set(['router', 'calc']),
      directEntities: new Set<string>(),
    };
    expect(decide(message(), context({ room }))).toMatchObject({
      responders: ['calc'],
      via: 'only-agent',
    });
  });

  it('asks the router when several agents could answer', () => {
    expect(decide(message(), context())).toEqual({
      kind: 'route',
      candidates: ['calc', 'scribe'],
      sourceEventId: '$m',
      requester: '@alice:hs',
      threadRoot: '$m',
    });
  });

  it('continues with the agent already answering the thread', () => {
    const thread = {
      rootId: '$root',
      senders: new Set(['@alice:hs', scribe.userId]),
      responders: ['scribe'],
      openTurns: [],
    };
    expect(decide(message({ threadRoot: '$root' }), context({ thread }))).toMatchObject({
      responders: ['scribe'],
      via: 'thread',
    });
  });

  it('needs a mention in a thread where more than one person wrote', () => {
    const thread = {
      rootId: '$root',
      senders: new Set(['@alice:hs', '@bob:hs', '@bridge:hs']),
      responders: ['scribe'],
      openTurns: [],
    };
    expect(decide(message({ threadRoot: '$root' }), context({ thread }))).toEqual({
      kind: 'ignore',
      reason: 'multi-human-thread',
    });
    expect(
      decide(
        message({ threadRoot: '$root', mentionedUserIds: [calc.userId] }),
        context({ thread }),
      ),
    ).toMatchObject({
      responders: ['calc'],
    });
  });

  it('does not count people who may not talk to the agents here: a stranger cannot silence a thread', () => {
    const thread = {
      rootId: '$root',
      senders: new Set(['@alice:hs', '@mallory:elsewhere', '@eve:hs']),
      responders: ['scribe'],
      openTurns: [],
    };
    // @mallory is from another homeserver (no federation); @eve is not on the room's list.
    const rules = { ...authorization, roomPermissions: new Map([[ROOM, new Set(['@bob:hs'])]]) };
    expect(
      decide(message({ threadRoot: '$root' }), context({ thread, authorization: rules })),
    ).toMatchObject({ responders: ['scribe'], via: 'thread' });
    // Once @bob (who may talk here) writes too, the thread needs a mention again.
    const joined = { ...thread, senders: new Set([...thread.senders, '@bob:hs']) };
    expect(
      decide(message({ threadRoot: '$root' }), context({ thread: joined, authorization: rules })),
    ).toEqual({ kind: 'ignore', reason: 'multi-human-thread' });
  });

  it('does not count bridge bots as people', () => {
    const thread = {
      rootId: '$root',
      senders: new Set(['@alice:hs', '@bridge:hs']),
      responders: ['scribe'],
      openTurns: [],
    };
    expect(decide(message({ threadRoot: '$root' }), context({ thread }))).toMatchObject({
      responders: ['scribe'],
    });
  });
});

describe('dispatcher: commands and stop', () => {
  it('sends commands to the router and never to a model', () => {
    expect(decide(message({ body: '!help agents' }), context())).toMatchObject({
      kind: 'command',
      name: 'help',
      args: 'agents',
      handler: 'router',
    });
  });

  it('lets the DM agent answer commands in a DM', () => {
    const room = {
      roomId: '!dm:hs',
      joinedEntities: new Set(['calc']),
      directEntities: new Set(['calc']),
    };
    expect(
      decide(message({ roomId: '!dm:hs', body: '!model list' }), context({ room })),
    ).toMatchObject({
      kind: 'command',
      handler: 'calc',
    });
  });

  it('stops the requester’s open turns in the thread with !stop', () => {
    const open = turn({ sourceEventId: '$q' });
    const thread = {
      rootId: '$root',
      senders: new Set(['@bob:hs']),
      responders: ['calc'],
      openTurns: [open],
    };
    const authz = { ...authorization, globalUsers: new Set<string>() };
    expect(
      decide(
        message({ sender: '@alice:hs', threadRoot: '$root', body: '!stop' }),
        context({ thread, authorization: authz }),
      ),
    ).toEqual({
      kind: 'stop',
      turns: [open],
      by: '@alice:hs',
    });
    expect(
      decide(
        message({ sender: '@bob:hs', threadRoot: '$root', body: '!stop' }),
        context({ thread, authorization: authz }),
      ),
    ).toEqual({
      kind: 'ignore',
      reason: 'not-requester',
    });
  });

  it('ignores a reaction that was redacted before it was acted on', () => {
    const reaction = {
      kind: 'reaction' as const,
      eventId: '$x',
      roomId: ROOM,
      sender: '@alice:hs',
      targetId: '$r',
      key: '🛑',
      originTs: NOW,
    };
    expect(decide(reaction, context({ replyTurn: turn(), isRedacted: true }))).toEqual({
      kind: 'ignore',
      reason: 'redacted',
    });
    expect(decide(reaction, context({ card: { interactionId: 'q1' }, isRedacted: true }))).toEqual({
      kind: 'ignore',
      reason: 'redacted',
    });
  });

  it('stops an in-progress reply on a 🛑 reaction by the person who asked', () => {
    const reaction = {
      kind: 'reaction' as const,
      eventId: '$x',
      roomId: ROOM,
      sender: '@alice:hs',
      targetId: '$r',
      key: '🛑',
      originTs: NOW,
    };
    expect(decide(reaction, context({ replyTurn: turn() }))).toEqual({
      kind: 'stop',
      turns: [turn()],
      by: '@alice:hs',
    });
    expect(decide({ ...reaction, sender: '@bob:hs' }, context({ replyTurn: turn() }))).toEqual({
      kind: 'ignore',
      reason: 'not-requester',
    });
    expect(decide(reaction, context({ replyTurn: turn({ isOpen: false }) }))).toEqual({
      kind: 'ignore',
      reason: 'unrelated-reaction',
    });
    expect(decide({ ...reaction, key: '👍' }, context({ replyTurn: turn() }))).toEqual({
      kind: 'ignore',
      reason: 'unrelated-reaction',
    });
  });
});

describe('dispatcher: edits', () => {
  const edit = {
    kind: 'edit' as const,
    eventId: '$e',
    roomId: ROOM,
    sender: '@alice:hs',
    targetId: '$m',
    targetSender: '@alice:hs',
    targetThreadRoot: undefined,
    newBody: '@calc what about 3+3',
    mentionedUserIds: [],
    originTs: NOW,
    isFinal: true,
  };

  it('regenerates every reply to an answered message', () => {
    expect(decide(edit, context({ targetTurns: [turn(), turn({ responder: 'scribe' })] }))).toEqual(
      {
        kind: 'regenerate',
        sourceEventId: '$m',
        sourceVersion: '$e',
        responders: ['calc', 'scribe'],
      },
    );
  });

  it('answers an unanswered message once, with the latest text', () => {
    expect(decide(edit, context())).toMatchObject({
      kind: 'respond',
      responders: ['calc'],
      sourceEventId: '$m',
      sourceVersion: '$e',
      threadRoot: '$m',
    });
  });

  it('ignores edits of someone else’s message', () => {
    expect(
      decide({ ...edit, targetSender: '@bob:hs' }, context({ targetTurns: [turn()] })),
    ).toEqual({
      kind: 'ignore',
      reason: 'edit-by-other-sender',
    });
  });

  it('judges an agent’s final streamed text once, keyed on its original event', () => {
    const agentEdit = {
      ...edit,
      sender: scribe.userId,
      targetSender: scribe.userId,
      newBody: 'over to you @calc',
      mentionedUserIds: [calc.userId],
      targetThreadRoot: '$root',
    };
    expect(decide({ ...agentEdit, isFinal: false }, context())).toEqual({
      kind: 'ignore',
      reason: 'streaming-partial',
    });
    expect(decide(agentEdit, context())).toMatchObject({
      kind: 'respond',
      responders: ['calc'],
      sourceEventId: '$m',
      threadRoot: '$root',
    });
  });
});

describe('dispatcher: invites', () => {
  const invite = {
    kind: 'invite' as const,
    roomId: '!new:hs',
    invitee: 'calc',
    inviter: '@alice:hs',
    isDirect: true,
  };

  it('accepts DM invites from authorized users', () => {
    expect(decide(invite, context())).toEqual({
      kind: 'join',
      entity: 'calc',
      roomId: '!new:hs',
      isDirect: true,
      inviter: '@alice:hs',
    });
  });

  it('refuses invites from unauthorized users', () => {
    const closed = { ...authorization, defaultRoomAccess: false };
    expect(
      decide({ ...invite, inviter: '@mallory:hs' }, context({ authorization: closed })),
    ).toEqual({
      kind: 'ignore',
      reason: 'invite-not-allowed',
    });
  });

  it('always accepts the router’s invites to configured rooms', () => {
    const closed = { ...authorization, defaultRoomAccess: false };
    expect(
      decide(
        { ...invite, roomId: ROOM, inviter: router.userId, isDirect: false },
        context({ authorization: closed }),
      ),
    ).toMatchObject({
      kind: 'join',
      isDirect: false,
    });
  });
});
