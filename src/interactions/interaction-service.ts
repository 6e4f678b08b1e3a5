import { shortHash } from './interaction-opener.js';
import { describeError, runTask, type Clock, type Logger } from '../shared/index.js';
import type { InteractionRecord } from '../storage/index.js';
import type {
  AskOutcome,
  AskRequest,
  ConfigChangeOutcome,
  ConfigChangeRequest,
} from '../tools/index.js';
import type { ConfigAccessSource } from '../config/index.js';
import { reviewApproval } from './approval-review.js';
import { recheckConfigAccess } from './config-change-recheck.js';
import { InteractionOpener } from './interaction-opener.js';
import { InteractionWaiters } from './interaction-waiters.js';
import {
  formatApprovalCard,
  formatConfigProposal,
  formatFullArguments,
  formatOutcomeNote,
  formatQuestionCard,
} from './cards.js';
import type {
  CardPoster,
  ConfigEditor,
  InteractionScope,
  InteractionStore,
} from './interaction-ports.js';

export type { InteractionScope } from './interaction-ports.js';
import { APPROVE_KEY, DENY_KEY, OPTION_KEYS } from './option-keys.js';
import {
  resolveInteractionReaction,
  resolveInteractionReply,
  type InteractionResponse,
} from './resolve-response.js';

/** How an approval ended, for the tool wrapper. */
export type ApprovalOutcome =
  | { readonly kind: 'approved'; readonly id: string }
  | { readonly kind: 'denied'; readonly reason: string | undefined }
  | { readonly kind: 'expired' }
  | { readonly kind: 'done-before'; readonly result: unknown };

/** How long people have to answer, from the current config. */
export interface InteractionTimeouts {
  /** `ask_user` questions (`quorum.ask_user_timeout_minutes`). */
  readonly questionMs: number;
  /** Config change confirmations (`quorum.config_confirmation_minutes`). */
  readonly configConfirmationMs: number;
}

export interface InteractionServiceDeps {
  readonly store: InteractionStore;
  readonly cards: CardPoster;
  /** The config file `!config` and `propose_config_change` edit; absent: editing is refused. */
  readonly configEditor: ConfigEditor | undefined;
  /**
   * Who may change the config, asked again when a change is confirmed (a person no longer a
   * config admin cannot confirm what they proposed); absent: judged only when proposed.
   */
  readonly configAccess?: Pick<ConfigAccessSource, 'decideConfigEdit'>;
  readonly timeouts: () => InteractionTimeouts;
  readonly clock: Clock;
  readonly log: Logger;
}

/**
 * A question answered or a tool call approved while no turn waits for it (the turn that
 * asked was cut by a restart): dispatch continues the conversation with a new turn.
 */
export interface Continuation {
  readonly record: InteractionRecord;
}

const MINUTE_MS = 60_000;

/**
 * Questions (`ask_user`), tool approvals and config confirmations: posts each card from the
 * asking entity's account with its reaction keys, records the interaction durably, resolves
 * reactions and replies from the entitled person, expires what nobody answered (with a
 * visible note), and wakes the turns waiting on them. Interaction ids are derived from the
 * turn and the request, so a turn resumed after a restart finds its earlier card (and its
 * answer, if the person answered meanwhile) instead of asking again.
 */
export class InteractionService {
  private readonly waiters = new InteractionWaiters();
  private readonly opener: InteractionOpener;

  constructor(private readonly deps: InteractionServiceDeps) {
    this.opener = new InteractionOpener({ ...deps, waiters: this.waiters });
  }

  /** Expires due interactions until `signal` aborts; settles approvals a crash left mid-run. */
  start(signal: AbortSignal): void {
    for (const record of this.deps.store.settleInterrupted()) {
      this.deps.log.warn('an approved tool call was cut by a restart; it will not run again', {
        id: record.id,
      });
    }
    runTask(this.sweep(signal), { log: this.deps.log, what: 'interaction expiry' });
  }

