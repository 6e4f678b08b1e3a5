/**
 * Small pure helpers the dispatcher's rule files share.
 */
import { isSenderAllowedForEntity } from './authorization.js';
import type { Decision, DispatchContext, EntityView, IgnoreReason } from './dispatch-types.js';

/** A message (or an edit's latest text) as the message rules judge it. */
export interface MessageFacts {
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

/** The entity with this Matrix user id, if it is one of Quorum's. */
export function entityByUserId(context: DispatchContext, userId: string): EntityView | undefined {
  return context.entities.find((entity) => entity.userId === userId);
}

/** The entity called `name`, if configured. */
export function entityByName(context: DispatchContext, name: string): EntityView | undefined {
  return context.entities.find((entity) => entity.name === name);
}

/** An `ignore` decision. */
export function ignore(reason: IgnoreReason): Decision {
  return { kind: 'ignore', reason };
}

/**
 * Whether `name` may answer `sender` (`agent_reply_permissions`); a configured team also
 * needs every member to be allowed (MindRoom: "reply access for every execution entity").
 */
export function mayReplyTo(context: DispatchContext, sender: string, name: string): boolean {
  const rules = context.authorization;
  const members = context.teams.get(name) ?? [];
  return [name, ...members].every((entity) =>
    isSenderAllowedForEntity(rules, sender, entity, context.grantRoomMembers),
  );
}
