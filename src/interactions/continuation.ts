import { describeError } from '../shared/index.js';
import type { InteractionRecord } from '../storage/index.js';
import type { ToolResult, ToolRunner } from '../tools/index.js';

/** The interaction records a continuation claims and completes. */
export interface ContinuationStore {
  markExecuting(id: string): 'claimed' | 'not-approved';
  markExecuted(id: string, result?: unknown): boolean;
}

export interface ContinuationDeps {
  readonly store: ContinuationStore;
  /** The requester's readable name, as the agent sees people. */
  readonly requesterName: string;
  /** The asking agent's tools without the approval gate (the person already approved). */
  readonly tools: ToolRunner | undefined;
  /** The continuing turn's signal (an approved call runs under it). */
  readonly signal: AbortSignal;
}

/**
 * The request of a turn that continues a conversation whose turn was cut (by a restart) while
 * it waited for the person: an answered question becomes the person's answer; an approved
 * tool call is run once (claimed durably first, so a second continuation does not run it
 * again) and its result becomes the request. Undefined when there is nothing to continue
 * (the call was already claimed, or the record is of another kind).
 */
export async function continuationPrompt(
  record: InteractionRecord,
  deps: ContinuationDeps,
): Promise<string | undefined> {
  const who = deps.requesterName;
  if (record.kind === 'question') {
    const answer = record.answer as { option?: unknown } | undefined;
    deps.store.markExecuted(record.id);
    const option = typeof answer?.option === 'string' ? answer.option : '';
    return `${who}: (answering your question "${record.payload.question}") ${option}`;
  }
  if (record.kind !== 'approval' || deps.store.markExecuting(record.id) !== 'claimed')
    return undefined;
  const result = await runApprovedCall(record, deps);
  deps.store.markExecuted(record.id, result);
  return (
    `${who}: (approved your call to ${record.payload.toolName} ${JSON.stringify(record.payload.arguments)}; ` +
    `${result.isError ? 'it failed' : 'it returned'}: ${result.content}) Please continue.`
  );
}

async function runApprovedCall(
  record: Extract<InteractionRecord, { kind: 'approval' }>,
  deps: ContinuationDeps,
): Promise<ToolResult> {
  if (deps.tools === undefined)
    return { content: 'the tool is no longer available', isError: true };
  try {
    return await deps.tools.run(
      {
        id: `resumed-${record.id}`,
        name: record.payload.toolName,
        arguments: record.payload.arguments,
        argumentsJson: JSON.stringify(record.payload.arguments),
      },
      {
        agentName: record.responder,
        roomId: record.roomId,
        threadRoot: record.threadRoot,
        requester: record.requester,
        sourceEventId: record.decidingEventId,
        signal: deps.signal,
      },
    );
  } catch (error: unknown) {
    if (deps.signal.aborted) throw error;
    return { content: `Error: ${describeError(error)}`, isError: true };
  }
}
