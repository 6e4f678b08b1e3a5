import { STREAM_STATUS_KEY, type OutgoingText } from '../matrix/index.js';
import type { Clock, EventId, Logger, RoomId, UserId } from '../shared/index.js';

/** Content key naming the event a reply answers (lets a resend after a crash find it). */
export const SOURCE_EVENT_KEY = 'io.quorum.source';

/** How a reply's text became final. */
export type ReplyOutcome = 'completed' | 'stopped' | 'failed' | 'interrupted';

/** The outbox operations a reply needs (one bot's Outbox implements them). */
export interface ReplyOutbox {
  sendText(roomId: RoomId, message: OutgoingText, txnId: string): Promise<EventId>;
  editText(
    roomId: RoomId,
    targetId: EventId,
    message: OutgoingText,
    txnId: string,
    options: { readonly isFinal: boolean },
  ): Promise<EventId | undefined>;
  react(roomId: RoomId, targetId: EventId, key: string, txnId: string): Promise<EventId>;
  redact(roomId: RoomId, eventId: EventId, txnId: string, reason?: string): Promise<EventId>;
}

export interface ReplyStreamOptions {
  readonly outbox: ReplyOutbox;
  readonly clock: Clock;
  readonly log: Logger;
  readonly roomId: RoomId;
  /** The thread to reply in; `undefined` replies in the main timeline. */
  readonly threadRoot: EventId | undefined;
  readonly sourceEventId: EventId;
  /** Unique per (responder, source event): the base of every transaction id of this reply. */
  readonly txnPrefix: string;
  /** Bumped per regeneration so edits of a regenerated reply never reuse a transaction id. */
  readonly generation: number;
  /** The reply to edit in place (regeneration, or resuming after a crash). */
  readonly existingReplyId: EventId | undefined;
  readonly isStreaming: boolean;
  readonly useMarkdown: boolean;
  readonly showStopButton: boolean;
  /** Users to mention in the final text. */
  readonly mentionsFor?: (text: string) => readonly UserId[];
  /** Called once with the reply's event id when it is first sent. */
  readonly onReplySent: (replyId: EventId) => void;
  /** Called when the first text becomes visible (for latency metrics). */
  readonly onFirstVisible?: () => void;
}

/** A collapsible block under a reply (long tool output). */
export interface ReplyDetail {
  readonly summary: string;
  readonly text: string;
}

/**
 * Where a turn writes its reply as it grows: a Matrix message (`ReplyStream`), or an API
 * response. The text becomes final exactly once, through `finish` (or `abandon` when a newer
 * generation takes over).
 */
export interface ReplySink {
  /** The reply's text so far (the newest wins; a sink may skip intermediate versions). */
  update(text: string): void;
  /** Collapsible blocks shown under the reply (long tool output). */
  setDetails(details: readonly ReplyDetail[]): void;
  /** Writes the final text with how the turn ended. */
  finish(text: string, outcome: ReplyOutcome): Promise<unknown>;
  /** Leaves the reply to a newer generation (an edit superseded the turn). */
  abandon(): Promise<void>;
}

/** How long the first streamed text waits for more before it is sent (see `runPump`). */
export const FIRST_SEND_COALESCE_MS = 25;

/** Pause between streaming edits: about two a second at first, slower as the text grows. */
export function editIntervalMs(textLength: number): number {
  if (textLength < 1_000) return 500;
  if (textLength < 4_000) return 1_000;
  return 2_000;
}

const OUTCOME_SUFFIX: Record<ReplyOutcome, string> = {
  completed: '',
  failed: '',
  stopped: '\n\n_⏹ Stopped._',
  interrupted: '\n\n_(Cut short: Quorum is restarting this agent.)_',
};

/**
 * One reply message, from first token to final text. The first text is sent at once (the
 * first visible token is what people wait for); later text is edited in at `editIntervalMs`,
 * each edit carrying the newest text; `finish` writes the final text exactly once.
 * Non-streaming replies send only the final text.
 */
export class ReplyStream implements ReplySink {
  private latest = '';
  private sentText: string | undefined;
  private replyId: EventId | undefined;
  private editCount = 0;
  private lastEditAt = 0;
  private isFinishing = false;
  private pump: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private stopButton: Promise<EventId | undefined> | undefined;
  private details: readonly { readonly summary: string; readonly text: string }[] = [];

  constructor(private readonly options: ReplyStreamOptions) {
    this.replyId = options.existingReplyId;
  }

  /** The reply's event id, once sent. */
  get eventId(): EventId | undefined {
    return this.replyId;
  }

  /** Collapsible blocks shown before the text (long tool output), from the next update on. */
  setDetails(details: readonly ReplyDetail[]): void {
    this.details = details;
  }

  /** The text the model produced so far (the whole text, not a delta). */
  update(text: string): void {
    if (this.isFinishing || !this.options.isStreaming) return;
    this.latest = text;
    if (text.trim().length === 0) return;
    this.pump ??= this.runPump();
    this.wake?.();
  }

