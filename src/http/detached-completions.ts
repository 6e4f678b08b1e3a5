import { DetachedTurnError, type DetachedRequest, type DetachedResult } from '../agents/index.js';
import type { DetachedEntity } from '../teams/index.js';
import { hasErrorCode } from '../shared/index.js';
import {
  CompletionError,
  type AgentCompletions,
  type CompletionDelta,
  type CompletionRequest,
  type CompletionResult,
} from './agent-completions.js';

/** The daemon's turns outside Matrix (teams' `DetachedTurns` implements it). */
export interface DetachedTurnSource {
  entities(): readonly DetachedEntity[];
  run(request: DetachedRequest): Promise<DetachedResult>;
}

/** The model id of an entity: the agent's name, `team/<name>` for a team. */
function modelIdOf(entity: DetachedEntity): string {
  return entity.kind === 'team' ? `team/${entity.name}` : entity.name;
}

const CHANNEL = 'the OpenAI-compatible API';

/**
 * `AgentCompletions` over the daemon's detached turns: each agent and team is a "model";
 * a completion runs that entity's turn with its tools (approval-gated ones refused), memory
 * and knowledge, recording usage for the caller.
 */
export function detachedCompletions(turns: DetachedTurnSource): AgentCompletions {
  const entityOf = (model: string): string => {
    const found = turns.entities().find((entity) => modelIdOf(entity) === model);
    if (found === undefined)
      throw new CompletionError('model_not_found', `The model '${model}' does not exist.`);
    return found.name;
  };
  const run = (
    request: CompletionRequest,
    signal: AbortSignal,
    onText?: (answerSoFar: string) => void,
  ): Promise<DetachedResult> =>
    turns
      .run({
        entity: entityOf(request.model),
        messages: request.messages,
        caller: request.caller,
        sessionId: request.sessionId,
        channel: CHANNEL,
        signal,
        ...(onText === undefined ? {} : { onText }),
      })
      .catch((error: unknown) => {
        throw toCompletionError(error);
      });
  return {
    models: () =>
      turns.entities().map((entity) => ({
        id: modelIdOf(entity),
        name: entity.displayName,
        kind: entity.kind,
      })),
    complete: async (request, { signal }): Promise<CompletionResult> => {
      const result = await run(request, signal);
      return {
        text: result.text,
        finishReason: 'stop',
        usage: { promptTokens: result.inputTokens, completionTokens: result.outputTokens },
      };
    },
    stream: (request, { signal }) => streamOf(run, request, signal),
  };
}

/**
 * The answer as text deltas (the growing answer's new part each time), then `done`. The turn
 * runs while the client reads; pieces that arrive faster than they are read are joined.
 */
async function* streamOf(
  run: (
    request: CompletionRequest,
    signal: AbortSignal,
    onText: (answerSoFar: string) => void,
  ) => Promise<DetachedResult>,
  request: CompletionRequest,
  signal: AbortSignal,
): AsyncGenerator<CompletionDelta> {
  let sent = 0;
  // Written by the turn's callbacks, read by the loop (an object, so reads are not narrowed).
  const state: { latest: string; finished: boolean; wake: (() => void) | undefined } = {
    latest: '',
    finished: false,
    wake: undefined,
  };
  const turn = run(request, signal, (answerSoFar) => {
    state.latest = answerSoFar;
    state.wake?.();
  }).finally(() => {
    state.finished = true;
    state.wake?.();
  });
  // Rejections are rethrown below; this keeps one from being reported as unhandled meanwhile.
  turn.catch(() => undefined);
  for (;;) {
    // The answer only grows (a tool round appends to it), so the new part is its tail.
    if (state.latest.length > sent) {
      yield { type: 'text', text: state.latest.slice(sent) };
      sent = state.latest.length;
      continue;
    }
    if (state.finished) break;
    await new Promise<void>((resolve) => {
      if (state.finished || state.latest.length > sent) resolve();
      else state.wake = resolve;
    });
    state.wake = undefined;
  }
  const result = await turn;
  if (result.text.length > sent) yield { type: 'text', text: result.text.slice(sent) };
  yield {
    type: 'done',
    finishReason: 'stop',
    usage: { promptTokens: result.inputTokens, completionTokens: result.outputTokens },
  };
}

/** A detached turn's expected failure as the API's error; anything else passes through. */
function toCompletionError(error: unknown): unknown {
  if (!(error instanceof DetachedTurnError)) return error;
  if (hasErrorCode(error, 'unknown_entity'))
    return new CompletionError('model_not_found', error.message);
  if (hasErrorCode(error, 'invalid_request'))
    return new CompletionError('invalid_request', error.message);
  if (hasErrorCode(error, 'unavailable')) return new CompletionError('unavailable', error.message);
  return new CompletionError('upstream', error.message, { cause: error });
}
