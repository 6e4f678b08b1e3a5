import type {
  MediaSender,
  MessageEditor,
  MessageSender,
  OutgoingFile,
  OutgoingText,
  Reactor,
} from '../matrix/index.js';
import {
  AbortReason,
  asDaemonError,
  type DaemonError,
  exponentialBackoffMs,
  type Clock,
  type EventId,
  type Logger,
  type RoomId,
} from '../shared/index.js';

/** Matrix error codes worth retrying with the same transaction id. */
const TRANSIENT_CODES: ReadonlySet<string> = new Set(['network', 'timeout', 'server_error']);

/** The capabilities the outbox sends through (one bot's client). */
export type OutboxClient = MessageSender & MessageEditor & Reactor & MediaSender;

export interface OutboxOptions {
  readonly client: OutboxClient;
  readonly clock: Clock;
  readonly log: Logger;
  /** Attempts for a transient failure before the operation fails (rate limits do not count). */
  readonly maxAttempts?: number;
  /** Base delay of the exponential retry backoff. */
  readonly retryBaseMs?: number;
  /** Longest single wait for a rate limit before giving up on that attempt. */
  readonly maxRateLimitWaitMs?: number;
  /** Called with the wait whenever the homeserver rate-limits this bot. */
  readonly onRateLimited?: (retryAfterMs: number) => void;
}

type Lane = 'urgent' | 'stream';

interface Operation {
  readonly lane: Lane;
  /** Edits of the same message share a key; a newer edit replaces a queued older one. */
  readonly coalesceKey: string | undefined;
  readonly run: () => Promise<EventId>;
  readonly what: string;
  readonly resolve: (eventId: EventId | undefined) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * One bot's outbox: every send, edit, reaction and redaction goes through it, one request at
 * a time, with the caller's transaction id so a retry (or a resend after a crash) is
 * idempotent at the homeserver.
 *
 * - Intermediate streaming edits ride a `stream` lane that yields to the `urgent` lane
 *   (new messages, reactions, final edits), so a long stream never delays a reply to a person.
 * - Edits of one message coalesce: a queued edit is replaced by a newer one (its promise
 *   resolves `undefined`), and a final edit drops every queued intermediate edit of the same
 *   message, so a stale text can never land after the final one.
 * - `M_LIMIT_EXCEEDED` pauses the whole bot for `retry_after_ms`; transient failures retry
 *   with exponential backoff; other failures reject at once.
 */
export class Outbox {
  private readonly queues: Record<Lane, Operation[]> = { urgent: [], stream: [] };
  private isWorking = false;
  private isClosed = false;
  private idle: Promise<void> = Promise.resolve();
  private markIdle: () => void = () => undefined;
  private readonly closing = new AbortController();

  constructor(private readonly options: OutboxOptions) {}

  /** Sends a new message; resolves with its event id. */
  sendText(roomId: RoomId, message: OutgoingText, txnId: string): Promise<EventId> {
    return this.enqueue('urgent', undefined, `send ${txnId}`, () =>
      this.options.client.sendText(roomId, message, { txnId }),
    ) as Promise<EventId>;
  }

  /** Uploads and posts a file (encrypted in encrypted rooms); resolves with its event id. */
  sendFile(roomId: RoomId, file: OutgoingFile, txnId: string): Promise<EventId> {
    return this.enqueue('urgent', undefined, `send file ${txnId}`, () =>
      this.options.client.sendFile(roomId, file, { txnId }),
    ) as Promise<EventId>;
  }

  /**
   * Replaces the content of `targetId`. Intermediate edits (`isFinal: false`) coalesce and may
   * resolve `undefined` when a newer edit of the same message superseded them.
   */
  editText(
    roomId: RoomId,
    targetId: EventId,
    message: OutgoingText,
    txnId: string,
    options: { readonly isFinal: boolean },
  ): Promise<EventId | undefined> {
    return this.enqueue(
      options.isFinal ? 'urgent' : 'stream',
      `edit:${targetId}`,
      `edit ${txnId}`,
      () => this.options.client.editText(roomId, targetId, message, { txnId }),
    );
  }

  react(roomId: RoomId, targetId: EventId, key: string, txnId: string): Promise<EventId> {
    return this.enqueue('urgent', undefined, `react ${txnId}`, () =>
      this.options.client.react(roomId, targetId, key, { txnId }),
    ) as Promise<EventId>;
  }

