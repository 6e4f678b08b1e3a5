export {
  authorizationRulesFrom,
  canonicalUser,
  isSenderAllowedForEntity,
  isSenderAuthorized,
  matchesUserPattern,
  maySenderTalkTo,
} from './authorization.js';
export type { AuthorizationRules, GrantRoomMembers, ReplyPolicy } from './authorization.js';
export { applyConversationLimits, limitNote, startsModelWork } from './conversation-limits.js';
export { conversationState, isTurnDecision, LIMIT_NOTE_KEY } from './conversation-state.js';
export type { ConversationState, ThreadEventView } from './conversation-state.js';
export type { LimitOrigin } from './conversation-limits.js';
export type {
  ConversationLimits,
  Decision,
  DispatchContext,
  DispatchInput,
  EditInput,
  EntityView,
  IgnoreReason,
  InviteInput,
  LimitKind,
  LimitNote,
  MessageInput,
  ReactionInput,
  RedactionInput,
  RoomView,
  ThreadView,
  TurnView,
} from './dispatch-types.js';
export { STOP_REACTIONS, decide } from './dispatcher.js';
export { findMentionedEntities } from './mentions.js';
export type { MentionSource, MentionTarget } from './mentions.js';
export { toDispatchInput } from './dispatch-input.js';
export type { AdmittedEvent, TargetLookup } from './dispatch-input.js';
export {
  ROUTER_RECENT_LIMIT,
  ROUTER_TIMEOUT_MS,
  chooseResponder,
  findCandidate,
  interpretRouterAnswer,
  routeSchema,
} from './router-model.js';
export type {
  ChooseResponderInput,
  RouteCandidate,
  RouteMessage,
  RouterChoice,
} from './router-model.js';
export {
  ROUTE_CACHE_MAX_ENTRIES,
  ROUTE_CACHE_TTL_MS,
  RouterDecisionCache,
} from './router-decision-cache.js';
export type { CachedRoute, RouterDecisionCacheDeps } from './router-decision-cache.js';
export { RoutingPolicy, askToMentionText } from './routing-policy.js';
export type {
  RouteRequest,
  RouteVia,
  RoutingOutcome,
  RoutingPolicyDeps,
} from './routing-policy.js';
export { routeCandidateFromSpec } from './route-candidates.js';
