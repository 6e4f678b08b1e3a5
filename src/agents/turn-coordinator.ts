import type { AbortReason } from '../shared/index.js';
import { linkSignal, runTask, type LinkedSignal, type Logger } from '../shared/index.js';

interface RunningTurn {
  readonly link: LinkedSignal;
  readonly done: Promise<void>;
}

/**
 * The turns in flight, keyed by (responder, source event). Each turn runs with its own
 * AbortSignal (linked to the daemon's), so a stop, an edit supersede, a reload or a shutdown
 * aborts exactly the turns it concerns, with a reason the turn can act on.
 */
export class TurnCoordinator {
  private readonly running = new Map<string, RunningTurn>();

  constructor(
    private readonly log: Logger,
    private readonly parentSignal?: AbortSignal,
  ) {}

  static key(responder: string, sourceEventId: string): string {
    return `${responder}\u0000${sourceEventId}`;
  }

  isRunning(responder: string, sourceEventId: string): boolean {
    return this.running.has(TurnCoordinator.key(responder, sourceEventId));
  }

  /** Number of turns in flight. */
  get size(): number {
    return this.running.size;
  }

  /** Turns in flight for a responder (for reloads that restart it). */
  keysFor(responder: string): string[] {
    return [...this.running.keys()].filter((key) => key.startsWith(`${responder}\u0000`));
  }

  /**
   * Runs `task` as the turn (responder, source). Returns false (and runs nothing) when that
   * turn is already in flight. Failures are logged by `runTask`; the task should handle its own.
   */
  start(
    responder: string,
    sourceEventId: string,
    task: (signal: AbortSignal) => Promise<void>,
  ): boolean {
    const key = TurnCoordinator.key(responder, sourceEventId);
    if (this.running.has(key)) return false;
    const link = linkSignal(this.parentSignal);
    const done = (async () => {
      try {
        await task(link.signal);
      } finally {
        link.cleanup();
        this.running.delete(key);
      }
    })();
    this.running.set(key, { link, done });
    runTask(done, { log: this.log, what: `turn ${responder}` });
    return true;
  }

  /** Aborts one turn with `reason` and waits for it to end (resolves at once if none). */
  async abort(responder: string, sourceEventId: string, reason: AbortReason): Promise<void> {
    const turn = this.running.get(TurnCoordinator.key(responder, sourceEventId));
    if (turn === undefined) return;
    turn.link.abort(reason);
    await turn.done.catch(() => undefined);
  }

  /** Aborts every turn whose key matches (all when no filter) and waits for them to end. */
  async abortAll(
    reason: AbortReason,
    filter: (key: string) => boolean = () => true,
  ): Promise<void> {
    const turns = [...this.running.entries()]
      .filter(([key]) => filter(key))
      .map(([, turn]) => turn);
    for (const turn of turns) turn.link.abort(reason);
    await Promise.all(turns.map((turn) => turn.done.catch(() => undefined)));
  }

  /** Resolves when no turn is in flight. */
  async settled(): Promise<void> {
    while (this.running.size > 0) {
      await Promise.all([...this.running.values()].map((turn) => turn.done.catch(() => undefined)));
    }
  }
}
