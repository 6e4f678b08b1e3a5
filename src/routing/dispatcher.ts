import { isSenderAuthorized } from './authorization.js';
import type {
  Decision,
  DispatchContext,
  DispatchInput,
  EditInput,
  EntityView,
  InviteInput,
  ReactionInput,
} from './dispatch-types.js';
import { findMentionedEntities } from './mentions.js';
import { optionFromReply } from '../interactions/index.js';
import { formTeam, type TeamFormation } from '../teams/index.js';

/** Reaction keys that stop an in-progress reply. */
export const STOP_REACTIONS: ReadonlySet<string> = new Set(['🛑', '⏹️', '⏹']);

const COMMAND = /^!([a-z][a-z_-]*)(?:\s+([\s\S]*))?$/i;

/**
 * Decides, once per admitted event, what Quorum does about it. Pure: every input is data in
 * `input` and `context`, and the answer is a `Decision` value. The rules, in order:
 * too old → nothing; messages from Quorum's own accounts count only when final and
 * mentioning another agent; unauthorized senders get nothing; commands go to the router (or
 * the DM's agent); mentioned agents answer; a DM's agent answers; a thread with more than one
 * person needs a mention; the agent already answering a thread continues it; a room's only
 * agent answers; otherwise the router picks.
 */
export function decide(input: DispatchInput, context: DispatchContext): Decision {
  switch (input.kind) {
    case 'message':
      if (isTooOld(input.originTs, context)) return ignore('too-old');
      return decideMessage(
        {
          sourceEventId: input.eventId,
          sourceVersion: input.eventId,
          sender: input.sender,
          body: input.body,
          threadRoot: input.threadRoot ?? input.eventId,
          mentionedUserIds: input.mentionedUserIds,
          isFinal: input.isFinal,
          isNotice: input.isNotice,
          roomId: input.roomId,
        },
        context,
      );
    case 'edit':
      return decideEdit(input, context);
    case 'reaction':
      return decideReaction(input, context);
    case 'invite':
      return decideInvite(input, context);
  }
}

interface MessageFacts {
  readonly sourceEventId: string;
  readonly sourceVersion: string;
  readonly sender: string;
  readonly body: string;
  readonly threadRoot: string;
  readonly mentionedUserIds: readonly string[];
  readonly isFinal: boolean;
  readonly isNotice: boolean;
  readonly roomId: string;
}

function decideMessage(message: MessageFacts, context: DispatchContext): Decision {
  const senderEntity = entityByUserId(context, message.sender);
  if (senderEntity !== undefined && message.isNotice) return ignore('entity-notice');
  const mentionable = context.entities.filter(
    (entity) =>
      entity.kind !== 'router' &&
      entity.userId !== message.sender &&
      context.room.joinedEntities.has(entity.name),
  );
  // Quorum's own accounts mention each other only explicitly (m.mentions / pills), so an
  // agent quoting "@calc" in prose or code does not start a turn.
  const mentioned = findMentionedEntities(
    senderEntity === undefined ? message : { body: '', mentionedUserIds: message.mentionedUserIds },
    mentionable,
  );

  // Quorum's own accounts: only a final text that mentions another agent starts a turn.
  if (senderEntity !== undefined) {
    if (!message.isFinal) return ignore('streaming-partial');
    return mentioned.length > 0
      ? respondTo(message, mentioned, 'mention')
      : ignore('agent-not-mentioning');
  }
  if (!isSenderAuthorized(context.authorization, message.sender, message.roomId)) {
    return ignore('unauthorized');
  }
  const text = message.body.trim();
  if (text.length === 0) return ignore('empty-message');

  const command = COMMAND.exec(text);
  if (command !== null) return decideCommand(command, message, context);
  return cardAnswer(text, message, context) ?? decideResponder(message, mentioned, context);
}

