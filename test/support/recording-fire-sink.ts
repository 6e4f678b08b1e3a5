import type { ScheduleFire, ScheduleFireSink, ScheduleNotice } from '../../src/schedules/index.js';
import type { Clock } from '../../src/shared/index.js';

/** One call the sink received, with the clock time it arrived. */
export interface SinkCall<T> {
  readonly value: T;
  readonly atMs: number;
}

/**
 * A ScheduleFireSink for tests that records every fire and notice (with the fake clock's time),
 * admits each fire id once (like the journal), and can be told to fail or hang.
 */
export class RecordingFireSink implements ScheduleFireSink {
  readonly fireCalls: SinkCall<ScheduleFire>[] = [];
  readonly noticeCalls: SinkCall<ScheduleNotice>[] = [];
  /** Fire ids admitted once each, in order: what dispatch would act on. */
  readonly admitted: ScheduleFire[] = [];
  /** Fail this many calls (fires or notices) before accepting. */
  failures = 0;
  /** While true, calls wait until aborted (a hung homeserver). */
  hang = false;
  private readonly seen = new Set<string>();

  constructor(private readonly clock: Clock) {}

  fire(fire: ScheduleFire, options: { readonly signal: AbortSignal }): Promise<void> {
    this.fireCalls.push({ value: fire, atMs: this.clock.now() });
    return this.answer(options.signal, () => {
      if (this.seen.has(fire.id)) return;
      this.seen.add(fire.id);
      this.admitted.push(fire);
    });
  }

  notify(notice: ScheduleNotice, options: { readonly signal: AbortSignal }): Promise<void> {
    this.noticeCalls.push({ value: notice, atMs: this.clock.now() });
    return this.answer(options.signal, () => undefined);
  }

  private answer(signal: AbortSignal, accept: () => void): Promise<void> {
    if (this.hang) {
      return new Promise((_, reject) => {
        signal.addEventListener(
          'abort',
          () => {
            reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
          },
          { once: true },
        );
      });
    }
    if (this.failures > 0) {
      this.failures -= 1;
      return Promise.reject(new Error('homeserver unavailable'));
    }
    accept();
    return Promise.resolve();
  }
}
