import { canonicalUser, isSenderAuthorized, matchesUserPattern } from './authorization.js';
import { applyConversationLimits } from './conversation-limits.js';
import { decideConversation } from './conversation-rules.js';
import { entityByName, entityByUserId, ignore, mayReplyTo } from './dispatch-helpers.js';
import type { MessageFacts } from './dispatch-helpers.js';
import type {
  Decision,
  DispatchContext,
  DispatchInput,
  EditInput,
  InviteInput,
  ReactionInput,
  RedactionInput,
} from './dispatch-types.js';
import { findMentionedEntities } from './mentions.js';
import { optionFromReply } from '../interactions/index.js';

/** Reaction keys that stop an in-progress reply. */
export const STOP_REACTIONS: ReadonlySet<string> = new Set(['🛑', '⏹️', '⏹']);

const COMMAND = /^!([a-z][a-z_-]*)(?:\s+([\s\S]*))?$/i;

/**
 * Decides, once per admitted event, what Quorum does about it. Pure: every input is data in
 * `input` and `context`, and the answer is a `Decision` value. The rules, in order:
 * too old → nothing; notices (from any bot) → nothing; messages from Quorum's own accounts
 * count only when final and mentioning another agent; unauthorized senders get nothing;
 * commands go to the router (or the DM's agent); mentioned agents answer; a message that
 * explicitly mentions only people (or other bots) is for them, not for an agent; a DM's agent
 * answers; a thread with more than one person needs a mention; the agent already answering a
 * thread continues it; a room's only agent answers; otherwise the router picks. Responders
 * are only those `agent_reply_permissions` let answer the sender. Last, conversation limits
 * (agent-to-agent hops, the thread's token budget) turn work into a one-time note. A reaction
 * or reply deciding a card counts only from a person still allowed to talk to the entity that
 * asked; a redaction stops the turns answering the deleted message.
 */
export function decide(input: DispatchInput, context: DispatchContext): Decision {
  switch (input.kind) {
    case 'message': {
      if (isTooOld(input.originTs, context)) return ignore('too-old');
      const threadRoot = input.threadRoot ?? input.eventId;
      const decision = decideMessage(
        {
          sourceEventId: input.eventId,
          sourceVersion: input.eventId,
          sender: input.sender,
          body: input.body,
          threadRoot,
          mentionedUserIds: input.mentionedUserIds,
          isFinal: input.isFinal,
          isNotice: input.isNotice,
          roomId: input.roomId,
        },
        context,
      );
      return applyConversationLimits(
        decision,
        {
          sourceEventId: input.eventId,
          requester: input.sender,
          threadRoot,
          isFromEntity: entityByUserId(context, input.sender) !== undefined,
        },
        context,
      );
    }
    case 'edit':
      return applyConversationLimits(
        decideEdit(input, context),
        {
          sourceEventId: input.targetId,
          requester: input.sender,
          threadRoot: input.targetThreadRoot ?? input.targetId,
          isFromEntity: entityByUserId(context, input.sender) !== undefined,
        },
        context,
      );
    case 'reaction':
      return decideReaction(input, context);
    case 'invite':
      return decideInvite(input, context);
    case 'redaction':
      return decideRedaction(input, context);
  }
}

function decideMessage(message: MessageFacts, context: DispatchContext): Decision {
  const senderEntity = entityByUserId(context, message.sender);
  // Notices are bots' status output: acting on them makes bots answer each other forever.
  if (message.isNotice) return ignore(senderEntity !== undefined ? 'entity-notice' : 'notice');
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
      ? {
          kind: 'respond',
          responders: mentioned,
          sourceEventId: message.sourceEventId,
          sourceVersion: message.sourceVersion,
          requester: message.sender,
          threadRoot: message.threadRoot,
          via: 'mention',
        }
      : ignore('agent-not-mentioning');
  }
  if (!isSenderAuthorized(context.authorization, message.sender, message.roomId)) {
    return ignore('unauthorized');
  }
  const text = message.body.trim();
  if (text.length === 0) return ignore('empty-message');

  const command = COMMAND.exec(text);
  if (command !== null) return decideCommand(command, message, context);

  // Answers to Quorum's cards: a reply to the card, or an option named in the question's thread.
  const answered =
    context.card ??
    (context.pendingQuestion !== undefined &&
    optionFromReply(text, context.pendingQuestion.options) !== undefined
      ? context.pendingQuestion
      : undefined);
  if (answered !== undefined) {
    // Authority is judged when the answer arrives: whoever may no longer talk to the asking
    // entity (removed from the config since) cannot answer for it either.
    if (
      answered.responder !== undefined &&
      !mayReplyTo(context, message.sender, answered.responder)
    )
      return ignore('reply-not-permitted');
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
  return decideConversation(message, context, mentioned);
}

function decideCommand(
  match: RegExpExecArray,
  message: MessageFacts,
  context: DispatchContext,
): Decision {
  const name = (match[1] ?? '').toLowerCase();
  const args = (match[2] ?? '').trim();
  if (name === 'stop') {
    const sender = canonicalUser(context.authorization, message.sender);
    const open = (context.thread?.openTurns ?? []).filter(
      (turn) =>
        turn.requester === message.sender ||
        canonicalUser(context.authorization, turn.requester) === sender ||
        matchesUserPattern(context.authorization.globalUsers, sender),
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
  if (!mayReplyTo(context, message.sender, handler)) return ignore('reply-not-permitted');
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
      isNotice: input.isNotice === true,
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
    const refusal = cardRefusal(input, context.card, context);
    if (refusal !== undefined) return refusal;
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

/**
 * Who may decide a card by reaction, judged when the reaction arrives: a person the room's
 * authorization admits and the asking entity may answer (Quorum's own reactions, the option
 * keys under its cards, decide nothing).
 */
function cardRefusal(
  input: ReactionInput,
  card: NonNullable<DispatchContext['card']>,
  context: DispatchContext,
): Decision | undefined {
  if (entityByUserId(context, input.sender) !== undefined) return ignore('own-entity-message');
  if (!isSenderAuthorized(context.authorization, input.sender, input.roomId)) {
    return ignore('unauthorized');
  }
  if (card.responder !== undefined && !mayReplyTo(context, input.sender, card.responder)) {
    return ignore('reply-not-permitted');
  }
  return undefined;
}

/**
 * A redaction: the turns still answering the deleted message stop (their prompt held its
 * text). A redaction can only be sent by the message's author or a room moderator, so it needs
 * no further authority.
 */
function decideRedaction(input: RedactionInput, context: DispatchContext): Decision {
  if (isTooOld(input.originTs, context)) return ignore('too-old');
  const open = context.targetTurns.filter((turn) => turn.isOpen);
  return open.length > 0
    ? { kind: 'stop', turns: open, by: input.sender }
    : ignore('nothing-to-stop');
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