/** Answers to Quorum's cards: a reply to the card, or an option named in the question's thread. */
function cardAnswer(
  text: string,
  message: MessageFacts,
  context: DispatchContext,
): Decision | undefined {
  const answered =
    context.card ??
    (context.pendingQuestion !== undefined &&
    optionFromReply(text, context.pendingQuestion.options) !== undefined
      ? context.pendingQuestion
      : undefined);
  if (answered === undefined) return undefined;
  return {
    kind: 'interaction',
    interactionId: answered.interactionId,
    via: 'reply',
    eventId: message.sourceVersion,
    sender: message.sender,
    value: text,
    atMs: context.nowMs,
  };
}

/**
 * Who answers a person's message: the mentioned agents (several form a team), a DM's agent,
 * nobody in a thread of several people, the agents already answering the thread, the room's
 * only agent, or the router's pick among the room's agents.
 */
function decideResponder(
  message: MessageFacts,
  mentioned: readonly string[],
  context: DispatchContext,
): Decision {
  const noTeam = {
    mentioned: [],
    threadParticipants: [],
    directEntities: [],
    teams: context.teams,
  };
  const byMention = teamDecision(message, formTeam({ ...noTeam, mentioned }), 'mention');
  if (byMention !== undefined) return byMention;

  const routerMentioned = context.entities.some(
    (entity) => entity.kind === 'router' && message.mentionedUserIds.includes(entity.userId),
  );
  const direct = [...context.room.directEntities].filter((name) =>
    context.room.joinedEntities.has(name),
  );
  if (direct.length > 0 && !routerMentioned) return respondTo(message, direct, 'direct');

  const people = new Set(
    [...(context.thread?.senders ?? []), message.sender].filter(
      (sender) => entityByUserId(context, sender) === undefined && !context.botAccounts.has(sender),
    ),
  );
  if (people.size > 1) return ignore('multi-human-thread');

  const continuing = (context.thread?.responders ?? []).filter(
    (name) =>
      context.room.joinedEntities.has(name) && entityByName(context, name)?.kind !== 'router',
  );
  if (!routerMentioned) {
    const byThread = teamDecision(
      message,
      formTeam({
        ...noTeam,
        threadParticipants: continuing,
        handedOff: context.thread?.handedOff ?? new Set(),
      }),
      'thread',
    );
    if (byThread !== undefined) return byThread;
  }
  return decideByRoom(message, context);
}

/** Nobody mentioned or continuing: the room's only agent answers, else the router picks. */
function decideByRoom(message: MessageFacts, context: DispatchContext): Decision {
  const candidates = context.entities
    .filter((entity) => entity.kind !== 'router' && context.room.joinedEntities.has(entity.name))
    .map((entity) => entity.name);
  const [only] = candidates;
  if (only === undefined) return ignore('no-agent-in-room');
  if (candidates.length === 1) return respondTo(message, [only], 'only-agent');
  return {
    kind: 'route',
    candidates,
    sourceEventId: message.sourceEventId,
    requester: message.sender,
    threadRoot: message.threadRoot,
  };
}

