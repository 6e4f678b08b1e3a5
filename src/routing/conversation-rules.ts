/**
 * Who answers an authorized person's message that is neither a command nor an answer to a
 * card: mentioned agents (a team when several), nobody when the message is addressed to
 * someone else, a DM's agent, the agent(s) already answering the thread, a room's only agent,
 * else the router picks. Every responder must be allowed to answer the sender.
 */
import { canonicalUser, isSenderAuthorized } from './authorization.js';
import type { Decision, DispatchContext } from './dispatch-types.js';
import type { MessageFacts } from './dispatch-helpers.js';
import { entityByName, entityByUserId, ignore, mayReplyTo } from './dispatch-helpers.js';
import { formTeam, type TeamFormation } from '../teams/index.js';

type Via = 'mention' | 'direct' | 'thread' | 'only-agent';

/** The decision for a person's message, given the agents it mentions (`mentioned`). */
export function decideConversation(
  message: MessageFacts,
  context: DispatchContext,
  mentioned: readonly string[],
): Decision {
  const mayReply = (name: string): boolean => mayReplyTo(context, message.sender, name);
  const form = (formation: TeamFormation, via: Exclude<Via, 'only-agent'>): Decision | undefined =>
    teamOrSingle(message, formation, via);
  const noTeam = {
    mentioned: [],
    threadParticipants: [],
    directEntities: [],
    teams: context.teams,
  };

  if (mentioned.length > 0) {
    const permitted = mentioned.filter(mayReply);
    if (permitted.length === 0) return ignore('reply-not-permitted');
    const byMention = form(formTeam({ ...noTeam, mentioned: permitted }), 'mention');
    if (byMention !== undefined) return byMention;
  }

  const routerMentioned = context.entities.some(
    (entity) => entity.kind === 'router' && message.mentionedUserIds.includes(entity.userId),
  );
  // MindRoom's `other_explicit_mention`: a message that pills someone who is not one of
  // Quorum's accounts, and no agent, is addressed to them; no agent (and no router) answers.
  if (!routerMentioned && mentionsOthers(message, context)) return ignore('other-mention');

  const direct = [...context.room.directEntities].filter((name) =>
    context.room.joinedEntities.has(name),
  );
  if (direct.length > 0 && !routerMentioned) {
    const permitted = direct.filter(mayReply);
    return permitted.length > 0
      ? respond(message, permitted, 'direct')
      : ignore('reply-not-permitted');
  }
  if (countPeople(message, context) > 1) return ignore('multi-human-thread');

  if (!routerMentioned) {
    const continuing = (context.thread?.responders ?? []).filter(
      (name) =>
        context.room.joinedEntities.has(name) &&
        entityByName(context, name)?.kind !== 'router' &&
        mayReply(name),
    );
    const handedOff = context.thread?.handedOff ?? new Set<string>();
    const byThread = form(
      formTeam({ ...noTeam, threadParticipants: continuing, handedOff }),
      'thread',
    );
    if (byThread !== undefined) return byThread;
  }
  return decideInRoom(message, context, mayReply);
}

/** A room's only (permitted) agent answers; with several, the router picks. */
function decideInRoom(
  message: MessageFacts,
  context: DispatchContext,
  mayReply: (name: string) => boolean,
): Decision {
  const inRoom = context.entities.filter(
    (entity) => entity.kind !== 'router' && context.room.joinedEntities.has(entity.name),
  );
  const candidates = inRoom.filter((entity) => mayReply(entity.name)).map((entity) => entity.name);
  const [only] = candidates;
  if (only === undefined) {
    return ignore(inRoom.length > 0 ? 'reply-not-permitted' : 'no-agent-in-room');
  }
  if (candidates.length === 1) return respond(message, [only], 'only-agent');
  return {
    kind: 'route',
    candidates,
    sourceEventId: message.sourceEventId,
    requester: message.sender,
    threadRoot: message.threadRoot,
  };
}

/**
 * People in the thread who may talk to the agents here (the sender included): bridge aliases
 * count as their owner. Someone unauthorized writing into a thread cannot silence its agent.
 */
function countPeople(message: MessageFacts, context: DispatchContext): number {
  const people = new Set(
    [...(context.thread?.senders ?? []), message.sender]
      .filter(
        (sender) =>
          entityByUserId(context, sender) === undefined &&
          !context.botAccounts.has(sender) &&
          isSenderAuthorized(context.authorization, sender, message.roomId),
      )
      .map((sender) => canonicalUser(context.authorization, sender)),
  );
  return people.size;
}

/** Whether the message explicitly mentions anyone who is not Quorum's (besides its sender). */
function mentionsOthers(message: MessageFacts, context: DispatchContext): boolean {
  return message.mentionedUserIds.some(
    (userId) => userId !== message.sender && entityByUserId(context, userId) === undefined,
  );
}

function respond(message: MessageFacts, responders: readonly string[], via: Via): Decision {
  return {
    kind: 'respond',
    responders,
    sourceEventId: message.sourceEventId,
    sourceVersion: message.sourceVersion,
    requester: message.sender,
    threadRoot: message.threadRoot,
    via,
  };
}

function teamOrSingle(
  message: MessageFacts,
  formation: TeamFormation,
  via: Exclude<Via, 'only-agent'>,
): Decision | undefined {
  if (formation.kind === 'single') return respond(message, [formation.responder], via);
  if (formation.kind === 'none') return undefined;
  return {
    kind: 'team',
    members: formation.members,
    mode: formation.mode,
    sourceEventId: message.sourceEventId,
    sourceVersion: message.sourceVersion,
    requester: message.sender,
    threadRoot: message.threadRoot,
    via,
  };
}
