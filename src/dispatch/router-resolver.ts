import { isRedacted, latestText, type ModelCatalog, type Responders } from '../agents/index.js';
import { txnPrefixFor } from '../outbox/index.js';
import type { Decision, RouteCandidate, RouteMessage, RoutingPolicy } from '../routing/index.js';
import { asEventId, asRoomId, type Logger, type QuorumMetrics } from '../shared/index.js';
import type { IngressJournal, JournalEntry } from '../storage/index.js';
import type { RouteResolver } from './dispatch-ports.js';

export interface RouterResolverDeps {
  readonly policy: RoutingPolicy;
  readonly journal: Pick<IngressJournal, 'get' | 'recentMessages' | 'thread'>;
  /** The router's configured model name, or undefined when the fleet has no router. */
  readonly routerModel: () => string | undefined;
  /** How the router model sees an agent or team, or undefined for other names. */
  readonly candidateOf: (name: string) => RouteCandidate | undefined;
  readonly catalog: () => ModelCatalog;
  readonly responders: Responders;
  readonly nameOf: (userId: string) => string;
  /**
   * Whether `userId`'s messages may reach the router model's prompt in `roomId` (the same
   * authorization as for the router's own answers); absent: everyone's do.
   */
  readonly isTrusted?: (roomId: string, userId: string) => boolean;
  readonly log: Logger;
  readonly metrics: QuorumMetrics;
}

/** Messages the router model sees before the one it routes. */
const RECENT_MESSAGES = 6;

/**
 * Resolves `route` decisions with the router model (through the routing policy: one
 * candidate needs no call, decisions are cached per thread, a failure falls back). When no
 * agent can be chosen, the router asks the person to mention one — never silence.
 */
export function createRouterResolver(deps: RouterResolverDeps): RouteResolver {
  return {
    choose: async (decision, options) => {
      const routerModel = deps.routerModel();
      const source = deps.journal.get(decision.sourceEventId);
      // A message deleted while it waited for the router is answered by nobody.
      if (routerModel === undefined || source === undefined || isRedacted(source)) return undefined;
      const candidates = decision.candidates
        .map((name) => deps.candidateOf(name))
        .filter((candidate) => candidate !== undefined);
      const outcome = await deps.policy.route({
        model: deps.catalog().model(routerModel),
        roomId: source.roomId,
        threadRoot: decision.threadRoot,
        message: toRouteMessage(source, deps.nameOf),
        recent: recentContext(deps.journal, source, decision.threadRoot)
          .filter((entry) => deps.isTrusted?.(source.roomId, entry.sender) ?? true)
          .map((entry) => toRouteMessage(entry, deps.nameOf)),
        candidates,
        signal: options.signal,
      });
      deps.metrics.decisions.inc({
        kind: 'routed',
        reason: outcome.kind === 'respond' ? outcome.via : 'ask-to-mention',
      });
      if (outcome.kind === 'respond') {
        deps.log.info('routed a message', {
          source: decision.sourceEventId,
          to: outcome.name,
          via: outcome.via,
          reason: outcome.reason,
        });
        return outcome.name;
      }
      deps.log.warn('could not route a message; asking to mention someone', {
        source: decision.sourceEventId,
        reason: outcome.reason,
      });
      await askToMention(deps, decision, outcome.text);
      return undefined;
    },
  };
}

function toRouteMessage(entry: JournalEntry, nameOf: (userId: string) => string): RouteMessage {
  return { senderName: nameOf(entry.sender), body: latestText(entry, []) };
}

/**
 * The thread's earlier messages, or the room's latest ones when the message starts a thread;
 * redacted ones left out.
 */
function recentContext(
  journal: RouterResolverDeps['journal'],
  source: JournalEntry,
  threadRoot: string,
): JournalEntry[] {
  const earlier =
    threadRoot === source.eventId
      ? journal.recentMessages(source.roomId, RECENT_MESSAGES + 1)
      : journal.thread(source.roomId, threadRoot, RECENT_MESSAGES + 1);
  return earlier
    .filter(
      (entry) =>
        entry.eventId !== source.eventId && entry.type === 'm.room.message' && !isRedacted(entry),
    )
    .slice(-RECENT_MESSAGES);
}

async function askToMention(
  deps: RouterResolverDeps,
  decision: Extract<Decision, { kind: 'route' }>,
  text: string,
): Promise<void> {
  const router = deps.responders.get('router');
  const source = deps.journal.get(decision.sourceEventId);
  if (router === undefined || source === undefined) return;
  // A notice without m.mentions: the @names are plain text, so they start no turns.
  await router.outbox.sendText(
    asRoomId(source.roomId),
    {
      body: text,
      format: 'markdown',
      msgtype: 'm.notice',
      thread: {
        rootId: asEventId(decision.threadRoot),
        replyToId: asEventId(decision.sourceEventId),
      },
    },
    `${txnPrefixFor('router', decision.sourceEventId)}.ask`,
  );
}
