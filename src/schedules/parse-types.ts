/** Shapes shared by the schedule rules (`schedule-parser.ts`, `recurring-rules.ts`). */
import type { TimeStyle } from './schedule-wording.js';

/** "Now" and the zone a request is read in. */
export interface ParseContext {
  readonly nowMs: number;
  readonly timezone: string;
}

/** When a schedule is due: one instant, or a cron expression with its reading in words. */
export type ParsedTiming =
  | { readonly kind: 'once'; readonly atMs: number }
  | { readonly kind: 'cron'; readonly cron: string; readonly description: string };

/** One rule's verdict on the start of a text. */
export type TimingStep =
  | {
      readonly kind: 'match';
      readonly timing: ParsedTiming;
      readonly length: number;
      readonly style: TimeStyle;
    }
  | { readonly kind: 'invalid'; readonly reason: string }
  | { readonly kind: 'ambiguous'; readonly hint: string }
  | undefined;

/** A rule reading a timing at the start of a text. */
export type TimingRule = (text: string, context: ParseContext) => TimingStep;
