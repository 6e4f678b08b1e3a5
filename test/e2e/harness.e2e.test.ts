/**
 * Proves the e2e harness itself on the real homeserver: shared-secret registration, rooms,
 * the sync recorder and its waits, the Element-shaped contents, and the rate-limit override.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeE2e, e2eHomeserver, restartSynapse } from '../support/e2e-homeserver.js';
import { MatrixAdmin, DEFAULT_LIKE_MESSAGE_RATELIMIT } from '../support/matrix-admin.js';
import {
  bodyOf,
  isEditOf,
  isInThread,
  isReactionTo,
  mentionedUserIds,
  redactedId,
  relationOf,
} from '../support/matrix-events.js';
import { MatrixHttpError } from '../support/matrix-http.js';
import { uniqueSuffix } from '../support/matrix-registration.js';
import { MatrixTestUser } from '../support/matrix-test-user.js';

describeE2e('e2e harness on a real homeserver', () => {
  const homeserver = e2eHomeserver();
  const suffix = uniqueSuffix();
  let alice: MatrixTestUser;
  let bob: MatrixTestUser;

  beforeAll(async () => {
    [alice, bob] = await Promise.all([
      MatrixTestUser.register(homeserver, { localpart: `alice-${suffix}`, displayName: 'Alice' }),
      MatrixTestUser.register(homeserver, { localpart: `bob-${suffix}`, displayName: 'Bob' }),
    ]);
    await Promise.all([alice.startSync(), bob.startSync()]);
  });

  afterAll(async () => {
    await Promise.all([alice.close(), bob.close()]);
  });

  it('shows one user the threaded mention, edit and reaction another user sends', async () => {
    const invited = bob.invites.waitFor((invite) => invite.inviter === alice.userId);
    const roomId = await alice.createRoom({
      aliasLocalpart: `harness-${suffix}`,
      invite: [bob.userId],
    });
    expect((await invited).roomId).toBe(roomId);
    await bob.joinRoom(`#harness-${suffix}:${homeserver.serverName}`);

    const rootId = await alice.sendText(roomId, 'Planning thread');
    const inThread = bob.waitFor((e) => e.room_id === roomId && isInThread(e, rootId));
    const replyId = await alice.sendThreadReply(roomId, rootId, 'can you check this?', {
      mentions: [{ userId: bob.userId, displayName: 'Bob' }],
    });
    const reply = await inThread;

    const edited = bob.waitFor((e) => isEditOf(e, replyId));
    const reacted = bob.waitFor((e) => isReactionTo(e, replyId, '👍'));
    await alice.edit(roomId, replyId, 'can you check this today?', {
      mentions: [{ userId: bob.userId, displayName: 'Bob' }],
    });
    await alice.react(roomId, replyId, '👍');
    const [edit, reaction] = await Promise.all([edited, reacted]);

    expect(reply.event_id).toBe(replyId);
    expect(relationOf(reply)).toEqual({
      relType: 'm.thread',
      eventId: rootId,
      key: undefined,
      inReplyTo: rootId,
      isFallingBack: true,
    });
    expect(mentionedUserIds(reply.content)).toEqual([bob.userId]);
    expect(reply.content['format']).toBe('org.matrix.custom.html');
    expect(reply.content['formatted_body']).toBe(
      `<a href="https://matrix.to/#/${bob.userId}">Bob</a>: can you check this?`,
    );
    expect(relationOf(edit)?.relType).toBe('m.replace');
    expect(bodyOf(edit)).toBe('* Bob: can you check this today?');
    // The edit does not ping Bob again: he was mentioned by the version he saw.
    expect(mentionedUserIds(edit.content)).toEqual([]);
    expect(bob.latestContent(replyId)?.['body']).toBe('Bob: can you check this today?');
    expect(reaction.sender).toBe(alice.userId);
    expect(relationOf(reaction)?.key).toBe('👍');
    expect(bob.timeline.pendingWaits).toBe(0);
  });

  it('shows a redaction and typing to the other user', async () => {
    const roomId = await alice.createRoom({ invite: [bob.userId] });
    await bob.joinRoom(roomId);
    const messageId = await alice.sendText(roomId, 'oops');

    const typing = bob.typing.waitFor(
      (t) => t.roomId === roomId && t.userIds.includes(alice.userId),
    );
    await alice.setTyping(roomId, true);
    await typing;

    const redaction = bob.waitFor((e) => e.type === 'm.room.redaction' && e.room_id === roomId);
    await alice.redact(roomId, messageId, 'typo');
    expect(redactedId(await redaction)).toBe(messageId);
    expect(bob.latestContent(messageId)).toEqual({});
  });

  it('rejects a wait that times out with what the user saw', async () => {
    const roomId = await alice.createRoom();
    await alice.sendText(roomId, 'nobody answers');
    await expect(
      alice.waitFor((e) => e.room_id === roomId && e.sender === bob.userId, {
        timeoutMs: 200,
        description: 'an answer from Bob',
      }),
    ).rejects.toThrow(
      /timed out after 200 ms waiting for 1 × an answer from Bob[\s\S]*"nobody answers"/,
    );
    expect(alice.timeline.pendingWaits).toBe(0);
  });

  it('refuses a user over a default-like message rate limit until the override is removed', async () => {
    const admin = await MatrixAdmin.create(homeserver, suffix);
    const carol = await MatrixTestUser.register(homeserver, { localpart: `carol-${suffix}` });
    const roomId = await carol.createRoom();
    await admin.overrideRatelimit(carol.userId, DEFAULT_LIKE_MESSAGE_RATELIMIT);

    // Burst 10 refilled at 1/s: 30 back-to-back sends outrun it, so one must be refused.
    let refusal: unknown;
    for (let i = 0; i < 30 && refusal === undefined; i++) {
      await carol.sendText(roomId, `message ${i}`).catch((error: unknown) => {
        refusal = error;
      });
    }
    expect(refusal).toBeInstanceOf(MatrixHttpError);
    const limited = refusal as MatrixHttpError;
    expect(limited.status).toBe(429);
    expect(limited.errcode).toBe('M_LIMIT_EXCEEDED');
    expect(limited.retryAfterMs).toBeGreaterThan(0);

    await admin.removeRatelimitOverride(carol.userId);
    await expect(carol.sendText(roomId, 'after the override')).resolves.toMatch(/^\$/);
  });

  it('keeps users, rooms and sync across a Synapse restart', async () => {
    const roomId = await alice.createRoom({ invite: [bob.userId] });
    await bob.joinRoom(roomId);
    await restartSynapse();

    // Same access tokens, same room; both sync loops ride out the restart on their own.
    const seen = bob.waitFor((e) => e.room_id === roomId && bodyOf(e) === 'after the restart');
    await alice.sendText(roomId, 'after the restart');
    expect((await seen).sender).toBe(alice.userId);
  });
});
