/**
 * Context providers add sections to a turn's system prompt: team state today, memory recall
 * and knowledge retrieval next. Each returns bounded, sourced text; the turn runner decides
 * what fits. A provider that fails is logged and left out: it never fails the turn.
 */

/** What a turn is about, for choosing context. */
export interface ContextRequest {
  /** The entity answering (an agent, or a team's poster). */
  readonly entity: string;
  /** The person whose message the turn answers. */
  readonly requester: string;
  readonly roomId: string;
  readonly threadRoot: string;
  readonly sourceEventId: string;
  /** The message being answered, as the model will see it. */
  readonly text: string;
}

/** One titled block of the system prompt. */
export interface PromptSection {
  readonly title: string;
  readonly body: string;
}

/** A source of prompt sections for a turn. */
export interface ContextProvider {
  /** A short name for logs. */
  readonly name: string;
  /** Sections for `request`; rejects only with the signal's reason when aborted. */
  sectionsFor(
    request: ContextRequest,
    options: { readonly signal: AbortSignal },
  ): Promise<readonly PromptSection[]>;
}
