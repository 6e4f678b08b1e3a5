/**
 * A person approves only what they could read: when an approval card had to shorten a call's
 * arguments, the arguments follow in full below it before ✅ may approve; when they are too
 * long even for that, the call is denied at once and the agent is told why.
 */
import { describeError, type Logger } from '../shared/index.js';
import type { InteractionRecord } from '../storage/index.js';
import type { FullArgumentsView } from './cards.js';
import type { InteractionStore } from './interaction-ports.js';
import { needsFullView } from './resolve-response.js';

/** The reason the agent gets when a call's arguments are too long to be reviewed at all. */
export const TOO_LONG_TO_REVIEW_REASON =
  'The arguments are too long for a person to review in chat, so the call was not run. Retry with shorter arguments, or split the work into smaller calls.';

export interface ApprovalReviewDeps {
  readonly store: Pick<InteractionStore, 'get' | 'decide' | 'markShownInFull'>;
  /** Posts a notice in the approval's thread from the asking entity; resolves with its event id. */
  readonly post: (markdown: string, txnId: string) => Promise<string>;
  readonly log: Logger;
}

/**
 * Completes a pending approval whose card is up: posts the full arguments under a shortened
 * card and marks it shown in full, or denies a call too long to show (with a note, no model
 * or tool involved). Transaction ids are derived from the interaction, so a turn resumed after
 * a restart posts nothing twice. Returns the record as it now stands. A failed post leaves the
 * approval as it was: its ✅ then denies (see `needsFullView`), the safe side.
 */
export async function reviewApproval(
  record: InteractionRecord,
  full: FullArgumentsView,
  deps: ApprovalReviewDeps,
): Promise<InteractionRecord> {
  if (record.kind !== 'approval' || record.state !== 'pending') return record;
  if (!needsFullView(record.payload)) return record;
  if (full.kind === 'too-long') return await denyTooLong(record, full.totalChars, deps);
  try {
    for (const [index, part] of full.parts.entries()) {
      await deps.post(part, `qi.${record.id}.full${index}`);
    }
    deps.store.markShownInFull(record.id);
  } catch (error: unknown) {
    deps.log.warn('could not post the full arguments of an approval; ✅ will deny it', {
      id: record.id,
      error: describeError(error),
    });
  }
  return deps.store.get(record.id) ?? record;
}

async function denyTooLong(
  record: InteractionRecord,
  totalChars: number,
  deps: ApprovalReviewDeps,
): Promise<InteractionRecord> {
  const decided = deps.store.decide(
    record.id,
    'denied',
    { reason: TOO_LONG_TO_REVIEW_REASON },
    record.cardEventId ?? record.id,
  );
  if (decided === 'decided') {
    deps.log.info('an approval was denied: its arguments are too long to review', {
      id: record.id,
      totalChars,
    });
    await deps
      .post(
        `❌ Not run: its arguments (${totalChars} characters) are too long to review here, so nobody can approve them. The agent was asked to retry with smaller arguments.`,
        `qi.${record.id}.too-long`,
      )
      .catch((error: unknown) => {
        deps.log.warn('could not post an interaction outcome', {
          id: record.id,
          error: describeError(error),
        });
      });
  }
  return deps.store.get(record.id) ?? record;
}