  /**
   * Writes the final text (with a note for stopped or interrupted replies) and resolves with
   * the reply's event id. Call once; later calls are ignored.
   */
  async finish(text: string, outcome: ReplyOutcome): Promise<EventId | undefined> {
    if (this.isFinishing) return this.replyId;
    this.isFinishing = true;
    this.wake?.();
    await this.pump?.catch(() => undefined);
    const body =
      `${text.trim().length > 0 ? text : outcome === 'completed' ? '_(no answer)_' : ''}${OUTCOME_SUFFIX[outcome]}`.trim();
    const message = this.message(body, 'final');
    if (this.replyId === undefined) {
      this.replyId = await this.options.outbox.sendText(
        this.options.roomId,
        message,
        `${this.options.txnPrefix}.send`,
      );
      this.options.onReplySent(this.replyId);
      this.options.onFirstVisible?.();
    } else {
      await this.options.outbox.editText(
        this.options.roomId,
        this.replyId,
        message,
        `${this.options.txnPrefix}.g${this.options.generation}.final`,
        { isFinal: true },
      );
    }
    await this.removeStopButton();
    return this.replyId;
  }

  /**
   * Stops streaming without a final edit: the reply is about to be regenerated in place
   * (the source was edited), and the next generation writes its final text.
   */
  async abandon(): Promise<void> {
    this.isFinishing = true;
    this.wake?.();
    await this.pump?.catch(() => undefined);
    await this.removeStopButton();
  }

  private async runPump(): Promise<void> {
    const { outbox, roomId, txnPrefix, generation, clock } = this.options;
    while (!this.isFinishing) {
      if (this.sentText === this.latest) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        this.wake = undefined;
        continue;
      }
      if (this.replyId === undefined) {
        // A short pause before the first send lets a reply that finishes at once go out as
        // one final message instead of a message and an edit (one round trip less).
        await this.sleepUnlessFinishing(FIRST_SEND_COALESCE_MS);
        if (this.isFinishingNow()) break;
        this.sentText = this.latest;
        this.replyId = await outbox.sendText(
          roomId,
          this.message(this.latest, 'streaming'),
          `${txnPrefix}.send`,
        );
        this.lastEditAt = clock.now();
        this.options.onReplySent(this.replyId);
        this.options.onFirstVisible?.();
        // A reply that finished while its first text was on the way gets no stop button: the
        // button would be redacted again at once, and the final edit would queue behind it.
        if (this.options.showStopButton && !this.hasFinishStarted()) {
          this.stopButton = outbox
            .react(roomId, this.replyId, '🛑', `${txnPrefix}.g${generation}.stop`)
            .catch((error: unknown) => {
              this.options.log.warn('could not add the stop button', { error });
              return undefined;
            });
        }
        continue;
      }
      const waitMs = this.lastEditAt + editIntervalMs(this.latest.length) - clock.now();
      if (waitMs > 0) {
        await this.sleepUnlessFinishing(waitMs);
        continue;
      }
      const text = this.latest;
      this.editCount += 1;
      this.lastEditAt = clock.now();
      this.sentText = text;
      await outbox.editText(
        roomId,
        this.replyId,
        this.message(text, 'streaming'),
        `${txnPrefix}.g${generation}.e${this.editCount}`,
        {
          isFinal: false,
        },
      );
    }
  }

  // A method, not `this.isFinishing`, because the compiler narrows that to false inside the
  // pump's loop, while `finish` may set it during any await.
  private hasFinishStarted(): boolean {
    return this.isFinishing;
  }

  /** Sleeps `ms`, or less when `finish` is called meanwhile. */
  /** Read through a call: `finish` may have flipped it while the pump awaited. */
  private isFinishingNow(): boolean {
    return this.isFinishing;
  }

  private async sleepUnlessFinishing(ms: number): Promise<void> {
    const controller = new AbortController();
    this.wake = () => {
      if (this.isFinishing) controller.abort();
    };
    await this.options.clock.sleep(ms, controller.signal).catch(() => undefined);
    this.wake = undefined;
  }

  private async removeStopButton(): Promise<void> {
    const reactionId = await this.stopButton;
    if (reactionId === undefined) return;
    await this.options.outbox
      .redact(
        this.options.roomId,
        reactionId,
        `${this.options.txnPrefix}.g${this.options.generation}.unstop`,
      )
      .catch((error: unknown) => {
        this.options.log.warn('could not remove the stop button', { error });
      });
  }

  private message(text: string, status: 'streaming' | 'final'): OutgoingText {
    const body = status === 'streaming' ? `${text} ⋯` : text;
    const mentions = status === 'final' ? (this.options.mentionsFor?.(text) ?? []) : [];
    return {
      body,
      format: this.options.useMarkdown ? 'markdown' : 'plain',
      ...(this.options.threadRoot === undefined
        ? {}
        : { thread: { rootId: this.options.threadRoot, replyToId: this.options.sourceEventId } }),
      ...(mentions.length > 0 ? { mentions } : {}),
      ...(this.details.length > 0 ? { details: this.details } : {}),
      extraContent: { [STREAM_STATUS_KEY]: status, [SOURCE_EVENT_KEY]: this.options.sourceEventId },
    };
  }
}