  redact(roomId: RoomId, eventId: EventId, txnId: string, reason?: string): Promise<EventId> {
    return this.enqueue('urgent', undefined, `redact ${txnId}`, () =>
      this.options.client.redact(
        roomId,
        eventId,
        reason === undefined ? { txnId } : { txnId, reason },
      ),
    ) as Promise<EventId>;
  }

  /** Number of queued operations (not counting the one in flight). */
  get pending(): number {
    return this.queues.urgent.length + this.queues.stream.length;
  }

  /** Resolves once every queued operation has finished. */
  async drain(): Promise<void> {
    await this.idle;
  }

  /**
   * Stops the outbox: queued operations reject with a shutdown reason and a pending retry
   * wait is cut short. Call `drain()` first to let queued sends finish. Idempotent.
   */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.closing.abort(new AbortReason('shutdown', 'outbox closed'));
    for (const lane of ['urgent', 'stream'] as const) {
      for (const op of this.queues[lane].splice(0))
        op.reject(new AbortReason('shutdown', 'outbox closed'));
    }
  }

  private enqueue(
    lane: Lane,
    coalesceKey: string | undefined,
    what: string,
    run: () => Promise<EventId>,
  ): Promise<EventId | undefined> {
    if (this.isClosed) return Promise.reject(new AbortReason('shutdown', 'outbox closed'));
    return new Promise<EventId | undefined>((resolve, reject) => {
      if (coalesceKey !== undefined) this.dropQueued(coalesceKey);
      this.queues[lane].push({ lane, coalesceKey, run, what, resolve, reject });
      this.startWorker();
    });
  }

  /** Removes queued edits of the same message; their callers learn they were superseded. */
  private dropQueued(coalesceKey: string): void {
    for (const lane of ['urgent', 'stream'] as const) {
      const queue = this.queues[lane];
      for (let i = queue.length - 1; i >= 0; i--) {
        const op = queue[i];
        // A queued final edit is never replaced by an intermediate one behind it.
        if (op?.coalesceKey === coalesceKey && op.lane === 'stream') {
          queue.splice(i, 1);
          op.resolve(undefined);
        }
      }
    }
  }

  private startWorker(): void {
    if (this.isWorking) return;
    this.isWorking = true;
    this.idle = new Promise((resolve) => {
      this.markIdle = resolve;
    });
    void this.work();
  }

  private async work(): Promise<void> {
    try {
      for (;;) {
        const op = this.queues.urgent.shift() ?? this.queues.stream.shift();
        if (op === undefined) break;
        try {
          op.resolve(await this.attempt(op));
        } catch (error: unknown) {
          op.reject(error);
        }
      }
    } finally {
      this.isWorking = false;
      this.markIdle();
    }
  }

  private async attempt(op: Operation): Promise<EventId> {
    const maxAttempts = this.options.maxAttempts ?? 6;
    const maxRateLimitWaitMs = this.options.maxRateLimitWaitMs ?? 120_000;
    let failures = 0;
    for (;;) {
      try {
        return await op.run();
      } catch (caught: unknown) {
        const error = asDaemonError(caught);
        if (error === undefined || this.isClosed) throw caught;
        if (error.code === 'rate_limited') {
          const retryAfterMs = readRetryAfter(error) ?? 1000;
          if (retryAfterMs > maxRateLimitWaitMs) throw error;
          this.options.onRateLimited?.(retryAfterMs);
          this.options.log.warn('rate limited by the homeserver', { op: op.what, retryAfterMs });
          await this.options.clock.sleep(retryAfterMs, this.closing.signal);
          continue;
        }
        failures += 1;
        if (!TRANSIENT_CODES.has(error.code) || failures >= maxAttempts) throw error;
        const delayMs = exponentialBackoffMs(failures, this.options.retryBaseMs ?? 250, 10_000);
        this.options.log.warn('send failed, retrying', {
          op: op.what,
          code: error.code,
          attempt: failures,
          delayMs,
        });
        await this.options.clock.sleep(delayMs, this.closing.signal);
      }
    }
  }
}

function readRetryAfter(error: DaemonError): number | undefined {
  const value: unknown = (error as DaemonError & { retryAfterMs?: unknown }).retryAfterMs;
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}
