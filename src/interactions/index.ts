/**
 * interactions/: the pure half of questions (`ask_user`), tool approvals and config
 * confirmations: the cards Quorum posts, which reaction or reply decides what, and MindRoom's
 * `tool_approval` rules. Storage of pending interactions is `storage/`'s `InteractionStore`.
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
