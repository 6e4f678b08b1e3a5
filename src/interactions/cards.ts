/**
 * The Markdown of the messages Quorum posts for interactions: a question with numbered
 * options, a tool approval card, a config change proposal, and the note that closes each.
 */
import type { ConfigValidationSummary } from '../config/index.js';
import type { InteractionRecord } from '../storage/index.js';
import type { ArgumentPreview } from './argument-preview.js';
import {
  DEFAULT_MAX_ARGUMENT_CHARS,
  previewArguments,
  redactArguments,
} from './argument-preview.js';
import { fenced, formatDuration, inlineCode, oneLine } from './card-text.js';
import { APPROVE_KEY, DENY_KEY, MAX_OPTIONS, OPTION_KEYS } from './option-keys.js';

/** Who may decide and for how long, for the card's closing line. */
export interface CardAudience {
  /** The person entitled to decide (a Matrix user id); named on the card. */
  readonly requester?: string;
  /** How long the card waits; named on the card. */
  readonly expiresInMs?: number;
}

/** Longest diff shown on a config proposal, in lines; the rest is summarised. */
export const MAX_DIFF_LINES = 60;
/** Most validation issues listed on a config proposal. */
const MAX_ISSUES_LISTED = 10;

/**
 * A question with its options numbered by {@link OPTION_KEYS} (`1️⃣ Red`), and how to answer.
 * Options are shown on one line each. Throws a `RangeError` for fewer than 1 or more than
 * {@link MAX_OPTIONS} options: callers validate the count first.
 */
export function formatQuestionCard(
  question: string,
  options: readonly string[],
  audience: CardAudience = {},
): string {
  if (options.length < 1 || options.length > MAX_OPTIONS) {
    throw new RangeError(`a question needs 1 to ${MAX_OPTIONS} options, got ${options.length}`);
  }
  const lines = options.map((option, index) => `${OPTION_KEYS[index] ?? ''} ${oneLine(option)}`);
  const who = audience.requester === undefined ? '' : ` Only ${audience.requester} can answer.`;
  return [
    `❓ **${oneLine(question)}**`,
    '',
    ...lines,
    '',
    `_React with the option's number, or reply with its number or text.${who}${expiry(audience, 'The question expires')}_`,
  ].join('\n');
}

/** Options of {@link formatApprovalCard}. */
export interface ApprovalCardOptions extends CardAudience {
  /** The display name of the agent that wants to run the tool. */
  readonly agentName?: string;
  /** Longest argument preview; default {@link DEFAULT_MAX_ARGUMENT_CHARS}. */
  readonly maxArgumentChars?: number;
  /**
   * Whether the caller posts the arguments in full below a shortened card
   * ({@link formatFullArguments}); the card then says to read them before approving.
   * Otherwise a shortened card says ✅ cannot approve it. Default false.
   */
  readonly isFullViewPosted?: boolean;
  /**
   * Why this call needs approval when the tool's own rule (not a configured one) asked: shown
   * under the title (`runs a shell command on the Quorum host`).
   */
  readonly reason?: string;
}

/** An approval card's text and whether its argument preview left anything out. */
export interface ApprovalCard {
  readonly markdown: string;
  /** True when arguments were shortened: the person approves something they saw only in part. */
  readonly isTruncated: boolean;
}

/**
 * The approval card for a call of `toolName` with `args`: the arguments as JSON with secrets
 * redacted and long values shortened (see `previewArguments`), and how to decide (✅ runs it,
 * a reply denies it with the reply as the reason; without a decision it is denied when it
 * expires).
 */
