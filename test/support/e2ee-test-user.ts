/**
 * A person with a real end-to-end encrypting client, for e2e tests of encrypted rooms:
 * matrix-js-sdk (Element's SDK) with its Rust crypto in WebAssembly, kept in memory. It sees
 * what Element would: decrypted events, which device sent them, and whether its client
 * trusts that device.
 *
 * Both the SDK's logger and the Rust tracing write to the console, which the e2e console
 * guard forbids: both are silenced here.
 */
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as sdk from 'matrix-js-sdk';
import { logger as sdkRootLogger } from 'matrix-js-sdk/lib/logger.js';
import { encryptAttachment } from '../../src/matrix/index.js';
import type { HomeserverInfo } from './matrix-registration.js';
import { registerUser } from './matrix-registration.js';

/** An event as this client sees it: `type`/`content` decrypted, `wireType` as sent. */
export interface SeenEvent {
  readonly eventId: string;
  readonly roomId: string;
  readonly sender: string;
  readonly wireType: string;
  readonly type: string;
  readonly content: Record<string, unknown>;
  /** The device that encrypted it (for encrypted events). */
  readonly senderDeviceId: string | undefined;
  readonly isDecryptionFailure: boolean;
  /**
   * `performance.now()` when the clear event became available to this client (arrival for
   * a plain event, decryption for an encrypted one); `undefined` while still encrypted.
   */
  readonly clearAtMs: number | undefined;
  readonly event: sdk.MatrixEvent;
}

const requireFromSdk = createRequire(
  createRequire(import.meta.url).resolve('matrix-js-sdk/package.json'),
);

/**
 * Keeps the Rust crypto's tracing off the console: the SDK turns it on at debug level while
 * initialising crypto, so `turnOn` of the SDK's own copy of the module becomes a no-op.
 */
async function silenceRustTracing(): Promise<void> {
  const entry = requireFromSdk.resolve('@matrix-org/matrix-sdk-crypto-wasm');
  // Whichever entry the SDK got (Node's or the bundler's), its Tracing must stay off.
  for (const file of ['node.mjs', 'index.mjs']) {
    const wasm = (await import(pathToFileURL(join(dirname(entry), file)).href)) as {
      Tracing: { prototype: { turnOn(): void } };
    };
    wasm.Tracing.prototype.turnOn = () => undefined;
  }
}

// Parts of the SDK log through its root logger rather than the client's.
sdkRootLogger.setLevel('silent');

/** The SDK logs through this; a test has nothing to say on the console. */
interface SilentLogger {
  trace(): void;
  debug(): void;
  info(): void;
  warn(): void;
  error(): void;
  getChild(): SilentLogger;
}
const silentSdkLogger: SilentLogger = {
  trace: (): void => undefined,
  debug: (): void => undefined,
  info: (): void => undefined,
  warn: (): void => undefined,
  error: (): void => undefined,
  getChild: (): SilentLogger => silentSdkLogger,
};

/** See the module comment. Call {@link E2eeTestUser.close} when done. */
export class E2eeTestUser {
  private readonly seen: SeenEvent[] = [];
  private readonly clearAt = new Map<string, number>();

  private constructor(
    readonly client: sdk.MatrixClient,
    readonly userId: string,
    readonly deviceId: string,
    readonly accessToken: string,
    private readonly homeserver: HomeserverInfo,
  ) {}

  /** Registers an account and starts an encrypting client on a new device. */
  static async register(
    homeserver: HomeserverInfo,
    options: { localpart: string; displayName?: string },
  ): Promise<E2eeTestUser> {
    const session = await registerUser(homeserver, {
      ...options,
      password: `test-password-${options.localpart}`,
    });
    const client = sdk.createClient({
      baseUrl: homeserver.url,
      accessToken: session.accessToken,
      userId: session.userId,
      deviceId: session.deviceId,
      logger: silentSdkLogger,
    });
    await silenceRustTracing();
    await client.initRustCrypto({ useIndexedDB: false });
    const user = new E2eeTestUser(
      client,
      session.userId,
      session.deviceId,
      session.accessToken,
      homeserver,
    );
    client.on(sdk.ClientEvent.Event, (event) => {
      user.observe(event);
    });
    const prepared = new Promise<void>((resolve) => {
      client.once(sdk.ClientEvent.Sync, () => {
        resolve();
      });
    });
    await client.startClient({ initialSyncLimit: 20 });
    await prepared;
    return user;
  }

  /** Creates an encrypted DM with `userId` (what Element does for "Start chat"). */
  async createEncryptedDm(userId: string): Promise<string> {
    const { room_id: roomId } = await this.client.createRoom({
      invite: [userId],
      is_direct: true,
      preset: sdk.Preset.TrustedPrivateChat,
      initial_state: [
        {
          type: 'm.room.encryption',
          state_key: '',
          content: { algorithm: 'm.megolm.v1.aes-sha2' },
        },
      ],
    });
    return roomId;
  }

  async joinRoom(roomIdOrAlias: string): Promise<string> {
    const room = await this.client.joinRoom(roomIdOrAlias);
    return room.roomId;
  }

  /** Waits until `userId` joined `roomId` (as this client's sync sees it). */
  async waitForJoin(roomId: string, userId: string, timeoutMs = 20_000): Promise<void> {
    await this.until(
      () => this.client.getRoom(roomId)?.getMember(userId)?.membership === 'join',
      timeoutMs,
      `${userId} to join ${roomId}`,
    );
  }

