/**
 * What every bot of the process knows about its rooms' encryption: whether a room is
 * encrypted (and how), and who is in it (whose devices get the room keys). Shared by all the
 * clients of one process because a bot does not see every event of its rooms: with sync
 * coverage the router's sync alone follows a room, so a member joining, or encryption being
 * turned on, may only ever reach the router. Every client reports what its syncs bring
 * ({@link RoomEncryptionDirectory.observe}) and every client reads the result; whatever no
 * sync has told yet is read from the homeserver once and cached.
 *
 * Encryption is never turned off in a room (spec: "m.room.encryption": it cannot be
 * disabled), so an encrypted room stays encrypted here; an unencrypted answer is re-checked
 * after `recheckUnencryptedMs` in case an event announcing encryption was missed.
 */
import type { RoomId, UserId } from '../shared/index.js';
import type { RawEvent } from './types.js';

/** How a room encrypts (its `m.room.encryption` content and history visibility). */
export interface RoomEncryption {
  readonly algorithm: string;
  /** `rotation_period_ms`, when the room sets it. */
  readonly rotationPeriodMs: number | undefined;
  /** `rotation_period_msgs`, when the room sets it. */
  readonly rotationPeriodMessages: number | undefined;
  /** `m.room.history_visibility` (`shared` when unknown): who gets keys for past messages. */
  readonly historyVisibility: string;
}

/** Reads room state from the homeserver for the directory (one client's HTTP). */
export interface RoomStateReader {
  /** The `m.room.encryption` content, or `undefined` when the room has none (404). */
  readEncryption(roomId: RoomId): Promise<Readonly<Record<string, unknown>> | undefined>;
  /** `m.room.history_visibility`, or `undefined` when unset. */
  readHistoryVisibility(roomId: RoomId): Promise<string | undefined>;
  /** Joined and invited members (both receive room keys). */
  readMembers(roomId: RoomId): Promise<readonly UserId[]>;
}

/** Inputs of {@link RoomEncryptionDirectory}. */
export interface RoomEncryptionDirectoryOptions {
  readonly now?: () => number;
  /** Re-read an unencrypted room's state after this long; default 60 s. */
  readonly recheckUnencryptedMs?: number;
  /** Re-read a room's members after this long even if no sync reported a change; default 10 min. */
  readonly membersTtlMs?: number;
}

interface Cached<T> {
  readonly value: T;
  readonly at: number;
}

/** See the module comment. One per process; safe to share between clients. */
export class RoomEncryptionDirectory {
  private readonly encryption = new Map<string, Cached<RoomEncryption | null>>();
  private readonly visibility = new Map<string, string>();
  private readonly members = new Map<string, Cached<readonly UserId[]>>();
  private readonly pending = new Map<string, Promise<unknown>>();
  private readonly now: () => number;
  private readonly recheckMs: number;
  private readonly membersTtlMs: number;

  constructor(options: RoomEncryptionDirectoryOptions = {}) {
    this.now = options.now ?? Date.now;
    this.recheckMs = options.recheckUnencryptedMs ?? 60_000;
    this.membersTtlMs = options.membersTtlMs ?? 600_000;
  }

  /** Takes note of a state or timeline event a sync brought (any client, any room). */
  observe(roomId: RoomId, event: RawEvent): void {
    if (event.state_key === undefined) return;
    switch (event.type) {
      case 'm.room.encryption': {
        const parsed = encryptionOf(event.content, this.visibility.get(roomId));
        if (parsed !== null) this.encryption.set(roomId, { value: parsed, at: this.now() });
        break;
      }
      case 'm.room.member':
        this.members.delete(roomId);
        break;
      case 'm.room.history_visibility': {
        const value = event.content['history_visibility'];
        if (typeof value !== 'string') break;
        this.visibility.set(roomId, value);
        const known = this.encryption.get(roomId);
        if (known?.value != null) {
          this.encryption.set(roomId, {
            value: { ...known.value, historyVisibility: value },
            at: known.at,
          });
        }
        break;
      }
      default:
        break;
    }
  }

  /** The room's encryption, or `null` when it is not encrypted; read once when unknown. */
  async encryptionOf(roomId: RoomId, reader: RoomStateReader): Promise<RoomEncryption | null> {
    const known = this.encryption.get(roomId);
    if (known !== undefined && (known.value !== null || this.now() - known.at < this.recheckMs)) {
      return known.value;
    }
    return this.once(`encryption:${roomId}`, async () => {
      const [content, visibility] = await Promise.all([
        reader.readEncryption(roomId),
        reader.readHistoryVisibility(roomId),
      ]);
      if (visibility !== undefined) this.visibility.set(roomId, visibility);
      // A sync may have reported encryption while the request was in flight: keep it.
      const latest = this.encryption.get(roomId);
      if (latest?.value != null) return latest.value;
      const value = content === undefined ? null : encryptionOf(content, visibility);
      this.encryption.set(roomId, { value, at: this.now() });
      return value;
    });
  }

  /** The room's joined and invited members; read from the homeserver when not cached. */
  async membersOf(roomId: RoomId, reader: RoomStateReader): Promise<readonly UserId[]> {
    const known = this.members.get(roomId);
    if (known !== undefined && this.now() - known.at < this.membersTtlMs) return known.value;
    return this.once(`members:${roomId}`, async () => {
      const startedAt = this.now();
      const value = await reader.readMembers(roomId);
      // Only cache when no membership change arrived meanwhile (it deleted the entry).
      const current = this.members.get(roomId);
      if (current === undefined || current.at <= startedAt) {
        this.members.set(roomId, { value, at: startedAt });
      }
      return value;
    });
  }

  /** Forgets what is cached about a room's members (a send found someone without keys). */
  forgetMembers(roomId: RoomId): void {
    this.members.delete(roomId);
  }

  private once<T>(key: string, load: () => Promise<T>): Promise<T> {
    const inFlight = this.pending.get(key);
    if (inFlight !== undefined) return inFlight as Promise<T>;
    const started = load().finally(() => {
      this.pending.delete(key);
    });
    this.pending.set(key, started);
    return started;
  }
}

/**
 * A room's encryption from its `m.room.encryption` content; `null` for content without an
 * algorithm (a redacted event). An unknown algorithm is kept: the sender then refuses to send.
 */
function encryptionOf(
  content: Readonly<Record<string, unknown>>,
  visibility: string | undefined,
): RoomEncryption | null {
  const algorithm = content['algorithm'];
  if (typeof algorithm !== 'string' || algorithm === '') return null;
  const periodMs = content['rotation_period_ms'];
  const periodMessages = content['rotation_period_msgs'];
  return {
    algorithm,
    rotationPeriodMs: typeof periodMs === 'number' && periodMs > 0 ? periodMs : undefined,
    rotationPeriodMessages:
      typeof periodMessages === 'number' && periodMessages > 0 ? periodMessages : undefined,
    historyVisibility: visibility ?? 'shared',
  };
}
