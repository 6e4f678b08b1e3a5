import { createHash } from 'node:crypto';
import type { Clock } from '../shared/index.js';
import type { InteractionRecord, NewInteraction } from '../storage/index.js';
import type { CardPoster, InteractionScope, InteractionStore } from './interaction-ports.js';
import type { InteractionWaiters } from './interaction-waiters.js';

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

export interface InteractionOpenerDeps {
  readonly store: InteractionStore;
  readonly cards: CardPoster;
  readonly waiters: InteractionWaiters;
  readonly clock: Clock;
}

/**
 * Opens interactions: finds the one a resumed turn asked before (ids derive from the turn and
 * the request), or records a new one, and posts its card and reaction keys once.
 */
export class InteractionOpener {
  constructor(private readonly deps: InteractionOpenerDeps) {}

  /**
   * Creates (or finds again) an interaction and posts its card once. The interaction counts as
   * awaited from before the card goes out until `release` (call it once the turn stops
   * waiting): a person who reacts at once decides for this turn, never starts a second one.
   */
  async open(
    spec: Pick<NewInteraction, 'kind' | 'payload'>,
    scope: InteractionScope,
    timeoutMs: number,
    card: () => string,
    keys: readonly string[],
  ): Promise<{ readonly record: InteractionRecord; readonly release: () => void }> {
    const interactions = this.deps.store;
    const base = `${spec.kind}|${scope.responder}|${scope.sourceEventId ?? ''}|${JSON.stringify(spec.payload)}`;
    // The same request in the same turn finds its earlier interaction (a turn resumed after a
    // restart); one that was cancelled or expired (a regenerated turn) is asked afresh.
    let attempt = 0;
    let id = shortHash(base);
    let record = interactions.get(id);
    while (record !== undefined && (record.state === 'cancelled' || record.state === 'expired')) {
      attempt += 1;
      id = shortHash(`${base}#${attempt}`);
      record = interactions.get(id);
    }
    if (record === undefined) {
      record = interactions.create({
        ...(spec as NewInteraction),
        id,
        roomId: scope.roomId,
        threadRoot: scope.threadRoot,
        requester: scope.requester,
        responder: scope.responder,
        sourceEventId: scope.sourceEventId,
        expiresAt: this.deps.clock.now() + Math.max(MINUTE_MS, Math.min(timeoutMs, 365 * DAY_MS)),
      });
    }
    const release = this.deps.waiters.hold(id);
    try {
      if (record.cardEventId === undefined && record.state === 'pending') {
        await this.postCard(scope, id, card(), keys);
      }
    } catch (error) {
      release();
      throw error;
    }
    return { record: interactions.get(id) ?? record, release };
  }

  private async postCard(
    scope: InteractionScope,
    id: string,
    markdown: string,
    keys: readonly string[],
  ): Promise<void> {
    const interactions = this.deps.store;
    const cardId = await this.deps.cards.post(scope, markdown, `qi.${id}`);
    interactions.attachCard(id, cardId);
    for (const [index, key] of keys.entries()) {
      if (key === '') continue;
      const reaction = await this.deps.cards.react(scope, cardId, key, `qi.${id}.k${index}`);
      interactions.addQuorumReaction(id, reaction);
    }
  }
}

/** A short stable id for `text` (interaction ids, transaction ids). */
export function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 24);
}
