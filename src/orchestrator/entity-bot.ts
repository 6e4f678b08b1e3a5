import type { EntitySpec } from '../config/index.js';
import {
  SyncLoop,
  UndecryptableNotifier,
  type IngressSink,
  type SyncCoverage,
} from '../ingress/index.js';
import type { BotClient, OutgoingText } from '../matrix/index.js';
import { Outbox, type OutboxClient } from '../outbox/index.js';
import {
  AbortReason,
  asDaemonError,
  asRoomAlias,
  asRoomId,
  asUserId,
  type Clock,
  type EventId,
  type Logger,
  type QuorumMetrics,
  type RoomId,
  Supervisor,
  type SupervisedState,
  type SupervisedStatus,
  type SupervisorOptions,
} from '../shared/index.js';
import type { QuorumStore } from '../storage/index.js';
import type { MatrixConnector } from './matrix-connector.js';
import type { RoomRegistry } from './room-registry.js';

export interface EntityBotDeps {
  readonly store: QuorumStore;
  readonly connector: MatrixConnector;
  readonly registry: RoomRegistry;
  readonly sink: IngressSink;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: QuorumMetrics;
  readonly isEntityUser: (userId: string) => boolean;
  readonly catchUpWindowMs: number;
  readonly pollTimeoutMs: number;
  /** How often the bot checks in while the router's sync covers all its rooms. */
  readonly standbyIntervalMs?: number;
  /** Runs after login and before joining (the router creates rooms and invites here). */
  readonly prepareRooms?: (bot: EntityBot, client: BotClient, signal: AbortSignal) => Promise<void>;
  /** What the router's sync already covers for this bot (see `SyncCoverage`). */
  readonly coverage?: () => SyncCoverage;
  /** Called when the bot's supervised state changes (starting, syncing, backoff, stopped). */
  readonly onStateChange?: (bot: EntityBot, state: SupervisedState) => void;
  /** Runs once the bot has joined its rooms, before it syncs (turn recovery). */
  readonly onStarted: (bot: EntityBot) => void;
  /** What the bot's start waits for (required MCP servers); see `SupervisorOptions.startGate`. */
  readonly startGate?: SupervisorOptions['startGate'];
}

/**
 * One entity's Matrix presence: its account, client, outbox and supervised sync loop.
 * Each start attempt logs in (or registers), sets the display name, joins the configured
 * rooms and then syncs until stopped; the supervisor restarts failed attempts.
 */
export class EntityBot {
  private currentSpec: EntitySpec;
  private currentClient: BotClient | undefined;
  readonly outbox: Outbox;
  private readonly supervisor: Supervisor;
  private readonly log: Logger;
  private loop: SyncLoop | undefined;

  constructor(
    spec: EntitySpec,
    private readonly deps: EntityBotDeps,
  ) {
    this.currentSpec = spec;
    this.log = deps.log.child({ bot: spec.name });
    this.outbox = new Outbox({
      client: this.delegatingClient(),
      clock: deps.clock,
      log: this.log,
      onRateLimited: () => {
        deps.metrics.rateLimited.inc({ bot: spec.name });
      },
    });
    this.supervisor = new Supervisor({
      name: spec.name,
      clock: deps.clock,
      log: this.log,
      stallAfterMs: deps.pollTimeoutMs * 2 + 15_000,
      run: (signal, onSynced) => this.runAttempt(signal, onSynced),
      onRestart: () => {
        deps.metrics.syncRestarts.inc({ bot: spec.name });
      },
      onStateChange: (state) => {
        deps.onStateChange?.(this, state);
      },
      startGate: deps.startGate,
    });
  }

  get name(): string {
    return this.currentSpec.name;
  }

  get spec(): EntitySpec {
    return this.currentSpec;
  }

  /** The connected client, once the first attempt logged in. */
  get client(): BotClient | undefined {
    return this.currentClient;
  }

  /** The account's user id, once known. */
  get userId(): string | undefined {
    return this.currentClient?.userId ?? this.deps.store.accounts.get(this.name)?.userId;
  }

  status(): SupervisedStatus {
    return this.supervisor.snapshot();
  }

  start(): void {
    this.supervisor.start();
  }

  whenSettled(): Promise<void> {
    return this.supervisor.whenSettled();
  }

  /** Replaces the spec of a running bot for live-applicable changes (rooms, routing table). */
  updateSpec(spec: EntitySpec): void {
    this.currentSpec = spec;
  }

  /** Re-reads the coverage now: the long-poll (or standby pause) in flight is replaced. */
  refreshSync(): void {
    this.loop?.refresh();
  }

  /** Stops syncing and waits for the loop to end; the client stays usable for final sends. */
  async stop(reason: AbortReason = new AbortReason('shutdown')): Promise<void> {
    await this.supervisor.stop(reason);
  }

