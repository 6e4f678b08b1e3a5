import type { AgentToolRunner } from '../tools/index.js';
import { describeError, type Logger } from '../shared/index.js';
import type { InteractionRecord, QuorumStore } from '../storage/index.js';
import type { TurnLauncher } from './turn-launcher.js';

export interface ContinuationDeps {
  readonly store: QuorumStore;
  readonly launcher: TurnLauncher;
  /** The agent's tools without the approval gate (the person already approved). */
  readonly toolsWithoutApproval: (agent: string) => AgentToolRunner | undefined;
  readonly nameOf: (userId: string) => string;
  readonly log: Logger;
}

/**
 * Continues a conversation whose turn was cut by a restart while it waited for the person:
 * an answered question starts a new turn of the asking agent with the answer; an approved
 * tool call is run (once: it is claimed durably first) and the agent continues with its
 * result. The new turn's source is the person's deciding event (their reaction or reply).
 */
export function createContinuation(
  deps: ContinuationDeps,
): (record: InteractionRecord) => Promise<void> {
  return async (record) => {
    const source = record.decidingEventId;
    if (source === undefined) return;
    const who = deps.nameOf(record.requester);
    let prompt: string;
    if (record.kind === 'question') {
      const answer = record.answer as { option?: unknown } | undefined;
      deps.store.interactions.markExecuted(record.id);
      prompt = `${who}: (answering your question "${record.payload.question}") ${typeof answer?.option === 'string' ? answer.option : ''}`;
    } else if (record.kind === 'approval') {
      if (deps.store.interactions.markExecuting(record.id) !== 'claimed') return;
      const tools = deps.toolsWithoutApproval(record.responder);
      let result: { content: string; isError: boolean };
      try {
        result =
          tools === undefined
            ? { content: 'the tool is no longer available', isError: true }
            : await tools.run(
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
                  sourceEventId: source,
                  signal: new AbortController().signal,
                },
              );
      } catch (error: unknown) {
        result = { content: `Error: ${describeError(error)}`, isError: true };
      }
      deps.store.interactions.markExecuted(record.id, result);
      prompt =
        `${who}: (approved your call to ${record.payload.toolName} ${JSON.stringify(record.payload.arguments)}; ` +
        `${result.isError ? 'it failed' : 'it returned'}: ${result.content}) Please continue.`;
    } else {
      return;
    }
    const threadRoot = record.threadRoot ?? source;
    const claim = deps.store.turns.claim({
      responder: record.responder,
      sourceEventId: source,
      roomId: record.roomId,
      threadRoot,
      requester: record.requester,
      sourceVersion: source,
    });
    const turn = deps.store.turns.get(record.responder, source);
    if (claim !== 'claimed' || turn === undefined) return;
    deps.log.info('continuing a conversation after a restart', {
      agent: record.responder,
      interaction: record.id,
    });
    deps.launcher.launchWithPrompt(turn, prompt);
  };
}
