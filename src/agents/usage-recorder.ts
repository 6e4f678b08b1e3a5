import type { Usage } from '../llm/index.js';
import type { QuorumMetrics } from '../shared/index.js';
import type { UsageRecord } from '../storage/index.js';

/** Where usage is kept (the store's usage table). */
export interface UsageSink {
  record(usage: UsageRecord): void;
}

/** Who a turn's model calls are counted for. */
export interface UsageOwner {
  readonly responder: string;
  readonly roomId: string;
  readonly requester: string;
  /** The thread the turn answers in (for `quorum.thread_token_budget`). */
  readonly threadRoot?: string;
}

/** Records a model call's tokens in the usage table and the metrics. */
export function usageRecorder(
  sink: UsageSink,
  metrics: Pick<QuorumMetrics, 'tokens'>,
  who: UsageOwner,
): (modelId: string, usage: Usage) => void {
  return (modelId, usage) => {
    sink.record({
      responder: who.responder,
      roomId: who.roomId,
      userId: who.requester,
      model: modelId,
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
      threadRoot: who.threadRoot,
    });
    metrics.tokens.inc(
      { direction: 'input', responder: who.responder, model: modelId },
      usage.inputTokens,
    );
    metrics.tokens.inc(
      { direction: 'output', responder: who.responder, model: modelId },
      usage.outputTokens,
    );
  };
}
