import type { QuorumConfig } from '../config/index.js';
import type { QuorumMetrics } from '../shared/index.js';

/** Load limits, read from the current config on every decision (see `quorum.limits`). */
export interface TurnLimits {
  /** Turns one person may have running at once. */
  readonly turnsPerUser: number;
  /** Turns one room may have running at once. */
  readonly turnsPerRoom: number;
  /** Turns a room may have waiting. */
  readonly queuedPerRoom: number;
  /** Requests one person may start per minute (token bucket of this size). */
  readonly requestsPerMinute: number;
}

/** {@link TurnLimits} of `quorum.limits`. */
export function turnLimitsOf(limits: QuorumConfig['quorum']['limits']): TurnLimits {
  return {
    turnsPerUser: limits.turns_per_user,
    turnsPerRoom: limits.turns_per_room,
    queuedPerRoom: limits.queued_turns_per_room,
    requestsPerMinute: limits.messages_per_minute_per_user,
  };
}

/** A turn as admission sees it. */
export interface AdmittedTurn {
  readonly responder: string;
  readonly sourceEventId: string;
  readonly requester: string;
  readonly roomId: string;
}

/** What happened to a turn that asked to run. */
export type AdmissionOutcome =
  | { readonly kind: 'started' }
  /** Waiting; `ahead` turns of the room wait before it. */
  | { readonly kind: 'queued'; readonly ahead: number }
  /** The room's queue is full: the turn does not run. */
  | { readonly kind: 'refused' };

/** Whether a person may start a request now. */
export type RateVerdict =
  | { readonly kind: 'allowed' }
  /** Over the limit; `shouldNotify` is true once per minute per person (for a visible note). */
  | { readonly kind: 'limited'; readonly retryAfterMs: number; readonly shouldNotify: boolean };

interface Waiting {
  readonly turn: AdmittedTurn;
  /** Starts the turn; false when it could not start (its slot is freed at once). */
  readonly start: () => boolean;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
  notifiedAt: number;
}

const MINUTE_MS = 60_000;

/**
 * Keeps one person or one room from taking the fleet over: a per-person request rate (token
 * bucket), and caps on running turns per person and per room. A turn over a cap waits in its
 * room's bounded queue and starts when a slot frees; turns of other people in the room are
 * not held up behind one person's backlog. In memory: a restart resumes claimed turns through
 * recovery.
 */
export class TurnAdmission {
  private readonly running = new Map<string, AdmittedTurn>();
  private readonly perUser = new Map<string, number>();
  private readonly perRoom = new Map<string, number>();
  private readonly queues = new Map<string, Waiting[]>();
  private readonly buckets = new Map<string, Bucket>();

  /**
   * @param deps.metrics when given, `quorum_turns_running{room}` and `quorum_turns_queued{room}`
   *   follow every change, and admissions and rate-limited requests are counted.
   */
  constructor(
    private readonly deps: {
      readonly limits: () => TurnLimits;
      readonly now: () => number;
      readonly metrics?: Pick<
        QuorumMetrics,
        'turnsRunning' | 'turnsQueued' | 'turnAdmissions' | 'turnsStarted' | 'requestsRateLimited'
      >;
    },
  ) {}

  /** Takes one request from `userId`'s bucket, or says how long until the next is allowed. */
  request(userId: string): RateVerdict {
    const { requestsPerMinute } = this.deps.limits();
    const now = this.deps.now();
    const bucket = this.buckets.get(userId) ?? {
      tokens: requestsPerMinute,
      updatedAt: now,
      notifiedAt: Number.NEGATIVE_INFINITY,
    };
    const refill = ((now - bucket.updatedAt) / MINUTE_MS) * requestsPerMinute;
    bucket.tokens = Math.min(requestsPerMinute, bucket.tokens + refill);
    bucket.updatedAt = now;
    this.buckets.set(userId, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { kind: 'allowed' };
    }
    this.deps.metrics?.requestsRateLimited.inc();
    const retryAfterMs = Math.ceil(((1 - bucket.tokens) / requestsPerMinute) * MINUTE_MS);
    const shouldNotify = now - bucket.notifiedAt >= MINUTE_MS;
    if (shouldNotify) bucket.notifiedAt = now;
    return { kind: 'limited', retryAfterMs, shouldNotify };
  }

