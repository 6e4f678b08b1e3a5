export { isSenderAuthorized } from './authorization.js';
export type { AuthorizationRules } from './authorization.js';
export type {
  Decision,
  DispatchContext,
  DispatchInput,
  EditInput,
  EntityView,
  IgnoreReason,
  InviteInput,
  MessageInput,
  ReactionInput,
  RoomView,
  ThreadView,
  TurnView,
} from './dispatch-types.js';
export { STOP_REACTIONS, decide } from './dispatcher.js';
export { findMentionedEntities } from './mentions.js';
export type { MentionSource, MentionTarget } from './mentions.js';
export { toDispatchInput } from './dispatch-input.js';
export type { AdmittedEvent, TargetLookup } from './dispatch-input.js';
