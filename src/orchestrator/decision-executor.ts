import type { Decision, DispatchInput } from '../routing/index.js';
import { AbortReason, asRoomId, type Logger } from '../shared/index.js';
import type { QuorumStore } from '../storage/index.js';
import type { EntityBot } from './entity-bot.js';
import type { DecisionExecutor } from './event-pipeline.js';
import type { RoomRegistry } from './room-registry.js';
import type { InteractionService } from './interaction-service.js';
import { adHocTeamKey } from './team-keys.js';
import type { TurnCoordinator } from './turn-coordinator.js';
import type { TurnLauncher } from './turn-launcher.js';

/** Picks the responder for a `route` decision (the router model); undefined when nobody should answer. */
export interface RouteResolver {
  choose(decision: Extract<Decision, { kind: 'route' }>): Promise<string | undefined>;
}

/** Answers `!` commands. */
export interface CommandHandler {
  handle(decision: Extract<Decision, { kind: 'command' }>): Promise<void>;
}

export interface FleetDecisionExecutorDeps {
  readonly store: QuorumStore;
  readonly launcher: TurnLauncher;
  readonly coordinator: TurnCoordinator;
  readonly registry: RoomRegistry;
  readonly bot: (name: string) => EntityBot | undefined;
  readonly router: RouteResolver;
  readonly commands: CommandHandler;
  readonly interactions: InteractionService;
  readonly log: Logger;
}

/**
 * Carries out the dispatcher's decisions. Each responder's claim on the source event is
 * durable before its turn starts, so a decision executed twice (after a crash) starts at most
 * one turn per responder.
 */
export class FleetDecisionExecutor implements DecisionExecutor {
  constructor(private readonly deps: FleetDecisionExecutorDeps) {}

  async execute(decision: Decision, input: DispatchInput): Promise<void> {
    switch (decision.kind) {
      case 'ignore':
        return;
      case 'respond':
        this.respond(decision.responders, {
          sourceEventId: decision.sourceEventId,
          sourceVersion: decision.sourceVersion,
          requester: decision.requester,
          threadRoot: decision.threadRoot,
          roomId: input.roomId,
        });
        return;
      case 'route': {
        const chosen = await this.deps.router.choose(decision);
        if (chosen === undefined) return;
        this.respond([chosen], {
          sourceEventId: decision.sourceEventId,
          sourceVersion: 'eventId' in input ? input.eventId : decision.sourceEventId,
          requester: decision.requester,
          threadRoot: decision.threadRoot,
          roomId: input.roomId,
        });
        return;
      }
      case 'team': {
        // The router writes an ad-hoc team's synthesis where it is present (rooms); in a DM
        // with several agents, the first member does.
        const [first] = decision.members;
        if (first === undefined) return;
        const poster = this.deps.registry.joinedEntities(input.roomId).has('router')
          ? 'router'
          : first;
        this.respond([adHocTeamKey(decision.mode, poster, decision.members)], {
          sourceEventId: decision.sourceEventId,
          sourceVersion: decision.sourceVersion,
          requester: decision.requester,
          threadRoot: decision.threadRoot,
          roomId: input.roomId,
        });
        return;
      }
      case 'regenerate':
        await this.regenerate(decision);
        return;
      case 'stop':
        for (const turn of decision.turns) {
          const wasRunning = this.deps.coordinator.isRunning(turn.responder, turn.sourceEventId);
          this.deps.interactions.cancelForTurn(turn.responder, turn.sourceEventId);
          await this.deps.coordinator.abort(
            turn.responder,
            turn.sourceEventId,
            new AbortReason('stopped', `stopped by ${decision.by}`),
          );
          if (!wasRunning)
            this.deps.store.turns.finish(turn.responder, turn.sourceEventId, 'stopped');
        }
        return;
      case 'command':
        await this.deps.commands.handle(decision);
        return;
      case 'interaction': {
        const record = this.deps.store.interactions.get(decision.interactionId);
        if (record === undefined) return;
        if (decision.via === 'reaction') {
          await this.deps.interactions.onReaction(
            record,
            decision.sender,
            decision.value,
            decision.eventId,
            decision.atMs,
          );
        } else {
          await this.deps.interactions.onReply(
            record,
            decision.sender,
            decision.value,
            decision.eventId,
            decision.atMs,
          );
        }
        return;
      }
      case 'join':
        await this.join(decision);
        return;
    }
  }

  private respond(
    responders: readonly string[],
    source: {
      sourceEventId: string;
      sourceVersion: string;
      requester: string;
      threadRoot: string;
      roomId: string;
    },
  ): void {
    const { store, launcher } = this.deps;
    for (const responder of responders) {
      const claim = store.turns.claim({ responder, ...source });
      if (claim === 'duplicate') {
        this.deps.log.debug('already answered', { responder, source: source.sourceEventId });
        continue;
      }
      const turn = store.turns.get(responder, source.sourceEventId);
      if (turn !== undefined) launcher.launch(turn);
    }
  }

  private async regenerate(decision: Extract<Decision, { kind: 'regenerate' }>): Promise<void> {
    const { store, coordinator, launcher } = this.deps;
    for (const responder of decision.responders) {
      this.deps.interactions.cancelForTurn(responder, decision.sourceEventId);
      await coordinator.abort(
        responder,
        decision.sourceEventId,
        new AbortReason('superseded', 'the message was edited'),
      );
      store.turns.reopen(responder, decision.sourceEventId, decision.sourceVersion);
      const turn = store.turns.get(responder, decision.sourceEventId);
      if (turn !== undefined) launcher.launch(turn);
    }
  }

  private async join(decision: Extract<Decision, { kind: 'join' }>): Promise<void> {
    const bot = this.deps.bot(decision.entity);
    const client = bot?.client;
    if (client === undefined) return;
    try {
      const roomId = await client.joinRoom(asRoomId(decision.roomId));
      this.deps.registry.setJoined(decision.entity, roomId, true);
      if (decision.isDirect && decision.inviter !== undefined) {
        this.deps.store.directRooms.add(decision.entity, roomId, decision.inviter);
        this.deps.registry.markDirect(decision.entity, roomId);
      }
      this.deps.log.info('joined a room on invite', {
        entity: decision.entity,
        roomId,
        isDirect: decision.isDirect,
      });
    } catch (error: unknown) {
      this.deps.log.warn('could not accept an invite', {
        entity: decision.entity,
        roomId: decision.roomId,
        error,
      });
    }
  }
}