  /**
   * A claimed turn asks to run: `start` is called now, later (queued), or never (refused).
   * `start` returns false when the turn could not start; its slot is then freed at once.
   * Call `finished` when a started turn ends.
   */
  admit(turn: AdmittedTurn, start: () => boolean): AdmissionOutcome {
    const outcome = this.place(turn, start);
    this.deps.metrics?.turnAdmissions.inc({ outcome: outcome.kind });
    this.observe(turn.roomId);
    return outcome;
  }

  private place(turn: AdmittedTurn, start: () => boolean): AdmissionOutcome {
    if (this.fits(turn)) {
      this.begin({ turn, start });
      return { kind: 'started' };
    }
    const queue = this.queues.get(turn.roomId) ?? [];
    if (queue.length >= this.deps.limits().queuedPerRoom) return { kind: 'refused' };
    queue.push({ turn, start });
    this.queues.set(turn.roomId, queue);
    return { kind: 'queued', ahead: queue.length - 1 };
  }

  /** A turn ended (or could not start): frees its slots and starts waiting turns that now fit. */
  finished(turn: AdmittedTurn): void {
    const key = keyOf(turn);
    if (!this.running.delete(key)) return;
    decrement(this.perUser, turn.requester);
    decrement(this.perRoom, turn.roomId);
    const rooms = new Set([turn.roomId, ...this.queues.keys()]);
    this.startWaiting(turn.roomId);
    for (const roomId of [...this.queues.keys()]) this.startWaiting(roomId);
    for (const roomId of rooms) this.observe(roomId);
  }

  /** Puts the room's running and queued counts into the gauges (a zero removes the series). */
  private observe(roomId: string): void {
    const metrics = this.deps.metrics;
    if (metrics === undefined) return;
    const labels = { room: roomId };
    const running = this.perRoom.get(roomId) ?? 0;
    const queued = this.queueLength(roomId);
    if (running > 0) metrics.turnsRunning.set(running, labels);
    else metrics.turnsRunning.remove(labels);
    if (queued > 0) metrics.turnsQueued.set(queued, labels);
    else metrics.turnsQueued.remove(labels);
  }

  /** Turns waiting in a room. */
  queueLength(roomId: string): number {
    return this.queues.get(roomId)?.length ?? 0;
  }

  /** Turns running now. */
  get runningCount(): number {
    return this.running.size;
  }

  private fits(turn: AdmittedTurn): boolean {
    const limits = this.deps.limits();
    return (
      (this.perUser.get(turn.requester) ?? 0) < limits.turnsPerUser &&
      (this.perRoom.get(turn.roomId) ?? 0) < limits.turnsPerRoom
    );
  }

  private begin(waiting: Waiting): void {
    const { turn } = waiting;
    const key = keyOf(turn);
    this.running.set(key, turn);
    this.perUser.set(turn.requester, (this.perUser.get(turn.requester) ?? 0) + 1);
    this.perRoom.set(turn.roomId, (this.perRoom.get(turn.roomId) ?? 0) + 1);
    if (waiting.start()) {
      this.deps.metrics?.turnsStarted.inc();
      return;
    }
    // It did not start (already running, or its responder is down): no slot is taken.
    this.running.delete(key);
    decrement(this.perUser, turn.requester);
    decrement(this.perRoom, turn.roomId);
  }

  /** Starts the room's waiting turns that fit, in order, skipping those still over a cap. */
  private startWaiting(roomId: string): void {
    const queue = this.queues.get(roomId);
    if (queue === undefined) return;
    for (let index = 0; index < queue.length;) {
      const waiting = queue[index];
      if (waiting !== undefined && this.fits(waiting.turn)) {
        queue.splice(index, 1);
        this.begin(waiting);
      } else {
        index += 1;
      }
    }
    if (queue.length === 0) this.queues.delete(roomId);
  }
}

function keyOf(turn: AdmittedTurn): string {
  return `${turn.responder}\u0000${turn.sourceEventId}`;
}

function decrement(counts: Map<string, number>, key: string): void {
  const next = (counts.get(key) ?? 0) - 1;
  if (next <= 0) counts.delete(key);
  else counts.set(key, next);
}