export function formatApprovalCard(
  toolName: string,
  args: Readonly<Record<string, unknown>>,
  options: ApprovalCardOptions = {},
): ApprovalCard {
  const preview: ArgumentPreview = previewArguments(
    args,
    options.maxArgumentChars ?? DEFAULT_MAX_ARGUMENT_CHARS,
  );
  const who = options.agentName === undefined ? 'An agent' : oneLine(options.agentName);
  const decider = options.requester === undefined ? '' : ` Only ${options.requester} can decide.`;
  const lines = [
    `🔒 **Approval needed:** ${who} wants to run ${inlineCode(toolName)}`,
    ...(options.reason === undefined
      ? []
      : [`It needs approval because it ${oneLine(options.reason)}.`]),
    '',
    fenced(preview.text, 'json'),
  ];
  if (preview.isTruncated) {
    lines.push(
      options.isFullViewPosted === true
        ? 'Some argument values are shortened above; the arguments follow in full below. Read them before you approve.'
        : `Some argument values are shortened above, so this call cannot be approved from this card: ${APPROVE_KEY} denies it too, and the agent is told to retry with shorter arguments.`,
    );
  }
  lines.push(
    '',
    `_React ${APPROVE_KEY} to run it, or ${DENY_KEY} or reply to this message to deny it (a reply is passed to the agent as the reason).${decider}${expiry(options, 'Without a decision it is denied')}_`,
  );
  return { markdown: lines.join('\n'), isTruncated: preview.isTruncated };
}

/** Limits of {@link formatFullArguments}. */
export interface FullArgumentsOptions {
  /** Longest message, in characters (default 16,000). */
  readonly maxPartChars?: number;
  /** Most messages (default 4). */
  readonly maxParts?: number;
}

/** The full arguments of a shortened approval card, as messages, or why they cannot be shown. */
export type FullArgumentsView =
  | { readonly kind: 'parts'; readonly parts: readonly string[] }
  | { readonly kind: 'too-long'; readonly totalChars: number };

/**
 * The arguments of a call in full (secrets still redacted, see `redactArguments`), as
 * Markdown messages to post under its shortened card: `Arguments in full (1/3)` then pretty
 * JSON, split at line ends (a longer line is split where it must). `too-long` when even
 * `maxParts` messages cannot hold them: such a call cannot be reviewed, so it is denied.
 */
export function formatFullArguments(
  args: Readonly<Record<string, unknown>>,
  options: FullArgumentsOptions = {},
): FullArgumentsView {
  const maxPartChars = Math.max(200, options.maxPartChars ?? 16_000);
  const maxParts = Math.max(1, options.maxParts ?? 4);
  const json = JSON.stringify(redactArguments(args, 0, { isUnbounded: true }) ?? null, null, 2);
  // Room for the heading and the fence around each part.
  const budget = maxPartChars - 80;
  if (json.length > budget * maxParts) return { kind: 'too-long', totalChars: json.length };
  const chunks: string[] = [];
  let current = '';
  for (const line of json.split('\n')) {
    for (let start = 0; start < Math.max(1, line.length); start += budget) {
      const piece = line.slice(start, start + budget);
      if (current.length + piece.length + 1 > budget && current !== '') {
        chunks.push(current);
        current = '';
      }
      current = current === '' ? piece : `${current}\n${piece}`;
    }
  }
  if (current !== '') chunks.push(current);
  if (chunks.length > maxParts) return { kind: 'too-long', totalChars: json.length };
  return {
    kind: 'parts',
    parts: chunks.map(
      (chunk, index) =>
        `**Arguments in full (${index + 1}/${chunks.length})**\n${fenced(chunk, 'json')}`,
    ),
  };
}

/** Options of {@link formatConfigProposal}. */
export interface ConfigProposalOptions extends CardAudience {
  readonly operation?: 'set' | 'unset';
  /** Longest diff shown, in lines; default {@link MAX_DIFF_LINES}. */
  readonly maxDiffLines?: number;
}

/**
 * The confirmation card for a config change: the path, the exact diff, and the validation
 * result. A valid change says how to confirm (✅ writes config.yaml, ❌ cancels); an invalid
 * one lists its problems (with lines in the new file) and says it cannot be applied, so the
 * caller should not offer ✅ for it.
 */
export function formatConfigProposal(
  path: string,
  diff: string,
  validation: ConfigValidationSummary,
  options: ConfigProposalOptions = {},
): string {
  const verb = options.operation === 'unset' ? 'remove' : 'set';
  const lines = [
    `⚙️ **Config change:** ${verb} ${inlineCode(path)}`,
    '',
    fenced(limitLines(diff, options.maxDiffLines ?? MAX_DIFF_LINES), 'diff'),
    '',
  ];
  if (!validation.isValid) {
    lines.push('❌ **The new config would be invalid**, so this change cannot be applied:');
    lines.push(...listProblems(validation.issues));
    return lines.join('\n');
  }
  lines.push('✅ The new config is valid.');
  if (validation.warnings.length > 0) {
    lines.push(`⚠️ ${validation.warnings.length === 1 ? 'Warning' : 'Warnings'}:`);
    lines.push(...listProblems(validation.warnings));
  }
  const who = options.requester === undefined ? '' : ` Only ${options.requester} can confirm.`;
  lines.push(
    '',
    `_React ${APPROVE_KEY} to write it to config.yaml or ${DENY_KEY} to cancel.${who}${expiry(options, 'It expires')}_`,
  );
  return lines.join('\n');
}

