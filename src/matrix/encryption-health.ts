/**
 * Each bot's end-to-end encryption status, for `/api/ready`: its device, whether its crypto
 * works, and the encrypted rooms it refused to post into (Quorum never sends plaintext there).
 * One board per process, written by the clients' crypto sessions, read by the HTTP layer.
 */

/** What `/api/ready` shows about one bot's encryption. */
export interface EncryptionStatus {
  /**
   * `ready` (encrypts and decrypts), `starting` (opening its store, uploading keys),
   * `failed` (cannot encrypt: see `last_error`; the bot does not answer in encrypted rooms),
   * or `disabled` (no crypto backend in this process).
   */
  readonly state: 'starting' | 'ready' | 'failed' | 'disabled';
  readonly backend: string | null;
  readonly device_id: string | null;
  /** The device's Ed25519 key, as clients show it ("session key"). */
  readonly device_key: string | null;
  /** True once the account's cross-signing keys exist and sign this device. */
  readonly cross_signed: boolean;
  readonly last_error: string | null;
  /** Encrypted rooms where a send was refused, with why, most recent first (at most 20). */
  readonly refused_rooms: readonly { room_id: string; reason: string; at: string }[];
  /** Events waiting for their room keys. */
  readonly waiting_for_keys: number;
}

/** Reads the board (what the HTTP layer depends on). */
export interface EncryptionStatusSource {
  /** The bot's status by user id, or `undefined` for a user no client reported. */
  statusOf(userId: string): EncryptionStatus | undefined;
}

const MAX_REFUSED = 20;

const INITIAL: EncryptionStatus = {
  state: 'starting',
  backend: null,
  device_id: null,
  device_key: null,
  cross_signed: false,
  last_error: null,
  refused_rooms: [],
  waiting_for_keys: 0,
};

/** See the module comment. */
export class EncryptionHealthBoard implements EncryptionStatusSource {
  private readonly statuses = new Map<string, EncryptionStatus>();

  constructor(private readonly now: () => number = Date.now) {}

  statusOf(userId: string): EncryptionStatus | undefined {
    return this.statuses.get(userId);
  }

  /** Merges `patch` into the bot's status. */
  update(userId: string, patch: Partial<Omit<EncryptionStatus, 'refused_rooms'>>): void {
    this.statuses.set(userId, { ...(this.statuses.get(userId) ?? INITIAL), ...patch });
  }

  /** Records a refused send into an encrypted room. */
  refused(userId: string, roomId: string, reason: string): void {
    const current = this.statuses.get(userId) ?? INITIAL;
    const others = current.refused_rooms.filter((room) => room.room_id !== roomId);
    const entry = { room_id: roomId, reason, at: new Date(this.now()).toISOString() };
    this.statuses.set(userId, {
      ...current,
      refused_rooms: [entry, ...others].slice(0, MAX_REFUSED),
    });
  }

  /** A later successful send into the room clears its refusal. */
  sentEncrypted(userId: string, roomId: string): void {
    const current = this.statuses.get(userId);
    if (current === undefined || !current.refused_rooms.some((room) => room.room_id === roomId)) {
      return;
    }
    this.statuses.set(userId, {
      ...current,
      refused_rooms: current.refused_rooms.filter((room) => room.room_id !== roomId),
    });
  }
}
