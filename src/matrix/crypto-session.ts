/**
 * One client's use of end-to-end encryption: what matrix-bot-sdk's own sync loop
 * (MatrixClient.processSync) would do with its CryptoClient, done by hand because Quorum runs
 * its own `/sync`. See node_modules/matrix-bot-sdk/lib/MatrixClient.js and e2ee/CryptoClient.js.
 */
import type { Logger, RoomId } from '../shared/index.js';
import { runAbortable } from './abortable-request.js';
import type { EventContent } from './message-content.js';
import type { RoomCrypto } from './room-crypto.js';
import type { ParsedSync } from './sync-response.js';
import type { JoinedRoomUpdate, RawEvent, SyncBatch } from './types.js';

/** What a {@link CryptoSession} needs from its client. */
export interface CryptoSessionDeps {
  readonly crypto: RoomCrypto;
  readonly log: Logger;
  /** Aborts pending crypto work when the client closes. */
  readonly closed: AbortSignal;
  /** The rooms joined now, for the first `prepare`. */
  readonly listJoinedRooms: () => Promise<readonly RoomId[]>;
}

/**
 * Wraps a {@link RoomCrypto} with the order the SDK relies on: prepare once, feed each sync's
 * to-device data before decrypting its timeline, tell the room tracker about joins and state
 * changes. Every failure leaves as a MatrixRequestError (or an abort reason).
 */
export class CryptoSession {
  private ready: Promise<void> | undefined;
  /** Rooms the crypto machine has been told we joined. */
  private readonly trackedRooms = new Set<string>();

  constructor(private readonly deps: CryptoSessionDeps) {}

  /** Prepares the crypto machine once (device keys, joined rooms); retried after a failure. */
  async ensureReady(signal: AbortSignal | undefined): Promise<void> {
    if (this.ready === undefined) {
      const preparing = this.prepare();
      preparing.catch(() => {
        this.ready = undefined;
      });
      this.ready = preparing;
    }
    const ready = this.ready;
    await runAbortable('prepare encryption', () => ready, [signal]);
  }

  /** Feeds the sync's crypto data, then tracks and decrypts each joined room's events. */
  async processSync(parsed: ParsedSync): Promise<SyncBatch> {
    await this.run('receive sync crypto data', () =>
      this.deps.crypto.receiveSyncData(parsed.crypto),
    );
    const joined: JoinedRoomUpdate[] = [];
    for (const room of parsed.batch.joined) joined.push(await this.processJoinedRoom(room));
    return { ...parsed.batch, joined };
  }

  /** Decrypts the `m.room.encrypted` events it can; the others pass through unchanged. */
  async decryptAll(roomId: RoomId, events: readonly RawEvent[]): Promise<RawEvent[]> {
    const out: RawEvent[] = [];
    for (const event of events) out.push(await this.decryptOne(roomId, event));
    return out;
  }

  /** The type and content to send: encrypted as `m.room.encrypted` when the room is encrypted. */
  async prepareOutgoing(
    roomId: RoomId,
    type: string,
    content: EventContent,
  ): Promise<{ type: string; content: EventContent }> {
    await this.ensureReady(undefined);
    const crypto = this.deps.crypto;
    if (!(await this.run('check room encryption', () => crypto.isRoomEncrypted(roomId)))) {
      return { type, content };
    }
    const encrypted = await this.run('encrypt event', () =>
      crypto.encryptRoomEvent(roomId, type, content),
    );
    return { type: 'm.room.encrypted', content: encrypted };
  }

  private async prepare(): Promise<void> {
    const joined = await this.deps.listJoinedRooms();
    await this.run('prepare encryption', () => this.deps.crypto.prepare(joined));
    for (const roomId of joined) this.trackedRooms.add(roomId);
    this.deps.log.info('end-to-end encryption ready', { rooms: joined.length });
  }

  private async processJoinedRoom(room: JoinedRoomUpdate): Promise<JoinedRoomUpdate> {
    const crypto = this.deps.crypto;
    if (!this.trackedRooms.has(room.roomId)) {
      await this.run('track joined room', () => crypto.onRoomJoin(room.roomId));
      this.trackedRooms.add(room.roomId);
    }
    for (const event of room.state) {
      await this.run('track room state', () => crypto.onRoomEvent(room.roomId, event));
    }
    const timeline: RawEvent[] = [];
    for (const event of room.timeline) {
      // In order: an m.room.encryption event earlier in the timeline applies to later events.
      const clear = await this.decryptOne(room.roomId, event);
      await this.run('track room event', () => crypto.onRoomEvent(room.roomId, clear));
      timeline.push(clear);
    }
    return { ...room, timeline };
  }

  private async decryptOne(roomId: RoomId, event: RawEvent): Promise<RawEvent> {
    if (event.type !== 'm.room.encrypted') return event;
    const crypto = this.deps.crypto;
    if (!(await this.run('check room encryption', () => crypto.isRoomEncrypted(roomId)))) {
      return event;
    }
    try {
      return { ...(await crypto.decryptRoomEvent(roomId, event)), room_id: roomId };
    } catch (error) {
      // Kept encrypted rather than dropped: the journal still records that it arrived.
      this.deps.log.warn('event decryption failed, keeping it encrypted', {
        roomId,
        eventId: event.event_id,
        error,
      });
      return event;
    }
  }

  private run<T>(what: string, operation: () => Promise<T>): Promise<T> {
    return runAbortable(what, operation, [this.deps.closed]);
  }
}