  /** Sends a message (encrypted when the room is); `threadRootId` puts it in that thread. */
  async sendText(
    roomId: string,
    body: string,
    options: { threadRootId?: string; mention?: { userId: string; displayName: string } } = {},
  ): Promise<string> {
    const content: Record<string, unknown> = { msgtype: 'm.text', body };
    if (options.mention !== undefined) {
      const { userId, displayName } = options.mention;
      content['body'] = `${displayName}: ${body}`;
      content['format'] = 'org.matrix.custom.html';
      content['formatted_body'] =
        `<a href="https://matrix.to/#/${userId}">${displayName}</a>: ${body}`;
      content['m.mentions'] = { user_ids: [userId] };
    }
    if (options.threadRootId !== undefined) {
      content['m.relates_to'] = {
        rel_type: 'm.thread',
        event_id: options.threadRootId,
        is_falling_back: true,
        'm.in_reply_to': { event_id: options.threadRootId },
      };
    }
    return this.send(roomId, 'm.room.message', content);
  }

  /** Uploads `bytes` encrypted (as Element does in an encrypted room) and posts it as `m.image`. */
  async sendEncryptedImage(roomId: string, bytes: Buffer, mimetype: string): Promise<string> {
    const sealed = encryptAttachment(bytes);
    const upload = await this.client.uploadContent(sealed.ciphertext, {
      type: 'application/octet-stream',
      name: 'encrypted',
    });
    return this.send(roomId, 'm.room.message', {
      msgtype: 'm.image',
      body: 'photo.png',
      info: { mimetype, size: bytes.length },
      file: sealed.fileContent(upload.content_uri),
    });
  }

  /** Events seen so far (decrypted where possible). */
  events(roomId?: string): SeenEvent[] {
    return this.current().filter((event) => roomId === undefined || event.roomId === roomId);
  }

  /** The first seen event (decryption settled) matching `predicate`. */
  async waitFor(
    predicate: (event: SeenEvent) => boolean,
    timeoutMs = 20_000,
    what = 'an event',
  ): Promise<SeenEvent> {
    let found: SeenEvent | undefined;
    await this.until(
      () => {
        found = this.current().find(predicate);
        return found !== undefined;
      },
      timeoutMs,
      what,
    );
    if (found === undefined) throw new Error(`no ${what}`);
    return found;
  }

  /** The event as stored by the homeserver (what anyone with access to the server sees). */
  async rawEvent(roomId: string, eventId: string): Promise<Record<string, unknown>> {
    const response = await fetch(
      `${this.homeserver.url}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/event/${encodeURIComponent(eventId)}`,
      { headers: { authorization: `Bearer ${this.accessToken}` } },
    );
    return (await response.json()) as Record<string, unknown>;
  }

  /** The devices this client knows for `userId` (fetched from the server when needed). */
  async devicesOf(userId: string): Promise<{ deviceId: string; ed25519: string | undefined }[]> {
    const crypto = this.client.getCrypto();
    if (crypto === undefined) throw new Error('no crypto');
    const map = await crypto.getUserDeviceInfo([userId], true);
    return [...(map.get(userId)?.values() ?? [])].map((device) => ({
      deviceId: device.deviceId,
      ed25519: device.getFingerprint() ?? undefined,
    }));
  }

  /** How this client's UI would flag an event: `null` when it shows no warning at all. */
  async shieldOf(event: SeenEvent): Promise<string | null> {
    const info = await this.client.getCrypto()?.getEncryptionInfoForEvent(event.event);
    if (info === null || info === undefined) return 'not encrypted';
    return info.shieldColour === sdk.Crypto.EventShieldColour.NONE
      ? null
      : `${String(info.shieldColour)}:${String(info.shieldReason)}`;
  }

  async close(): Promise<void> {
    this.client.stopClient();
    await Promise.resolve();
  }

  private async send(
    roomId: string,
    type: string,
    content: Record<string, unknown>,
  ): Promise<string> {
    // The SDK types content per event type; tests build it by hand.
    const send: (
      roomId: string,
      type: string,
      content: Record<string, unknown>,
    ) => Promise<{ event_id: string }> = this.client.sendEvent.bind(this.client);
    const sent = await send(roomId, type, content);
    return sent.event_id;
  }

  private observe(event: sdk.MatrixEvent): void {
    const eventId = event.getId() ?? '';
    if (!event.isEncrypted() || (!event.isBeingDecrypted() && event.getClearContent() !== null)) {
      this.clearAt.set(eventId, performance.now());
    } else {
      event.once(sdk.MatrixEventEvent.Decrypted, () => {
        this.clearAt.set(eventId, performance.now());
      });
    }
    this.seen.push(this.toSeen(event));
  }

  private toSeen(event: sdk.MatrixEvent): SeenEvent {
    return toSeen(event, this.clearAt.get(event.getId() ?? ''));
  }

  /** Re-reads every event: decryption completes after the event first arrives. */
  private current(): SeenEvent[] {
    return this.seen.map((seen) => this.toSeen(seen.event));
  }

  private async until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline)
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

function toSeen(event: sdk.MatrixEvent, clearAtMs: number | undefined): SeenEvent {
  return {
    eventId: event.getId() ?? '',
    roomId: event.getRoomId() ?? '',
    sender: event.getSender() ?? '',
    wireType: event.getWireType(),
    type: event.getType(),
    content: event.getContent(),
    senderDeviceId: event.isEncrypted() ? senderDeviceOf(event) : undefined,
    isDecryptionFailure: event.isDecryptionFailure(),
    clearAtMs,
    event,
  };
}

function senderDeviceOf(event: sdk.MatrixEvent): string | undefined {
  const wire = event.getWireContent() as { device_id?: unknown };
  return typeof wire.device_id === 'string' ? wire.device_id : undefined;
}

/** A small valid PNG (1x1, red) for image tests. */
export function tinyPng(): Buffer {
  return Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==',
    'base64',
  );
}
