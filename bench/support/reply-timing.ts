/**
 * Times one question and its answer as a person sees them: from the moment the test user
 * starts sending to the moment the test user's own `/sync` delivers the responder's first
 * reply, each edit of it, and its final version. Every time is `performance.now()` of this
 * process, so it can be set against the scripted model server's stamps (same clock).
 */
import { performance } from 'node:perf_hooks';
import type { MatrixEvent } from '../../test/support/matrix-events.js';
import { isEditOf, relationOf } from '../../test/support/matrix-events.js';
import { isRecord } from '../../test/support/matrix-http.js';
import type { MatrixTestUser } from '../../test/support/matrix-test-user.js';

/** Quorum's content key for the stream status of a reply (`streaming` or `final`). */
const STREAM_STATUS_KEY = 'io.quorum.stream_status';

/** What one question and answer took; all times are `performance.now()` values. */
export interface ReplyTiming {
  readonly questionId: string;
  readonly replyId: string;
  /** Just before the question's PUT /send. */
  readonly sentAtMs: number;
  /** When the PUT /send answered. */
  readonly sendReturnedAtMs: number;
  /** When the test user's sync delivered the first version of the reply. */
  readonly firstVisibleAtMs: number;
  /** When the test user's sync delivered the final version (first or an edit). */
  readonly finalAtMs: number;
  /** When each edit of the reply arrived, final edit included, in order. */
  readonly editAtMs: readonly number[];
}

/** How to recognise the answer. */
export interface ReplyExpectation {
  readonly roomId: string;
  readonly responderId: string;
  /**
   * Whether a version of the reply (the reply's content, or an edit's `m.new_content`) is the
   * final one. Default: Quorum's stream status is `final`.
   */
  readonly isFinal?: (content: Record<string, unknown>) => boolean;
  readonly timeoutMs?: number;
}

/** Quorum's notion of a final reply version. */
export function isQuorumFinal(content: Record<string, unknown>): boolean {
  return content[STREAM_STATUS_KEY] === 'final';
}

/**
 * Sends a question with `send` (which returns its event id) and resolves once the reply's
 * final version has been seen. The reply is the responder's first message in the thread
 * rooted at the question. The waits are registered before sending, so nothing is missed;
 * `marker`, a unique string in the question's body, finds the question should the reply be
 * synced before the send's answer arrives.
 */
export async function timeReply(
  user: MatrixTestUser,
  expectation: ReplyExpectation,
  marker: string,
  send: () => Promise<string>,
): Promise<ReplyTiming> {
  const { roomId, responderId } = expectation;
  const isFinal = expectation.isFinal ?? isQuorumFinal;
  const timeoutMs = expectation.timeoutMs ?? 30_000;
  let questionId: string | undefined;
  let replyId: string | undefined;
  let firstVisibleAtMs = Number.NaN;
  let finalAtMs = Number.NaN;
  const editAtMs: number[] = [];

  const findQuestion = (): string | undefined =>
    (questionId ??= user.timeline.all.find(
      (event) =>
        event.room_id === roomId &&
        event.sender === user.userId &&
        typeof event.content['body'] === 'string' &&
        event.content['body'].includes(marker),
    )?.event_id);
  const isReply = (event: MatrixEvent): boolean => {
    if (event.room_id !== roomId || event.sender !== responderId) return false;
    const relation = relationOf(event);
    if (relation === undefined || relation.relType === 'm.replace') return false;
    const root = findQuestion();
    return root !== undefined && (relation.eventId === root || relation.inReplyTo === root);
  };
  // One observer sees every event in arrival order, so the stamps are taken as they land.
  const observed = user.waitFor(
    (event) => {
      const now = performance.now();
      if (replyId === undefined) {
        if (event.type !== 'm.room.message' || !isReply(event)) return false;
        replyId = event.event_id;
        firstVisibleAtMs = now;
        if (!isFinal(event.content)) return false;
        finalAtMs = now;
        return true;
      }
      if (event.sender !== responderId || !isEditOf(event, replyId)) return false;
      editAtMs.push(now);
      const newContent = event.content['m.new_content'];
      if (!isRecord(newContent) || !isFinal(newContent)) return false;
      finalAtMs = now;
      return true;
    },
    { timeoutMs, description: `the final reply of ${responderId} to "${marker}"` },
  );
  const sentAtMs = performance.now();
  questionId = await send();
  const sendReturnedAtMs = performance.now();
  await observed;
  return {
    questionId,
    replyId: replyId ?? '',
    sentAtMs,
    sendReturnedAtMs,
    firstVisibleAtMs,
    finalAtMs,
    editAtMs,
  };
}
