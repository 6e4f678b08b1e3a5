import {
  type AgentTurnRunner,
  type FollowUp,
  type TurnCoordinator,
  type TurnRequest,
} from '../agents/index.js';
import type { Logger } from '../shared/index.js';
import type { TurnRecord } from '../storage/index.js';
import type { TeamTurnRunner } from './team-runner.js';

export interface TurnLauncherDeps {
  readonly coordinator: TurnCoordinator;
  readonly agents: AgentTurnRunner;
  readonly teams: TeamTurnRunner;
  /** Called once after every started turn has ended, however it ended (memory extraction). */
  readonly onEnded?: (turn: TurnRecord) => void;
  readonly log: Logger;
}

/** What a launched turn may hand back, and what else it is asked to do. */
export interface LaunchOptions {
  readonly request?: TurnRequest | undefined;
  /** Receives work the turn hands back (a handoff) before the turn ends. */
  readonly onFollowUp: (followUp: FollowUp) => void;
  /** Called once when a started turn has ended, however it ended. */
  readonly onFinished?: () => void;
}

/**
 * Starts claimed turns under the turn coordinator (one per responder and source event, with
 * its own AbortSignal): team responders (configured or ad-hoc teams) on the team runner,
 * everything else on the agent runner. The turn record is the source of truth, so a turn can
 * be launched again after a crash and edits its existing reply.
 */
export class TurnLauncher {
  constructor(private readonly deps: TurnLauncherDeps) {}

  /**
   * Launches `turn` unless it is already running or its responder cannot answer now (then
   * the turn stays open for recovery). Returns whether it started.
   */
  launch(turn: TurnRecord, options: LaunchOptions): boolean {
    const { coordinator, agents, teams, log } = this.deps;
    const isTeam = teams.handles(turn.responder);
    if (!isTeam && !agents.canRun(turn.responder)) {
      log.warn('responder is not running; the turn stays open', {
        responder: turn.responder,
        source: turn.sourceEventId,
      });
      return false;
    }
    return coordinator.start(turn.responder, turn.sourceEventId, async (signal) => {
      try {
        if (isTeam) await teams.run(turn, signal);
        else
          await agents.runOwnTurn(turn, {
            request: options.request,
            signal,
            onFollowUp: options.onFollowUp,
          });
      } finally {
        options.onFinished?.();
        this.deps.onEnded?.(turn);
      }
    });
  }
}