function respondTo(
  message: MessageFacts,
  responders: readonly string[],
  via: 'mention' | 'direct' | 'thread' | 'only-agent',
): Decision {
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

/** One responder answers, several form a team, none: undefined (the next rule decides). */
function teamDecision(
  message: MessageFacts,
  formation: TeamFormation,
  via: 'mention' | 'direct' | 'thread',
): Decision | undefined {
  if (formation.kind === 'single') return respondTo(message, [formation.responder], via);
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

function decideCommand(
  match: RegExpExecArray,
  message: MessageFacts,
  context: DispatchContext,
): Decision {
  const name = (match[1] ?? '').toLowerCase();
  const args = (match[2] ?? '').trim();
  if (name === 'stop') {
    const open = (context.thread?.openTurns ?? []).filter(
      (turn) =>
        turn.requester === message.sender || context.authorization.globalUsers.has(message.sender),
    );
    return open.length > 0
      ? { kind: 'stop', turns: open, by: message.sender }
      : ignore('not-requester');
  }
  const [directHandler] = [...context.room.directEntities].filter((entity) =>
    context.room.joinedEntities.has(entity),
  );
  const router = context.entities.find(
    (entity) => entity.kind === 'router' && context.room.joinedEntities.has(entity.name),
  );
  const handler = directHandler ?? router?.name;
  if (handler === undefined) return ignore('no-agent-in-room');
  return {
    kind: 'command',
    name,
    args,
    handler,
    sourceEventId: message.sourceEventId,
    requester: message.sender,
    threadRoot: message.threadRoot,
  };
}

function decideEdit(input: EditInput, context: DispatchContext): Decision {
  if (isTooOld(input.originTs, context)) return ignore('too-old');
  if (input.targetSender !== undefined && input.targetSender !== input.sender) {
    return ignore('edit-by-other-sender');
  }
  const senderIsEntity = entityByUserId(context, input.sender) !== undefined;
  const answeredBy = context.targetTurns.map((turn) => turn.responder);
  if (!senderIsEntity && answeredBy.length > 0) {
    if (!isSenderAuthorized(context.authorization, input.sender, input.roomId))
      return ignore('unauthorized');
    return {
      kind: 'regenerate',
      sourceEventId: input.targetId,
      sourceVersion: input.eventId,
      responders: [...new Set(answeredBy)],
    };
  }
  // Not answered yet (or an agent's final streamed text): judge the latest text as a message.
  return decideMessage(
    {
      sourceEventId: input.targetId,
      sourceVersion: input.eventId,
      sender: input.sender,
      body: input.newBody,
      threadRoot: input.targetThreadRoot ?? input.targetId,
      mentionedUserIds: input.mentionedUserIds,
      isFinal: input.isFinal,
      isNotice: false,
      roomId: input.roomId,
    },
    context,
  );
}

function decideReaction(input: ReactionInput, context: DispatchContext): Decision {
  if (isTooOld(input.originTs, context)) return ignore('too-old');
  // A reaction taken back before Quorum acted on it counts for nothing.
  if (context.isRedacted === true) return ignore('redacted');
  if (context.card !== undefined) {
    return {
      kind: 'interaction',
      interactionId: context.card.interactionId,
      via: 'reaction',
      eventId: input.eventId,
      sender: input.sender,
      value: input.key,
      atMs: input.originTs,
    };
  }
  const turn = context.replyTurn;
  if (!STOP_REACTIONS.has(input.key) || turn === undefined || !turn.isOpen) {
    return ignore('unrelated-reaction');
  }
  if (turn.requester !== input.sender) return ignore('not-requester');
  return { kind: 'stop', turns: [turn], by: input.sender };
}

function decideInvite(input: InviteInput, context: DispatchContext): Decision {
  const entity = entityByName(context, input.invitee);
  if (entity === undefined) return ignore('invite-not-allowed');
  const inviter = input.inviter;
  const inviterIsEntity = inviter !== undefined && entityByUserId(context, inviter) !== undefined;
  const isConfiguredRoom = entity.rooms.has(input.roomId);
  const isAllowed =
    inviterIsEntity ||
    isConfiguredRoom ||
    (entity.acceptsInvites &&
      inviter !== undefined &&
      isSenderAuthorized(context.authorization, inviter, input.roomId));
  if (!isAllowed) return ignore('invite-not-allowed');
  return {
    kind: 'join',
    entity: entity.name,
    roomId: input.roomId,
    isDirect: input.isDirect && !inviterIsEntity,
    inviter,
  };
}

function isTooOld(originTs: number, context: DispatchContext): boolean {
  return context.nowMs - originTs > context.catchUpWindowMs;
}

function entityByUserId(context: DispatchContext, userId: string): EntityView | undefined {
  return context.entities.find((entity) => entity.userId === userId);
}

function entityByName(context: DispatchContext, name: string): EntityView | undefined {
  return context.entities.find((entity) => entity.name === name);
}

function ignore(reason: Extract<Decision, { kind: 'ignore' }>['reason']): Decision {
  return { kind: 'ignore', reason };
}