  async ask(
    request: AskRequest,
    scope: InteractionScope,
    signal: AbortSignal,
  ): Promise<AskOutcome> {
    const timeoutMs = this.deps.timeouts().questionMs;
    const { record, release } = await this.opener.open(
      { kind: 'question', payload: { question: request.question, options: [...request.options] } },
      scope,
      timeoutMs,
      () =>
        formatQuestionCard(request.question, request.options, {
          requester: scope.requester,
          expiresInMs: timeoutMs,
        }),
      request.options.map((_, index) => OPTION_KEYS[index] ?? ''),
    );
    const decided = await this.waitFor(record.id, signal).finally(release);
    if (decided.state === 'answered' || decided.state === 'executed') {
      const answer = decided.answer as { index?: unknown; option?: unknown } | undefined;
      this.deps.store.markExecuted(decided.id);
      if (typeof answer?.index === 'number' && typeof answer.option === 'string') {
        return { kind: 'answered', index: answer.index, option: answer.option };
      }
    }
    return decided.state === 'expired' ? { kind: 'expired' } : { kind: 'cancelled' };
  }

  /**
   * Asks the requester to approve a tool call; resolves when decided or expired. `details.reason`
   * (the tool's own rule, e.g. `runs a shell command on the Quorum host`) is shown on the card.
   * When the card has to shorten the arguments they are posted in full below it first (✅
   * approves only then); a call whose arguments are too long even for that is denied at once.
   */
  async approve(
    toolName: string,
    args: Readonly<Record<string, unknown>>,
    scope: InteractionScope,
    timeoutMs: number,
    signal: AbortSignal,
    details: { readonly reason?: string } = {},
  ): Promise<ApprovalOutcome> {
    // A shortened card gets the arguments in full below it (or, too long for that, a denial).
    const full = formatFullArguments(args);
    const { record: opened, release } = await this.opener.open(
      { kind: 'approval', payload: { toolName, arguments: args, callId: '' } },
      scope,
      timeoutMs,
      () =>
        formatApprovalCard(toolName, args, {
          requester: scope.requester,
          expiresInMs: timeoutMs,
          agentName: scope.responder,
          isFullViewPosted: full.kind === 'parts',
          ...details,
        }).markdown,
      full.kind === 'too-long' ? [] : [APPROVE_KEY, DENY_KEY],
    );
    let decided: InteractionRecord;
    try {
      const record = await reviewApproval(opened, full, {
        store: this.deps.store,
        post: (markdown, txnId) => this.post(scope, markdown, txnId),
        log: this.deps.log,
      });
      if (record.state !== 'pending') this.settled(record);
      decided = await this.waitFor(record.id, signal);
    } finally {
      release();
    }
    switch (decided.state) {
      case 'approved':
        return { kind: 'approved', id: decided.id };
      case 'executed':
      case 'executing':
        return { kind: 'done-before', result: decided.result };
      case 'expired':
        return { kind: 'expired' };
      case 'pending':
      case 'answered':
      case 'cancelled':
      case 'denied': {
        const answer = decided.answer as { reason?: unknown } | undefined;
        return {
          kind: 'denied',
          reason: typeof answer?.reason === 'string' ? answer.reason : undefined,
        };
      }
    }
  }

