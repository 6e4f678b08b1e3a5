/**
 * What a reaction to an interaction card, or a reply to it, means: pure decisions for the
 * dispatcher, from the stored interaction and the event's sender, key or text, and the time.
 */
import type { ApprovalPayload, InteractionRecord } from '../storage/index.js';
import { previewArguments } from './argument-preview.js';
import {
  APPROVE_KEY,
  DENY_KEY,
  normalizeReactionKey,
  optionFromReaction,
  optionFromReply,
  stripReplyFallback,
} from './option-keys.js';

/** The answer stored for a question (`InteractionStore.decide(id, 'answered', answer)`). */
export interface QuestionAnswer {
  /** 0-based index of the chosen option. */
  readonly index: number;
  readonly option: string;
}

/** The answer stored for a denial: the person's reply, given to the model as the reason. */
export interface DenialAnswer {
  readonly reason?: string;
}

/** Why a reaction or reply does nothing. */
export type IgnoreReason =
  | 'not-pending'
  | 'expired'
  | 'not-requester'
  | 'unrelated-key'
  | 'no-matching-option'
  | 'empty-reply';

/**
 * What a reaction or reply does to an interaction:
 * - `answer`: a question's option was chosen (store it as a {@link QuestionAnswer});
 * - `approve`: run the tool call; `confirm`: write the config change (a ✅ on an approval
 *   card that had to shorten the arguments, never shown in full, denies instead, with
 *   {@link NOT_SHOWN_IN_FULL_REASON});
 * - `deny`: refuse the tool call (with the reply as `reason`, if it came from a reply);
 * - `cancel`: drop the config change, or the question;
 * - `ignore`: nothing happens (someone else reacted, another key, too late, already decided).
 */
export type InteractionResponse =
  | { readonly kind: 'answer'; readonly index: number; readonly option: string }
  | { readonly kind: 'approve' }
  | { readonly kind: 'confirm' }
  | { readonly kind: 'deny'; readonly reason?: string }
  | { readonly kind: 'cancel' }
  | { readonly kind: 'ignore'; readonly reason: IgnoreReason };

/**
 * The reason given to the agent (and shown to the person) when ✅ lands on an approval card
 * that had to shorten the arguments and whose full arguments were never shown.
 */
export const NOT_SHOWN_IN_FULL_REASON =
  'The arguments were too long to show in full on the approval card, so the person could not review them and the call was not run. Retry with shorter arguments, or split the work into smaller calls.';

/**
 * Whether an approval may be approved only after its arguments are shown in full: its card
 * shortened them (`previewArguments` with the card's default limit) and they were not posted
 * in full since (`isShownInFull`).
 */
export function needsFullView(payload: ApprovalPayload): boolean {
  return payload.isShownInFull !== true && previewArguments(payload.arguments).isTruncated;
}

/** A reaction to an interaction's card. */
export interface ReactionInput {
  readonly interaction: InteractionRecord;
  readonly reactorUserId: string;
  /** The reaction's `m.relates_to.key`. */
  readonly key: string;
  /** Epoch ms the reaction is judged at (the reaction's timestamp, or now). */
  readonly now: number;
}

/**
 * Decides a reaction. Only the interaction's requester decides, only while it is pending and
 * before it expires. Questions take the option keys (1️⃣ …) of their options, and ❌ cancels;
 * approvals take ✅ (approve) and ❌ (deny); config changes take ✅ (confirm) and ❌ (cancel).
 * Variation selectors in the key are ignored. Everything else is `ignore` with the reason.
 */
export function resolveInteractionReaction(input: ReactionInput): InteractionResponse {
  const { interaction } = input;
  const gate = gateOf(interaction, input.reactorUserId, input.now);
  if (gate !== undefined) return gate;
  const key = normalizeReactionKey(input.key);
  const isApprove = key === normalizeReactionKey(APPROVE_KEY);
  const isDeny = key === normalizeReactionKey(DENY_KEY);
  switch (interaction.kind) {
    case 'question': {
      if (isDeny) return { kind: 'cancel' };
      const index = optionFromReaction(key, interaction.payload.options.length);
      const option = index === undefined ? undefined : interaction.payload.options[index];
      return index === undefined || option === undefined
        ? ignore('unrelated-key')
        : { kind: 'answer', index, option };
    }
    case 'approval':
      if (isApprove) {
        // The person saw only part of what would run: they cannot approve it.
        return needsFullView(interaction.payload)
          ? { kind: 'deny', reason: NOT_SHOWN_IN_FULL_REASON }
          : { kind: 'approve' };
      }
      return isDeny ? { kind: 'deny' } : ignore('unrelated-key');
    case 'config_change':
      if (isApprove) return { kind: 'confirm' };
      return isDeny ? { kind: 'cancel' } : ignore('unrelated-key');
  }
}

/** A reply (an `m.in_reply_to` message) to an interaction's card. */
export interface ReplyInput {
  readonly interaction: InteractionRecord;
  readonly senderUserId: string;
  /** The reply's body; a Matrix reply fallback (`> …` lines) is ignored. */
  readonly text: string;
  readonly now: number;
}

/**
 * Decides a reply, under the same rules as reactions. To a question, a reply naming an option
 * (`2`, `option 2`, or its text) answers it, and anything else is `no-matching-option` (tell
 * the person the options). To an approval card, any reply denies the call, the reply being the
 * reason (MindRoom's behaviour). Config changes are decided by reaction only: a reply is ignored.
 */
export function resolveInteractionReply(input: ReplyInput): InteractionResponse {
  const { interaction } = input;
  const gate = gateOf(interaction, input.senderUserId, input.now);
  if (gate !== undefined) return gate;
  const text = stripReplyFallback(input.text);
  if (text === '') return ignore('empty-reply');
  switch (interaction.kind) {
    case 'question': {
      const index = optionFromReply(text, interaction.payload.options);
      const option = index === undefined ? undefined : interaction.payload.options[index];
      return index === undefined || option === undefined
        ? ignore('no-matching-option')
        : { kind: 'answer', index, option };
    }
    case 'approval':
      return { kind: 'deny', reason: text };
    case 'config_change':
      return ignore('unrelated-key');
  }
}

function gateOf(
  interaction: InteractionRecord,
  userId: string,
  now: number,
): InteractionResponse | undefined {
  if (interaction.state !== 'pending') return ignore('not-pending');
  if (now >= interaction.expiresAt) return ignore('expired');
  if (userId !== interaction.requester) return ignore('not-requester');
  return undefined;
}

function ignore(reason: IgnoreReason): InteractionResponse {
  return { kind: 'ignore', reason };
}
