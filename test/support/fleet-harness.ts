/**
 * Component-test harness: the real MultiAgentOrchestrator over the in-memory FakeHomeserver,
 * scripted chat models and an in-memory store. A test writes config YAML, starts the fleet,
 * and talks to it as a human through a FakeBotClient.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/index.js';
import type { ChatModel } from '../../src/llm/index.js';
import type { OutgoingText, RawEvent } from '../../src/matrix/index.js';
import { MultiAgentOrchestrator, type MatrixConnector } from '../../src/orchestrator/index.js';
import {
  QuorumMetrics,
  asRoomAlias,
  silentLogger,
  systemClock,
  type EventId,
  type Logger,
  type RoomId,
  type UserId,
} from '../../src/shared/index.js';
import { QuorumStore } from '../../src/storage/index.js';
import type { McpFleetClients } from '../../src/tools/index.js';
import { FakeHomeserver } from './fake-homeserver.js';

type FakeBotClient = ReturnType<FakeHomeserver['createClient']>;

export interface FleetHarnessOptions {
  readonly yaml: string;
  /** Models by configured name; a name without a model fails calls loudly. */
  readonly models: Record<string, ChatModel>;
  readonly store?: QuorumStore;
  /** Writes the YAML to a temp file that `!config` and `propose_config_change` edit. */
  readonly withConfigFile?: boolean;
  readonly homeserver?: FakeHomeserver;
  readonly log?: Logger;
  /** MCP clients for `mcp_servers` (e.g. a real `McpClientManager` over fake sessions). */
  readonly mcp?: McpFleetClients;
}

export class FleetHarness {
  readonly homeserver: FakeHomeserver;
  readonly store: QuorumStore;
  readonly orchestrator: MultiAgentOrchestrator;
  readonly metrics = new QuorumMetrics();
  /** The config file, when `withConfigFile` was set. */
  readonly configPath: string | undefined;
  private readonly tokens = new Map<string, string>();
  /** The daemon's root signal, as the CLI would create it. */
  private readonly root = new AbortController();

  constructor(private readonly options: FleetHarnessOptions) {
    this.homeserver = options.homeserver ?? new FakeHomeserver({ serverName: 'hs.test' });
    this.store = options.store ?? new QuorumStore(':memory:');
    const parsed = parseConfig(options.yaml, { env: {} });
    if (options.withConfigFile === true) {
      this.configPath = join(mkdtempSync(join(tmpdir(), 'quorum-fleet-')), 'config.yaml');
      writeFileSync(this.configPath, options.yaml);
    }
    if (!parsed.ok) throw new Error(`bad test config: ${JSON.stringify(parsed.issues)}`);
    const connector: MatrixConnector = {
      provision: (request) => {
        const userId = this.homeserver.registerUser(request.localpart, request.displayName);
        const deviceId = request.stored?.deviceId ?? `DEV${request.localpart.toUpperCase()}`;
        return Promise.resolve({
          userId,
          accessToken: `token-${request.localpart}`,
          deviceId,
          password: 'pw',
        });
      },
      connect: (credentials) =>
        this.homeserver.createClient(credentials.userId, credentials.deviceId),
    };
    this.orchestrator = new MultiAgentOrchestrator(parsed.config, {
      store: this.store,
      connector,
      models: () => ({
        model: (name) => {
          const model = options.models[name];
          if (model === undefined) throw new Error(`no scripted model named ${name}`);
          return model;
        },
        names: () => Object.keys(options.models),
      }),
      clock: systemClock,
      log: options.log ?? silentLogger,
      metrics: this.metrics,
      pollTimeoutMs: 2_000,
      standbyIntervalMs: 100,
      ...(this.configPath === undefined ? {} : { configFile: { path: this.configPath, env: {} } }),
      ...(options.mcp === undefined ? {} : { mcp: options.mcp }),
    });
  }

  userId(localpart: string): UserId {
    return `@${localpart}:${this.homeserver.serverName}` as UserId;
  }

  /** A human user, joined to the given room aliases (the router invited global users). */
  human(localpart: string): FakeBotClient {
    const userId = this.homeserver.registerUser(localpart);
    return this.homeserver.createClient(userId);
  }

  roomId(aliasLocalpart: string): RoomId {
    const roomId = this.homeserver.resolveAlias(
      asRoomAlias(`#${aliasLocalpart}:${this.homeserver.serverName}`),
    );
    if (roomId === undefined) throw new Error(`no room #${aliasLocalpart}`);
    return roomId;
  }

  async send(client: FakeBotClient, roomId: RoomId, message: OutgoingText): Promise<EventId> {
    return client.sendText(roomId, message, { txnId: randomUUID() });
  }

  /** Messages (not edits) `sender` posted in `roomId`, with their latest text applied. */
  replies(roomId: RoomId, sender: UserId): { event: RawEvent; text: string; status: unknown }[] {
    const events = this.homeserver.events({ roomId, sender });
    const originals = events.filter((event) => event.type === 'm.room.message' && !isEdit(event));
    return originals.map((event) => {
      const edits = events.filter((edit) => isEdit(edit) && relatesTo(edit) === event.event_id);
      const latest = edits.at(-1);
      const content =
        latest === undefined
          ? event.content
          : (latest.content['m.new_content'] as Record<string, unknown>);
      return {
        event,
        text: typeof content['body'] === 'string' ? content['body'] : '',
        status: content['io.quorum.stream_status'],
      };
    });
  }

  /** Waits until `check` returns a value (polling the in-memory homeserver), or fails after `timeoutMs`. */
  async waitFor<T>(check: () => T | undefined, what: string, timeoutMs = 5_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = check();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Boots the fleet under the harness's root signal (aborted by `stop`). */
  async start(): Promise<void> {
    await this.orchestrator.start(this.root.signal);
  }

  async stop(): Promise<void> {
    await this.orchestrator.stop(2_000);
    this.root.abort();
  }
}

function isEdit(event: RawEvent): boolean {
  const relation = event.content['m.relates_to'] as { rel_type?: string } | undefined;
  return relation?.rel_type === 'm.replace';
}

function relatesTo(event: RawEvent): string | undefined {
  return (event.content['m.relates_to'] as { event_id?: string } | undefined)?.event_id;
}