/**
 * The one-line note that closes a decided (or expired, cancelled) interaction, to edit into
 * its card or post under it; `undefined` while it is still pending. For a tool call a crash
 * interrupted (`executed` with `result` `{ outcome: 'unknown' }`) it says the call was not
 * run again and its outcome is unknown.
 */
export function formatOutcomeNote(record: InteractionRecord): string | undefined {
  const by = ` by ${record.requester}`;
  switch (record.state) {
    case 'pending':
      return undefined;
    case 'expired':
      if (record.kind === 'question') return '⌛ This question expired without an answer.';
      if (record.kind === 'approval') return '⌛ Not approved in time, so the call was denied.';
      return '⌛ Not confirmed in time; config.yaml was not changed.';
    case 'cancelled':
      return record.kind === 'config_change'
        ? '✖️ Cancelled; config.yaml was not changed.'
        : `✖️ Cancelled.`;
    case 'denied': {
      const reason = reasonOf(record.answer);
      return `❌ Denied${by}${reason === undefined ? '.' : `: ${oneLine(reason)}`}`;
    }
    case 'answered':
      return `✅ Answered${by}: ${answerText(record) ?? 'an option'}`;
    case 'approved':
    case 'executing':
      return record.kind === 'config_change' ? `✅ Confirmed${by}.` : `✅ Approved${by}.`;
    case 'executed':
      if (isUnknownOutcome(record.result)) {
        return '⚠️ Quorum restarted while this was running; it was not run again and its outcome is unknown.';
      }
      if (record.kind === 'question')
        return `✅ Answered${by}: ${answerText(record) ?? 'an option'}`;
      return record.kind === 'config_change'
        ? `✅ Confirmed${by} and written to config.yaml.`
        : `✅ Approved${by} and run.`;
  }
}

function expiry(audience: CardAudience, lead: string): string {
  return audience.expiresInMs === undefined
    ? ''
    : ` ${lead} in ${formatDuration(audience.expiresInMs)}.`;
}

function limitLines(text: string, maxLines: number): string {
  const lines = text.split('\n');
  if (lines.length <= maxLines) return text;
  const rest = lines.length - maxLines;
  return [...lines.slice(0, maxLines), `… ${rest} more line${rest === 1 ? '' : 's'}`].join('\n');
}

function listProblems(
  problems: readonly { path: string; message: string; line: number }[],
): string[] {
  const listed = problems.slice(0, MAX_ISSUES_LISTED).map((problem) => {
    const where = [
      problem.line > 0 ? `line ${problem.line}` : '',
      problem.path && inlineCode(problem.path),
    ]
      .filter((part) => part !== '')
      .join(', ');
    return `- ${where === '' ? '' : `${where}: `}${oneLine(problem.message)}`;
  });
  const more = problems.length - listed.length;
  if (more > 0) listed.push(`- … and ${more} more`);
  return listed;
}

function reasonOf(answer: unknown): string | undefined {
  if (answer === null || typeof answer !== 'object' || !('reason' in answer)) return undefined;
  const reason = answer.reason;
  return typeof reason === 'string' && reason.trim() !== '' ? reason : undefined;
}

function answerText(record: InteractionRecord): string | undefined {
  if (record.kind !== 'question') return undefined;
  const answer = record.answer;
  if (answer === null || typeof answer !== 'object' || !('index' in answer)) return undefined;
  const index = answer.index;
  if (typeof index !== 'number') return undefined;
  const option = record.payload.options[index];
  return option === undefined ? undefined : `${OPTION_KEYS[index] ?? ''} ${oneLine(option)}`;
}

function isUnknownOutcome(result: unknown): boolean {
  return (
    result !== null &&
    typeof result === 'object' &&
    'outcome' in result &&
    result.outcome === 'unknown'
  );
}