  /**
   * Offers a config change for confirmation: posts the exact diff and the validation result;
   * ✅ by the requester writes config.yaml (keeping its comments) and the live reload applies
   * it. Returns the record, or a refusal when the change cannot be offered.
   */
  async offerConfigChange(
    request: ConfigChangeRequest,
    scope: InteractionScope,
  ): Promise<
    | { readonly kind: 'offered'; readonly record: InteractionRecord }
    | { readonly kind: 'refused'; readonly message: string }
  > {
    const editor = this.deps.configEditor;
    if (editor === undefined)
      return { kind: 'refused', message: 'This Quorum runs without a config file to edit.' };
    const proposal = await editor.propose(request.path, request.value);
    if (!proposal.ok) return { kind: 'refused', message: proposal.error };
    const timeoutMs = this.deps.timeouts().configConfirmationMs;
    const card = formatConfigProposal(proposal.path, proposal.diff, proposal.validation, {
      operation: proposal.operation,
      requester: scope.requester,
      expiresInMs: timeoutMs,
      ...(request.reason === undefined ? {} : { reason: request.reason }),
    });
    if (!proposal.validation.isValid) {
      await this.post(
        scope,
        card,
        `qc.${shortHash(`${scope.requester}|${proposal.newHash}|${this.deps.clock.now()}`)}`,
      );
      return {
        kind: 'refused',
        message: 'The change would make the config invalid; nothing was offered.',
      };
    }
    const { record, release } = await this.opener.open(
      {
        kind: 'config_change',
        payload: {
          path: proposal.path,
          operation: proposal.operation,
          ...(request.value === undefined ? {} : { value: request.value }),
          oldHash: proposal.oldHash,
          newHash: proposal.newHash,
          newText: proposal.newText,
        },
      },
      {
        ...scope,
        sourceEventId: scope.sourceEventId ?? `config:${proposal.newHash}:${this.deps.clock.now()}`,
      },
      timeoutMs,
      () => card,
      [APPROVE_KEY, DENY_KEY],
    );
    // A confirmed change is applied by the reaction itself, whoever waits.
    release();
    return { kind: 'offered', record };
  }

  /** `propose_config_change`: offers the change and waits for the person. */
  async proposeConfigChange(
    request: ConfigChangeRequest,
    scope: InteractionScope,
    signal: AbortSignal,
  ): Promise<ConfigChangeOutcome> {
    const offer = await this.offerConfigChange(request, scope);
    if (offer.kind === 'refused') return offer;
    const decided = await this.waitFor(offer.record.id, signal);
    const result = decided.result as { kind?: unknown; message?: unknown } | undefined;
    if (decided.state === 'executed' && result?.kind === 'applied')
      return { kind: 'applied', path: request.path };
    if (decided.state === 'executed')
      return {
        kind: 'failed',
        message: typeof result?.message === 'string' ? result.message : 'the write failed',
      };
    return decided.state === 'expired' ? { kind: 'expired' } : { kind: 'cancelled' };
  }

  /**
   * A reaction on a card: decided by the entitled person only. Resolves with the continuation
   * when the decision has no turn waiting for it (dispatch continues the conversation).
   */
  onReaction(
    record: InteractionRecord,
    reactor: string,
    key: string,
    eventId: string,
    atMs: number,
  ): Promise<Continuation | undefined> {
    return this.respond(
      record,
      resolveInteractionReaction({ interaction: record, reactorUserId: reactor, key, now: atMs }),
      eventId,
    );
  }

  /** A reply to a card (or naming a pending question's option in its thread); as `onReaction`. */
  onReply(
    record: InteractionRecord,
    sender: string,
    text: string,
    eventId: string,
    atMs: number,
  ): Promise<Continuation | undefined> {
    return this.respond(
      record,
      resolveInteractionReply({ interaction: record, senderUserId: sender, text, now: atMs }),
      eventId,
    );
  }

  /** Cancels what a stopped or superseded turn was waiting on. */
  cancelForTurn(responder: string, sourceEventId: string): void {
    for (const record of this.deps.store.cancelPendingForTurn(responder, sourceEventId))
      this.settled(record);
  }

