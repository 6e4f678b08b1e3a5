import {
  STREAM_STATUS_KEY,
  decodeEvent,
  type MessageMentions,
  type RawEvent,
} from '../matrix/index.js';
import type { DispatchInput } from './dispatch-types.js';

/** An admitted event with the room it arrived in. */
export interface AdmittedEvent {
  readonly roomId: string;
  readonly event: RawEvent;
}

/** What an edit's target looks like, read from the journal (undefined when never seen). */
export type TargetLookup = (eventId: string) => AdmittedEvent | undefined;

function mentioned(mentions: MessageMentions): string[] {
  return [...new Set([...mentions.userIds, ...mentions.pills])];
}

/**
 * Turns an admitted Matrix event into the dispatcher's input, or `undefined` for events the
 * dispatcher has no rule for (state, undecryptable events, malformed ones).
 */
export function toDispatchInput(
  admitted: AdmittedEvent,
  lookupTarget: TargetLookup,
): DispatchInput | undefined {
  const decoded = decodeEvent(admitted.event);
  switch (decoded.kind) {
    case 'message':
      return {
        kind: 'message',
        eventId: decoded.eventId,
        roomId: admitted.roomId,
        sender: decoded.sender,
        body: decoded.body,
        threadRoot: decoded.threadRootId,
        mentionedUserIds: mentioned(decoded.mentions),
        originTs: decoded.originServerTs,
        isFinal: decoded.content[STREAM_STATUS_KEY] !== 'streaming',
        isNotice: decoded.msgtype === 'm.notice',
        replyTo: decoded.isReplyFallback ? undefined : decoded.inReplyToId,
      };
    case 'edit': {
      const target = lookupTarget(decoded.targetId);
      const targetDecoded = target === undefined ? undefined : decodeEvent(target.event);
      return {
        kind: 'edit',
        eventId: decoded.eventId,
        roomId: admitted.roomId,
        sender: decoded.sender,
        targetId: decoded.targetId,
        targetSender: target?.event.sender,
        targetThreadRoot:
          targetDecoded?.kind === 'message' ? targetDecoded.threadRootId : undefined,
        newBody: decoded.newContent.body,
        mentionedUserIds: mentioned(decoded.newContent.mentions),
        originTs: decoded.originServerTs,
        isFinal: decoded.rawNewContent[STREAM_STATUS_KEY] !== 'streaming',
        isNotice: decoded.newContent.msgtype === 'm.notice',
      };
    }
    case 'reaction':
      return {
        kind: 'reaction',
        eventId: decoded.eventId,
        roomId: admitted.roomId,
        sender: decoded.sender,
        targetId: decoded.targetId,
        key: decoded.key,
        originTs: decoded.originServerTs,
      };
    case 'redaction':
      return {
        kind: 'redaction',
        eventId: decoded.eventId,
        roomId: admitted.roomId,
        sender: decoded.sender,
        targetId: decoded.redactsId,
        originTs: decoded.originServerTs,
      };
    case 'membership':
    case 'encrypted':
    case 'other':
    case 'malformed':
      return undefined;
  }
}
