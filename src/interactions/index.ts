/**
 * interactions/: questions (`ask_user`), tool approvals and config confirmations: the
 * interaction service (cards, waiters, expiry, config file edits) behind narrow ports, the
 * cards Quorum posts, which reaction or reply decides what, MindRoom's `tool_approval` rules
 * and the approval gate, who may edit the config, and continuations after a restart.
 */
export {
  DEFAULT_MAX_ARGUMENT_CHARS,
  isSecretKey,
  previewArguments,
  REDACTED_ARGUMENT,
  redactArguments,
  redactSecretText,
} from './argument-preview.js';
export type { ArgumentPreview } from './argument-preview.js';
export { fenced, formatDuration, inlineCode, oneLine } from './card-text.js';
export {
  formatApprovalCard,
  formatConfigProposal,
  formatFullArguments,
  formatOutcomeNote,
  formatQuestionCard,
  MAX_DIFF_LINES,
} from './cards.js';
export type {
  ApprovalCard,
  ApprovalCardOptions,
  CardAudience,
  ConfigProposalOptions,
  FullArgumentsOptions,
  FullArgumentsView,
} from './cards.js';
export {
  APPROVE_KEY,
  DENY_KEY,
  MAX_OPTIONS,
  normalizeReactionKey,
  OPTION_KEYS,
  optionFromReaction,
  optionFromReply,
  stripReplyFallback,
} from './option-keys.js';
export {
  needsFullView,
  NOT_SHOWN_IN_FULL_REASON,
  resolveInteractionReaction,
  resolveInteractionReply,
} from './resolve-response.js';
export type {
  DenialAnswer,
  IgnoreReason,
  InteractionResponse,
  QuestionAnswer,
  ReactionInput,
  ReplyInput,
} from './resolve-response.js';
export { globToRegExp, matchToolApproval } from './tool-approval.js';
export type { ToolApprovalMatch } from './tool-approval.js';
export { withApprovals } from './approval-gate.js';
export { reviewApproval, TOO_LONG_TO_REVIEW_REASON } from './approval-review.js';
export type { ApprovalReviewDeps } from './approval-review.js';
export { createConfigAccess } from './config-access.js';
export type { ConfigAccessDeps } from './config-access.js';
export { continuationPrompt } from './continuation.js';
export type { ContinuationDeps, ContinuationStore } from './continuation.js';
export { fileConfigEditor } from './file-config-editor.js';
export type { CardPlace, CardPoster, ConfigEditor, InteractionStore } from './interaction-ports.js';
export { InteractionService } from './interaction-service.js';
export { outboxCardPoster } from './outbox-card-poster.js';
export type { CardOutbox } from './outbox-card-poster.js';
export type {
  ApprovalOutcome,
  Continuation,
  InteractionScope,
  InteractionServiceDeps,
  InteractionTimeouts,
} from './interaction-service.js';