  private async respond(
    record: InteractionRecord,
    proposed: InteractionResponse,
    eventId: string,
  ): Promise<Continuation | undefined> {
    const interactions = this.deps.store;
    const response = await recheckConfigAccess(record, proposed, {
      access: this.deps.configAccess,
      post: (markdown, txnId) => this.post(this.scopeOf(record), markdown, txnId),
      log: this.deps.log,
    });
    if (response.kind === 'ignore') {
      this.deps.log.debug('interaction response ignored', {
        id: record.id,
        reason: response.reason,
      });
      return undefined;
    }
    const decision =
      response.kind === 'answer'
        ? 'answered'
        : response.kind === 'approve' || response.kind === 'confirm'
          ? 'approved'
          : response.kind === 'deny'
            ? 'denied'
            : 'cancelled';
    const answer =
      response.kind === 'answer'
        ? { index: response.index, option: response.option }
        : response.kind === 'deny'
          ? { reason: response.reason }
          : undefined;
    if (interactions.decide(record.id, decision, answer, eventId) !== 'decided') return undefined;
    const decided = interactions.get(record.id);
    if (decided === undefined) return undefined;
    if (decided.kind === 'config_change' && decided.state === 'approved') {
      await this.applyConfigChange(decided);
      return undefined;
    }
    if (decided.state !== 'answered' && decided.state !== 'approved') {
      await this.postOutcome(decided);
    }
    const isAwaited = this.waiters.isAwaited(decided.id);
    this.settled(decided);
    const goesOn = decided.state === 'answered' || decided.state === 'approved';
    return !isAwaited && goesOn ? { record: decided } : undefined;
  }

  /** Writes a confirmed config change (if the file is unchanged since the proposal). */
  private async applyConfigChange(record: InteractionRecord): Promise<void> {
    const interactions = this.deps.store;
    const editor = this.deps.configEditor;
    if (record.kind !== 'config_change' || editor === undefined) return;
    if (interactions.markExecuting(record.id) !== 'claimed') return;
    const written = await editor.apply(record.payload.oldHash, record.payload.newText);
    const result = written.ok ? { kind: 'applied' } : { kind: 'failed', message: written.error };
    interactions.markExecuted(record.id, result);
    await this.post(
      this.scopeOf(record),
      written.ok
        ? `✅ Applied: \`${record.payload.path}\` changed in the config; the running fleet picks it up now.`
        : `⚠️ Not applied: ${written.error}`,
      `qi.${record.id}.applied`,
    );
    const final = interactions.get(record.id);
    if (final !== undefined) this.settled(final);
  }

  private post(scope: InteractionScope, markdown: string, txnId: string): Promise<string> {
    return this.deps.cards.post(scope, markdown, txnId);
  }

  private async postOutcome(record: InteractionRecord): Promise<void> {
    const note = formatOutcomeNote(record);
    if (note === undefined) return;
    await this.post(this.scopeOf(record), note, `qi.${record.id}.${record.state}`).catch(
      (error: unknown) => {
        this.deps.log.warn('could not post an interaction outcome', {
          id: record.id,
          error: describeError(error),
        });
      },
    );
  }

  private scopeOf(record: InteractionRecord): InteractionScope {
    return {
      roomId: record.roomId,
      threadRoot: record.threadRoot,
      requester: record.requester,
      responder: record.responder,
      sourceEventId: record.sourceEventId,
    };
  }

  /** Resolves with the record once it has left `pending`; rejects when `signal` aborts. */
  private waitFor(id: string, signal: AbortSignal): Promise<InteractionRecord> {
    return this.waiters.wait(id, this.deps.store.get(id), signal);
  }

  private settled(record: InteractionRecord): void {
    this.waiters.settle(record);
  }

  private async sweep(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      for (const record of this.deps.store.expireDue(this.deps.clock.now())) {
        await this.postOutcome(record);
        this.settled(record);
      }
      const next = this.deps.store.nextExpiry();
      const waitMs =
        next === undefined
          ? MINUTE_MS
          : Math.min(MINUTE_MS, Math.max(100, next - this.deps.clock.now()));
      await this.deps.clock.sleep(waitMs, signal).catch(() => undefined);
    }
  }
}
