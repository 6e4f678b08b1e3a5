/**
 * The baseline for "what do Synapse round trips cost": the least a Matrix bot can do to answer
 * a message. One account, one `/sync` long-poll loop with plain `fetch`, and for every new
 * `m.room.message` from someone else, one threaded reply, sent before the next `/sync`.
 * No storage, no journal, no dispatcher, no model, no streaming, no edits.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isRecord, matrixRequest, segment } from '../../test/support/matrix-http.js';
import type { HomeserverInfo, MatrixSession } from '../../test/support/matrix-registration.js';
import { registerUser } from '../../test/support/matrix-registration.js';

/** Only what the bot acts on: timelines (messages, its own invites), nothing else. */
const FILTER = JSON.stringify({
  presence: { not_types: ['*'] },
  account_data: { not_types: ['*'] },
  room: {
    timeline: { limit: 50, types: ['m.room.message'] },
    state: { types: ['m.room.member'], lazy_load_members: true },
    ephemeral: { not_types: ['*'] },
    account_data: { not_types: ['*'] },
  },
});

/** Long-poll timeout of one `/sync`. */
const POLL_TIMEOUT_MS = 30_000;

/** See the file comment. `close()` ends the loop. */
export class EchoBot {
  /** Messages answered so far. */
  answered = 0;
  private readonly controller = new AbortController();
  private running: Promise<void> | undefined;
  private txnCounter = 0;
  private lastError: unknown;

  private constructor(
    private readonly homeserver: HomeserverInfo,
    private readonly session: MatrixSession,
  ) {}

  /** The bot's user id. */
  get userId(): string {
    return this.session.userId;
  }

  /** Registers the account and starts the loop; resolves after the initial sync. */
  static async start(homeserver: HomeserverInfo, localpart: string): Promise<EchoBot> {
    const session = await registerUser(homeserver, {
      localpart,
      password: `echo-password-${localpart}`,
    });
    const bot = new EchoBot(homeserver, session);
    await bot.begin();
    return bot;
  }

  /** Joins a room (by id or alias) it was invited to. */
  async join(roomIdOrAlias: string): Promise<void> {
    await this.request('POST', `/_matrix/client/v3/join/${segment(roomIdOrAlias)}`, {});
  }

  /** Stops the loop (aborting the pending long-poll). Idempotent. */
  async close(): Promise<void> {
    this.controller.abort();
    await this.running;
  }

  private async begin(): Promise<void> {
    // The initial sync only yields the token: history before it is not answered.
    const initial = await this.sync(undefined, 0);
    this.running = this.loop(initial);
  }

  private async loop(since: string): Promise<void> {
    let token = since;
    while (!this.controller.signal.aborted) {
      try {
        const response = await this.sync(token, POLL_TIMEOUT_MS);
        token = response;
      } catch (error: unknown) {
        if (this.isClosed()) return;
        this.lastError = error;
        await sleep(250);
      }
    }
  }

  // A method, not `signal.aborted`, because the compiler narrows that to false inside the loop.
  private isClosed(): boolean {
    return this.controller.signal.aborted;
  }

  /** One `/sync`; answers what it brought, then returns the next token. */
  private async sync(since: string | undefined, timeoutMs: number): Promise<string> {
    const query = new URLSearchParams({ filter: FILTER, timeout: String(timeoutMs) });
    if (since !== undefined) query.set('since', since);
    const response = await matrixRequest(this.homeserver.url, {
      method: 'GET',
      path: `/_matrix/client/v3/sync?${query.toString()}`,
      accessToken: this.session.accessToken,
      signal: this.controller.signal,
    });
    if (since !== undefined) await this.answer(response);
    const next = response['next_batch'];
    if (typeof next !== 'string') throw new Error(`/sync answered no next_batch: ${String(next)}`);
    return next;
  }

  private async answer(response: Record<string, unknown>): Promise<void> {
    const rooms = isRecord(response['rooms']) ? response['rooms'] : {};
    const joined = isRecord(rooms['join']) ? rooms['join'] : {};
    for (const [roomId, room] of Object.entries(joined)) {
      if (!isRecord(room) || !isRecord(room['timeline'])) continue;
      const events = room['timeline']['events'];
      for (const event of Array.isArray(events) ? events : []) {
        if (!isRecord(event) || !isRecord(event['content'])) continue;
        if (event['type'] !== 'm.room.message' || event['sender'] === this.userId) continue;
        const relatesTo = event['content']['m.relates_to'];
        if (isRecord(relatesTo) && relatesTo['rel_type'] === 'm.replace') continue;
        const eventId = String(event['event_id']);
        const threadRoot =
          isRecord(relatesTo) && relatesTo['rel_type'] === 'm.thread'
            ? String(relatesTo['event_id'])
            : eventId;
        const body = event['content']['body'];
        await this.send(roomId, {
          msgtype: 'm.text',
          body: `echo: ${typeof body === 'string' ? body : ''}`,
          'm.relates_to': {
            rel_type: 'm.thread',
            event_id: threadRoot,
            is_falling_back: false,
            'm.in_reply_to': { event_id: eventId },
          },
        });
        this.answered += 1;
      }
    }
    const invited = isRecord(rooms['invite']) ? rooms['invite'] : {};
    for (const roomId of Object.keys(invited)) await this.join(roomId);
  }

  private async send(roomId: string, content: Record<string, unknown>): Promise<void> {
    this.txnCounter += 1;
    const txnId = `echo-${Date.now()}-${this.txnCounter}`;
    const path = `/_matrix/client/v3/rooms/${segment(roomId)}/send/m.room.message/${segment(txnId)}`;
    await this.request('PUT', path, content);
  }

  private request(
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    body?: unknown,
  ): Promise<Record<string, unknown>> {
    return matrixRequest(this.homeserver.url, {
      method,
      path,
      accessToken: this.session.accessToken,
      ...(body === undefined ? {} : { body }),
    });
  }

  /** The last failed `/sync`, if any (for diagnosing a stuck baseline). */
  get lastFailure(): unknown {
    return this.lastError;
  }
}
