/**
 * Issue 12's dispatcher rules: notices, messages addressed to someone else, reply
 * permissions, bridge aliases, and the conversation limits (agent hops, token budget).
 */
import { describe, expect, it } from 'vitest';
import type { AuthorizationRules } from './authorization.js';
import type {
  Decision,
  DispatchContext,
  EditInput,
  EntityView,
  MessageInput,
  ReactionInput,
  RedactionInput,
} from './dispatch-types.js';
import { decide } from './dispatcher.js';

const ROOM = '!lobby:hs';
const NOW = 1_000_000_000;

function entity(name: string, kind: EntityView['kind'] = 'agent'): EntityView {
  return {
    name,
    kind,
    userId: `@quorum_${name}:hs`,
    displayName: name,
    rooms: new Set([ROOM]),
    acceptsInvites: true,
  };
}

const router = entity('router', 'router');
const calc = entity('calc');
const scribe = entity('scribe');

const authorization: AuthorizationRules = {
  globalUsers: new Set(['@alice:hs', '@*:partner.hs']),
  roomPermissions: new Map(),
  defaultRoomAccess: true,
  allowFederation: true,
  serverName: 'hs',
  aliases: new Map([['@alice_tg:hs', '@alice:hs']]),
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

function reason(decision: Decision): string {
  return decision.kind === 'ignore' ? decision.reason : decision.kind;
}

describe('dispatcher: notices', () => {
  it('never starts a turn for a notice, from Quorum or from any other bot or person', () => {
    for (const sender of ['@otherbot:hs', '@alice:hs', '@bridge:hs']) {
      expect(decide(message({ sender, isNotice: true, body: '@calc hi' }), context())).toEqual({
        kind: 'ignore',
        reason: 'notice',
      });
    }
    expect(reason(decide(message({ sender: calc.userId, isNotice: true }), context()))).toBe(
      'entity-notice',
    );
  });

  it('ignores a notice even when it is a command or mentions an agent explicitly', () => {
    const notice = message({
      sender: '@otherbot:hs',
      isNotice: true,
      body: '!config show',
      mentionedUserIds: [calc.userId],
    });
    expect(reason(decide(notice, context()))).toBe('notice');
  });

  it('ignores an edit whose new content is a notice', () => {
    const edit: EditInput = {
      kind: 'edit',
      eventId: '$e',
      roomId: ROOM,
      sender: '@otherbot:hs',
      targetId: '$m',
      targetSender: '@otherbot:hs',
      targetThreadRoot: undefined,
      newBody: 'status: ok',
      mentionedUserIds: [],
      originTs: NOW - 500,
      isFinal: true,
      isNotice: true,
    };
    expect(reason(decide(edit, context()))).toBe('notice');
  });
});

describe('dispatcher: messages addressed to someone else', () => {
  it('lets nobody answer "@Bob can you calculate the budget?" (no router call either)', () => {
    const decision = decide(
      message({ body: 'Bob can you calculate the budget?', mentionedUserIds: ['@bob:hs'] }),
      context(),
    );
    expect(decision).toEqual({ kind: 'ignore', reason: 'other-mention' });
  });

  it('stays silent in a room with one agent, in its thread, and in a DM', () => {
    const toBob = message({ body: 'Bob?', mentionedUserIds: ['@bob:hs'] });
    const onlyCalc = context({
      room: {
        roomId: ROOM,
        joinedEntities: new Set(['router', 'calc']),
        directEntities: new Set(),
      },
    });
    expect(reason(decide(toBob, onlyCalc))).toBe('other-mention');
    const thread = context({
      thread: {
        rootId: '$root',
        senders: new Set(['@alice:hs']),
        responders: ['calc'],
        openTurns: [],
      },
    });
    expect(reason(decide({ ...toBob, threadRoot: '$root' }, thread))).toBe('other-mention');
  });

  it('does not answer a message addressed to another bot (no double answers)', () => {
    const toBot = message({ body: 'otherbot: weather?', mentionedUserIds: ['@otherbot:hs'] });
    expect(reason(decide(toBot, context()))).toBe('other-mention');
    const toBridge = message({ body: 'bridge: status', mentionedUserIds: ['@bridge:hs'] });
    expect(reason(decide(toBridge, context()))).toBe('other-mention');
  });

  it('still answers when an agent is mentioned along with others, or the router is asked', () => {
    const both = message({ body: '@calc and Bob', mentionedUserIds: ['@bob:hs', calc.userId] });
    expect(decide(both, context())).toMatchObject({ kind: 'respond', responders: ['calc'] });
    const viaRouter = message({
      body: 'router, Bob asks',
      mentionedUserIds: ['@bob:hs', router.userId],
    });
    expect(reason(decide(viaRouter, context()))).toBe('route');
  });

  it('ignores the sender mentioning themselves, and commands stay commands', () => {
    const self = message({ body: 'note to self', mentionedUserIds: ['@alice:hs'] });
    expect(reason(decide(self, context()))).toBe('route');
    const command = message({ body: '!help', mentionedUserIds: ['@bob:hs'] });
    expect(reason(decide(command, context()))).toBe('command');
  });
});

describe('dispatcher: reply permissions and aliases', () => {
  const restricted: AuthorizationRules = {
    ...authorization,
    replyPermissions: new Map([
      ['*', { users: ['@alice:hs'], joinedRooms: [] }],
      ['scribe', { users: ['@bob:hs'], joinedRooms: ['#team:hs'] }],
      ['router', { users: ['*'], joinedRooms: [] }],
    ]),
  };

  it('routes only between the agents that may answer the sender', () => {
    const bob = decide(message({ sender: '@bob:hs' }), context({ authorization: restricted }));
    expect(bob).toMatchObject({ kind: 'respond', responders: ['scribe'], via: 'only-agent' });
    const alice = decide(message(), context({ authorization: restricted }));
    expect(alice).toMatchObject({ kind: 'respond', responders: ['calc'] });
  });

  it('ignores a mention of an agent that may not answer the sender', () => {
    const decision = decide(
      message({ sender: '@bob:hs', body: '@calc hi', mentionedUserIds: [calc.userId] }),
      context({ authorization: restricted }),
    );
    expect(reason(decision)).toBe('reply-not-permitted');
  });

  it('grants through a grant room only when its membership is known', () => {
    const carol = message({
      sender: '@carol:hs',
      body: '@scribe hi',
      mentionedUserIds: [scribe.userId],
    });
    expect(reason(decide(carol, context({ authorization: restricted })))).toBe(
      'reply-not-permitted',
    );
    const known = context({
      authorization: restricted,
      grantRoomMembers: new Map([['#team:hs', new Set(['@carol:hs'])]]),
    });
    expect(decide(carol, known)).toMatchObject({ kind: 'respond', responders: ['scribe'] });
  });

  it('needs every member of a configured team to be allowed', () => {
    const teams = new Map([['duo', ['calc', 'scribe']]]);
    const duo = entity('duo', 'team');
    const ctx = context({
      authorization: restricted,
      teams,
      entities: [router, calc, scribe, duo],
      room: {
        roomId: ROOM,
        joinedEntities: new Set(['router', 'calc', 'scribe', 'duo']),
        directEntities: new Set(),
      },
    });
    const decision = decide(message({ body: '@duo', mentionedUserIds: [duo.userId] }), ctx);
    expect(reason(decision)).toBe('reply-not-permitted');
  });

  it('refuses a command when the router may not answer the sender', () => {
    const noRouter: AuthorizationRules = {
      ...authorization,
      replyPermissions: new Map([['router', { users: ['@alice:hs'], joinedRooms: [] }]]),
    };
    const ctx = context({ authorization: noRouter });
    expect(reason(decide(message({ sender: '@bob:hs', body: '!help' }), ctx))).toBe(
      'reply-not-permitted',
    );
    expect(reason(decide(message({ body: '!help' }), ctx))).toBe('command');
  });

  it("treats a bridge alias as its owner: authorized, one person, stopping the owner's turns", () => {
    const thread = {
      rootId: '$root',
      senders: new Set(['@alice:hs']),
      responders: ['calc'],
      openTurns: [
        {
          responder: 'calc',
          sourceEventId: '$root',
          requester: '@alice:hs',
          replyEventId: '$r',
          isOpen: true,
        },
      ],
    };
    const strict = context({
      authorization: { ...authorization, defaultRoomAccess: false },
      thread,
    });
    const follow = message({ sender: '@alice_tg:hs', threadRoot: '$root', body: 'and 3?' });
    expect(decide(follow, strict)).toMatchObject({
      kind: 'respond',
      responders: ['calc'],
      via: 'thread',
    });
    const stop = decide({ ...follow, body: '!stop' }, strict);
    expect(stop).toMatchObject({ kind: 'stop' });
  });

  it('matches globs in global_users', () => {
    const strict = context({ authorization: { ...authorization, defaultRoomAccess: false } });
    expect(reason(decide(message({ sender: '@anyone:partner.hs' }), strict))).toBe('route');
    expect(reason(decide(message({ sender: '@anyone:other.hs' }), strict))).toBe('unauthorized');
  });
});

describe('dispatcher: conversation limits', () => {
  const limits = { maxAgentHops: 3, threadTokenBudget: 10_000 };
  const hop = message({
    sender: calc.userId,
    body: '@scribe your turn',
    mentionedUserIds: [scribe.userId],
    threadRoot: '$root',
  });

  it('lets agents hand a thread to each other up to the limit', () => {
    for (const agentHops of [0, 1, 2]) {
      expect(decide(hop, context({ limits, agentHops }))).toMatchObject({ kind: 'respond' });
    }
  });

  it('stops the next hop with one short note, then silently', () => {
    const decision = decide(hop, context({ limits, agentHops: 3 }));
    expect(decision).toMatchObject({
      kind: 'ignore',
      reason: 'agent-hop-limit',
      note: {
        limit: 'agent-hops',
        threadRoot: '$root',
        sourceEventId: '$m',
        requester: calc.userId,
      },
    });
    expect(decision.kind === 'ignore' && decision.note?.text).toContain('quorum.max_agent_hops');
    const again = decide(
      hop,
      context({ limits, agentHops: 4, notedLimits: new Set(['agent-hops']) }),
    );
    expect(again).toEqual({ kind: 'ignore', reason: 'agent-hop-limit' });
  });

  it('never lets agents start each other with max_agent_hops 0', () => {
    const decision = decide(hop, context({ limits: { ...limits, maxAgentHops: 0 }, agentHops: 0 }));
    expect(reason(decision)).toBe('agent-hop-limit');
  });

  it('does not count a person’s message as a hop', () => {
    const person = message({ body: '@scribe go on', mentionedUserIds: [scribe.userId] });
    expect(decide(person, context({ limits, agentHops: 99 }))).toMatchObject({ kind: 'respond' });
  });

  it('stops every turn, router call and regeneration in a thread over its token budget', () => {
    const spent = context({ limits, threadTokensUsed: 10_000 });
    const decision = decide(message({ threadRoot: '$root' }), spent);
    expect(decision).toMatchObject({
      kind: 'ignore',
      reason: 'thread-budget-spent',
      note: { limit: 'thread-budget', threadRoot: '$root' },
    });
    expect(decision.kind === 'ignore' && decision.note?.text).toContain('10000 tokens');
    expect(decide(message(), context({ limits, threadTokensUsed: 9_999 }))).toMatchObject({
      kind: 'route',
    });
    const regenerate = decide(
      {
        kind: 'edit',
        eventId: '$e',
        roomId: ROOM,
        sender: '@alice:hs',
        targetId: '$m',
        targetSender: '@alice:hs',
        targetThreadRoot: undefined,
        newBody: 'new',
        mentionedUserIds: [],
        originTs: NOW,
        isFinal: true,
      },
      {
        ...spent,
        targetTurns: [
          {
            responder: 'calc',
            sourceEventId: '$m',
            requester: '@alice:hs',
            replyEventId: '$r',
            isOpen: false,
          },
        ],
      },
    );
    expect(reason(regenerate)).toBe('thread-budget-spent');
  });

  it('still answers commands in a thread over budget', () => {
    const spent = context({ limits, threadTokensUsed: 50_000 });
    expect(reason(decide(message({ body: '!usage' }), spent))).toBe('command');
  });
});

describe('dispatcher: answers and approvals re-check authority when they arrive', () => {
  const reaction = (sender: string): ReactionInput => ({
    kind: 'reaction',
    eventId: '$k',
    roomId: ROOM,
    sender,
    targetId: '$card',
    key: '✅',
    originTs: NOW - 100,
  });
  const card = { interactionId: 'i1', responder: 'calc' };
  const strict = { ...authorization, defaultRoomAccess: false };

  it('lets an authorized person decide a card by reaction', () => {
    expect(decide(reaction('@alice:hs'), context({ card }))).toMatchObject({
      kind: 'interaction',
      interactionId: 'i1',
      via: 'reaction',
      sender: '@alice:hs',
    });
  });

  it('ignores a reaction of someone no longer authorized in the room', () => {
    const decision = decide(reaction('@dave:hs'), context({ card, authorization: strict }));
    expect(reason(decision)).toBe('unauthorized');
  });

  it('ignores a reaction of someone the asking agent may no longer answer', () => {
    const narrowed: AuthorizationRules = {
      ...authorization,
      replyPermissions: new Map([['calc', { users: ['@bob:hs'], joinedRooms: [] }]]),
    };
    const decision = decide(reaction('@alice:hs'), context({ card, authorization: narrowed }));
    expect(reason(decision)).toBe('reply-not-permitted');
  });

  it("ignores Quorum's own option keys under its cards", () => {
    expect(reason(decide(reaction(calc.userId), context({ card })))).toBe('own-entity-message');
  });

  it('ignores a reply to a card (or a pending question) from someone no longer permitted', () => {
    const narrowed: AuthorizationRules = {
      ...authorization,
      replyPermissions: new Map([['calc', { users: ['@bob:hs'], joinedRooms: [] }]]),
    };
    const reply = message({ body: 'no, do not', replyTo: '$card' });
    expect(reason(decide(reply, context({ card, authorization: narrowed })))).toBe(
      'reply-not-permitted',
    );
    expect(reason(decide(reply, context({ card })))).toBe('interaction');
    const answer = message({ body: '2', threadRoot: '$root' });
    const pendingQuestion = { interactionId: 'q1', options: ['a', 'b'], responder: 'calc' };
    expect(reason(decide(answer, context({ pendingQuestion, authorization: narrowed })))).toBe(
      'reply-not-permitted',
    );
    expect(reason(decide(answer, context({ pendingQuestion })))).toBe('interaction');
    expect(reason(decide(answer, context({ pendingQuestion, authorization: strict })))).toBe(
      'interaction',
    );
  });
});

describe('dispatcher: redactions', () => {
  const redaction: RedactionInput = {
    kind: 'redaction',
    eventId: '$x',
    roomId: ROOM,
    sender: '@alice:hs',
    targetId: '$m',
    originTs: NOW - 100,
  };
  const turn = (isOpen: boolean) => ({
    responder: 'calc',
    sourceEventId: '$m',
    requester: '@alice:hs',
    replyEventId: '$r',
    isOpen,
  });

  it('stops the turns still answering the deleted message', () => {
    const decision = decide(redaction, context({ targetTurns: [turn(true)] }));
    expect(decision).toEqual({ kind: 'stop', turns: [turn(true)], by: '@alice:hs' });
  });

  it('does nothing when no turn answers it any more', () => {
    expect(reason(decide(redaction, context({ targetTurns: [turn(false)] })))).toBe(
      'nothing-to-stop',
    );
    expect(reason(decide(redaction, context()))).toBe('nothing-to-stop');
  });
});
