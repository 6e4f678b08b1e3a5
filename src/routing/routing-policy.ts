import type { ChatModel } from '../llm/index.js';
import type { Clock, Logger } from '../shared/index.js';
import type { RouterDecisionCache } from './router-decision-cache.js';
import {
  ROUTER_TIMEOUT_MS,
  chooseResponder,
  type RouteCandidate,
  type RouteMessage,
} from './router-model.js';

/** One message to route, with everything the policy needs. */
export interface RouteRequest {
  /** The router's model (resolved per call, so a reload takes effect at once). */
  readonly model: ChatModel;
  readonly roomId: string;
  /** The thread the answer goes to (the message itself when it starts one). */
  readonly threadRoot: string;
  readonly message: RouteMessage;
  /** Earlier messages of the thread or room, oldest first. */
  readonly recent: readonly RouteMessage[];
  /** Agents and teams in the room that the sender may use, in config order. */
  readonly candidates: readonly RouteCandidate[];
  /** A candidate name to answer when the model fails; ignored unless it is a candidate. */
  readonly fallback?: string;
  readonly signal: AbortSignal;
}

/** How a routed message was resolved. */
export type RouteVia = 'only-candidate' | 'cache' | 'model' | 'fallback';

/**
 * The policy's answer: exactly one responder, or a message (posted by the router) asking the
 * person to mention someone. Never "nobody, silently".
 */
export type RoutingOutcome =
  | {
      readonly kind: 'respond';
      readonly name: string;
      readonly reason: string;
      readonly via: RouteVia;
    }
  | {
      readonly kind: 'ask-to-mention';
      /** Text for the router to post in the thread (plain `@name` mentions, no pills). */
      readonly text: string;
      /** Why routing failed, for logs. */
      readonly reason: string;
    };

/** Dependencies of {@link RoutingPolicy}. */
export interface RoutingPolicyDeps {
  readonly cache: RouterDecisionCache;
  readonly clock: Clock;
  readonly log: Logger;
  /** Defaults to {@link ROUTER_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
}

/**
 * Decides who answers a message the dispatcher could not assign: a single candidate answers
 * without a model call; a fresh cached decision for the room and thread is reused while its
 * candidate is still eligible; otherwise the router model picks (and the pick is cached).
 * When the model fails, the configured fallback answers if it is a candidate, else the
 * outcome asks the person to mention one of the candidates.
 */
export class RoutingPolicy {
  constructor(private readonly deps: RoutingPolicyDeps) {}

  /** Resolves the outcome; rejects only with the request signal's reason when it aborts. */
  async route(request: RouteRequest): Promise<RoutingOutcome> {
    const { candidates } = request;
    const [only] = candidates;
    if (only === undefined) {
      return {
        kind: 'ask-to-mention',
        text: 'There is no agent here I can pass your message to.',
        reason: 'no candidates',
      };
    }
    if (candidates.length === 1) {
      return {
        kind: 'respond',
        name: only.name,
        reason: 'the only candidate',
        via: 'only-candidate',
      };
    }
    const isCandidate = (name: string): boolean => candidates.some((c) => c.name === name);

    const cached = this.deps.cache.get(request.roomId, request.threadRoot);
    if (cached !== undefined && isCandidate(cached.name)) {
      return { kind: 'respond', name: cached.name, reason: cached.reason, via: 'cache' };
    }

    const choice = await chooseResponder({
      model: request.model,
      message: request.message,
      recent: request.recent,
      candidates,
      signal: request.signal,
      clock: this.deps.clock,
      timeoutMs: this.deps.timeoutMs ?? ROUTER_TIMEOUT_MS,
    });
    if (choice.kind === 'chosen') {
      this.deps.log.debug('router model chose', {
        roomId: request.roomId,
        threadRoot: request.threadRoot,
        chosen: choice.name,
      });
      this.deps.cache.set(request.roomId, request.threadRoot, {
        name: choice.name,
        reason: choice.reason,
      });
      return { kind: 'respond', name: choice.name, reason: choice.reason, via: 'model' };
    }

    this.deps.log.warn('router model gave no usable answer', {
      roomId: request.roomId,
      threadRoot: request.threadRoot,
      reason: choice.reason,
    });
    if (request.fallback !== undefined && isCandidate(request.fallback)) {
      return {
        kind: 'respond',
        name: request.fallback,
        reason: `fallback: ${choice.reason}`,
        via: 'fallback',
      };
    }
    return { kind: 'ask-to-mention', text: askToMentionText(candidates), reason: choice.reason };
  }
}

/**
 * The router's request to pick someone, listing the candidates as plain-text `@name` mentions
 * with their display names, e.g. "I'm not sure who should answer that. Please mention one of:
 * @calc (Calculator), @research (Researcher)."
 */
export function askToMentionText(candidates: readonly RouteCandidate[]): string {
  const list = candidates
    .map((candidate) =>
      candidate.displayName.length > 0 &&
      candidate.displayName.toLowerCase() !== candidate.name.toLowerCase()
        ? `@${candidate.name} (${candidate.displayName})`
        : `@${candidate.name}`,
    )
    .join(', ');
  return `I'm not sure who should answer that. Please mention one of: ${list}.`;
}