  /**
   * Gives queued sends up to `drainMs` to finish (final edits of cut-short replies), then
   * closes the outbox and the client. Call after `stop`. Idempotent.
   */
  async close(drainMs = 5_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, drainMs);
      timer.unref();
    });
    await Promise.race([this.outbox.drain(), timeout]);
    clearTimeout(timer);
    this.outbox.close();
    const client = this.currentClient;
    this.currentClient = undefined;
    await client?.close();
  }

  /** Joins `roomRefs` (aliases or ids); a room that refuses (no invite yet) is logged and skipped. */
  async joinRooms(roomRefs: readonly string[]): Promise<RoomId[]> {
    const client = this.currentClient;
    if (client === undefined) return [];
    const joined: RoomId[] = [];
    for (const ref of roomRefs) {
      try {
        const roomId = await client.joinRoom(
          ref.startsWith('#') ? asRoomAlias(ref) : asRoomId(ref),
        );
        this.deps.registry.setJoined(this.name, roomId, true);
        if (ref.startsWith('#')) this.deps.registry.setAlias(ref, roomId);
        joined.push(roomId);
      } catch (error: unknown) {
        this.log.warn('could not join a configured room', { room: ref, error });
      }
    }
    return joined;
  }

  /** Leaves rooms (aliases are resolved first); failures are logged. */
  async leaveRooms(roomRefs: readonly string[]): Promise<void> {
    const client = this.currentClient;
    if (client === undefined) return;
    for (const ref of roomRefs) {
      try {
        const roomId = ref.startsWith('#')
          ? await client.resolveAlias(asRoomAlias(ref))
          : asRoomId(ref);
        if (roomId === undefined) continue;
        await client.leaveRoom(roomId);
        this.deps.registry.setJoined(this.name, roomId, false);
      } catch (error: unknown) {
        this.log.warn('could not leave a room', { room: ref, error });
      }
    }
  }

  private async runAttempt(signal: AbortSignal, onSynced: () => void): Promise<void> {
    const { store, connector, registry } = this.deps;
    const spec = this.currentSpec;
    const stored = store.accounts.get(spec.name);
    const credentials = await connector.provision({
      localpart: spec.localpart,
      displayName: spec.displayName,
      stored: stored === undefined ? undefined : { ...stored, userId: asUserId(stored.userId) },
      signal,
    });
    store.accounts.save({ entity: spec.name, ...credentials });
    const previous = this.currentClient;
    this.currentClient = connector.connect(credentials);
    if (previous !== undefined) await previous.close().catch(() => undefined);
    const client = this.currentClient;

    await this.ensureDisplayName(client, spec.displayName);
    await this.ensureNotificationsOff(client);
    await this.deps.prepareRooms?.(this, client, signal);
    await this.joinRooms(this.currentSpec.rooms);
    registry.setRoomsOf(spec.name, await client.getJoinedRooms());
    for (const direct of store.directRooms.all()) {
      if (direct.entity === spec.name) registry.markDirect(spec.name, direct.roomId);
    }
    this.deps.onStarted(this);

    const loop = new SyncLoop({
      bot: spec.name,
      client,
      journal: store.journal,
      sink: this.deps.sink,
      clock: this.deps.clock,
      log: this.log,
      isEntityUser: this.deps.isEntityUser,
      catchUpWindowMs: this.deps.catchUpWindowMs,
      pollTimeoutMs: this.deps.pollTimeoutMs,
      ...(this.deps.standbyIntervalMs === undefined
        ? {}
        : { standbyIntervalMs: this.deps.standbyIntervalMs }),
      onBatch: onSynced,
      ...(this.deps.coverage === undefined ? {} : { coverage: this.deps.coverage }),
      // E2EE (issue 16): one note per thread for messages whose keys never arrived.
      undecryptable: new UndecryptableNotifier({
        journal: store.journal,
        sender: this.outbox,
        log: this.log,
        isEntityUser: this.deps.isEntityUser,
      }),
    });
    this.loop = loop;
    try {
      await loop.run(signal);
    } catch (error: unknown) {
      this.deps.metrics.syncErrors.inc({ bot: spec.name });
      throw error;
    } finally {
      if (this.loop === loop) this.loop = undefined;
    }
  }

  private async ensureDisplayName(client: BotClient, displayName: string): Promise<void> {
    try {
      const current = await client.getDisplayName(client.userId);
      if (current !== displayName) await client.setDisplayName(displayName);
    } catch (error: unknown) {
      if (asDaemonError(error)?.code === 'rate_limited') throw error;
      this.log.warn('could not set the display name', { error });
    }
  }

  /** See `ProfileEditor.getNotificationsEnabled`: a bot's account asks for no notifications. */
  private async ensureNotificationsOff(client: BotClient): Promise<void> {
    try {
      if (await client.getNotificationsEnabled()) await client.setNotificationsEnabled(false);
    } catch (error: unknown) {
      if (asDaemonError(error)?.code === 'rate_limited') throw error;
      this.log.warn('could not turn off notifications for the account', { error });
    }
  }

  /** The outbox sends through whichever client is current (it changes across restarts). */
  private delegatingClient(): OutboxClient {
    const current = (): BotClient => {
      const client = this.currentClient;
      if (client === undefined) throw new AbortReason('shutdown', `${this.name} is not connected`);
      return client;
    };
    return {
      sendText: (roomId: RoomId, message: OutgoingText, options) =>
        current().sendText(roomId, message, options),
      editText: (roomId: RoomId, targetId: EventId, message: OutgoingText, options) =>
        current().editText(roomId, targetId, message, options),
      react: (roomId, targetId, key, options) => current().react(roomId, targetId, key, options),
      redact: (roomId, eventId, options) => current().redact(roomId, eventId, options),
      sendFile: (roomId, file, options) => current().sendFile(roomId, file, options),
    };
  }
}
