/**
 * One supervised MCP server's lifecycle state machine: start, restart on failure with linear
 * backoff (early for a call that needs a reconnect), and stop for good. It delegates opening
 * a session (mcp-session-opener.ts), watching it (mcp-session-watch.ts), the catalogue
 * (mcp-catalogue-refresher.ts) and calls (mcp-call-runner.ts). SDK-free: it talks to the
 * server through an `McpSession`.
 */
import type { McpServerConfig } from '../../config/index.js';
import {
  AbortReason,
  describeError,
  isAborted,
  linearBackoffMs,
  linkSignal,
  runTask,
  startDeadline,
  type Clock,
  type Logger,
} from '../../shared/index.js';
import { ConditionWaiters } from './condition-waiters.js';
import { McpError } from './errors.js';
import type { McpCatalogue } from './mcp-catalogue.js';
import { McpCallRunner } from './mcp-call-runner.js';
import { McpCatalogueRefresher } from './mcp-catalogue-refresher.js';
import type { McpCallOutcome, McpSession, McpSessionFactory } from './mcp-session.js';
import type { McpServerState, McpServerStatus } from './mcp-server-status.js';
import { openSession } from './mcp-session-opener.js';
import { watchSession } from './mcp-session-watch.js';

/** Restart pacing: `delay = min(stepMs × attempt, maxMs)`; attempts reset after `stableAfterMs` up. */
export interface McpBackoff {
  readonly stepMs: number;
  readonly maxMs: number;
  readonly stableAfterMs: number;
}

/** Hooks the client manager passes down (metrics, catalogue change notices). */
export interface McpSupervisorEvents {
  onStateChanged(id: string, status: McpServerStatus): void;
  onCatalogueChanged(id: string, catalogue: McpCatalogue): void;
  onRestart(id: string): void;
}

/** What a supervisor needs. */
export interface McpSupervisorDeps {
  readonly clock: Clock;
  readonly log: Logger;
  readonly sessions: McpSessionFactory;
  readonly backoff: McpBackoff;
  /** Ping a connected server this often and restart it when it does not answer; 0: never. */
  readonly healthCheckIntervalMs: number;
  /** Calls allowed to wait for a free slot, per server. */
  readonly maxQueuedCalls: number;
  readonly events: McpSupervisorEvents;
}

/** Runs one configured server. Create, `start()`, and `stop()` when done (idempotent). */
export class McpServerSupervisor {
  // `starting` from construction: a start may be deferred a moment, and waiters wait for it.
  private state: McpServerState = 'starting';
  private session: McpSession | undefined;
  private lastError: string | null = null;
  private restarts = 0;
  /** Times the server entered `backoff`; lets a waiter tell a new failure from an old one. */
  private failures = 0;
  private readonly stopController = new AbortController();
  private wake = new AbortController();
  private shouldSkipBackoff = false;
  private loop: Promise<void> | undefined;
  private readonly waiters = new ConditionWaiters();
  private readonly catalogue: McpCatalogueRefresher;
  private readonly calls: McpCallRunner;
  private readonly log: Logger;

  constructor(
    readonly id: string,
    readonly config: McpServerConfig,
    private readonly deps: McpSupervisorDeps,
  ) {
    this.log = deps.log.child({ mcpServer: id });
    this.catalogue = new McpCatalogueRefresher({
      id,
      config,
      log: this.log,
      stopped: this.stopController.signal,
      currentSession: () => this.session,
      onChanged: (catalogue) => {
        deps.events.onCatalogueChanged(id, catalogue);
        this.waiters.notify();
      },
    });
    this.calls = new McpCallRunner({
      id,
      config,
      clock: deps.clock,
      log: this.log,
      maxQueuedCalls: deps.maxQueuedCalls,
      host: {
        isBackingOff: () => this.state === 'backoff',
        readySession: (signal) => this.readySession(signal),
        reconnect: (failed, signal) => this.reconnect(failed, signal),
      },
    });
  }

  /** Starts connecting in the background (or marks a disabled server); returns at once. */
  start(): void {
    if (this.loop !== undefined || this.stopController.signal.aborted) return;
    if (!this.config.enabled) {
      this.setState('disabled');
      return;
    }
    this.loop = this.run();
  }

  /** Stops for good: cancels waits, closes the session (a stdio child is gone when this resolves). */
  async stop(): Promise<void> {
    this.stopController.abort(new AbortReason('shutdown', `MCP server ${this.id} stopped`));
    this.wake.abort();
    await this.loop;
    if (this.state !== 'disabled') this.setState('stopped');
  }

  /** The status for `/api/ready`. */
  status(): McpServerStatus {
    return {
      state: this.state,
      tools: this.state === 'ready' ? this.catalogue.current.tools.length : 0,
      last_error: this.lastError,
      restarts: this.restarts,
    };
  }

  /** The child's pid while a stdio server runs (tests check it is gone after `stop`). */
  get pid(): number | undefined {
    return this.session?.pid;
  }

  /**
   * The tools agents are offered: the last list the server gave while it is `ready`, and also
   * while it is restarting after a failure (`starting` or `backoff` once it was up), so a call
   * in that window reconnects or fails with one clear error instead of the tool vanishing from
   * the agent's catalogue; empty before its first successful start and once stopped or disabled.
   */
  tools(): McpCatalogue {
    return this.state === 'stopped' || this.state === 'disabled'
      ? this.catalogue.empty
      : this.catalogue.current;
  }

  /**
   * Resolves once the server is `ready` (at once if it is). Rejects with the signal's reason
   * on abort, or `unavailable` when the server is stopped or disabled.
   */
  ready(options: { readonly signal: AbortSignal }): Promise<void> {
    return this.waitFor(options.signal);
  }

  /** Calls a tool of this server; see {@link McpCallRunner.call}. */
  call(
    remoteName: string,
    args: Readonly<Record<string, unknown>>,
    options: { readonly signal: AbortSignal; readonly timeoutMs?: number | undefined },
  ): Promise<McpCallOutcome> {
    return this.calls.call(remoteName, args, options);
  }

  /** The session once ready; fails at once when in backoff after a failure (see McpCallHost). */
  private async readySession(signal: AbortSignal): Promise<McpSession> {
    await this.waitFor(signal, {
      failuresBefore: this.failures - (this.state === 'backoff' ? 1 : 0),
    });
    const session = this.session;
    if (session === undefined) throw this.unavailable();
    return session;
  }

  /**
   * Replaces `failed` (the session a call just failed on) with a fresh one, skipping the
   * backoff, and waits (up to the startup timeout) until the server is ready again.
   */
  private async reconnect(failed: McpSession | undefined, signal: AbortSignal): Promise<void> {
    // The failed session's end (or the restart now under way) skips its backoff, once; a
    // server already backing off is woken instead.
    const isBetweenSessions = this.session === undefined && this.state !== 'backoff';
    if ((failed !== undefined && this.session === failed) || isBetweenSessions) {
      this.shouldSkipBackoff = true;
    }
    if (failed !== undefined && this.session === failed) {
      runTask(failed.close(), { log: this.log, what: 'mcp session close' });
    }
    const failuresBefore = this.failures;
    if (this.state === 'backoff') this.wake.abort();
    const deadline = startDeadline(
      signal,
      this.config.startup_timeout_seconds * 1000,
      this.deps.clock,
    );
    try {
      // A fresh session may not exist yet: wait through the restart, fail on the next backoff.
      await this.waitFor(deadline.signal, { failuresBefore, notThis: failed });
    } catch (error: unknown) {
      signal.throwIfAborted();
      if (error instanceof McpError) throw error;
      throw new McpError(
        'unavailable',
        `MCP server '${this.id}' did not come back within ${this.config.startup_timeout_seconds} s`,
      );
    } finally {
      deadline.cleanup();
    }
  }

  /**
   * Waits until `ready` with a session other than `notThis`; rejects with `unavailable` when
   * the server is stopped or disabled, or (with `failuresBefore`) in `backoff` after a
   * failure newer than that count. Without `failuresBefore` it waits through restarts.
   */
  private waitFor(
    signal: AbortSignal,
    options: { readonly failuresBefore?: number; readonly notThis?: McpSession | undefined } = {},
  ): Promise<void> {
    return this.waiters.waitUntil(signal, () => {
      const session = this.session;
      if (this.state === 'ready' && session !== undefined && session !== options.notThis) {
        return true;
      }
      const isDown = this.state === 'stopped' || this.state === 'disabled';
      const hasFailedSince =
        options.failuresBefore !== undefined &&
        this.state === 'backoff' &&
        this.failures > options.failuresBefore;
      return isDown || hasFailedSince ? this.unavailable() : false;
    });
  }

  private unavailable(): McpError {
    const why = this.lastError === null ? '' : ` (last error: ${this.lastError})`;
    const what =
      this.state === 'disabled'
        ? 'is disabled'
        : this.state === 'stopped'
          ? 'is stopped'
          : 'is not available right now, it is restarting';
    return new McpError('unavailable', `MCP server '${this.id}' ${what}${why}`);
  }

  /** The supervision loop: start, serve until the session ends, back off, repeat. */
  private async run(): Promise<void> {
    const signal = this.stopController.signal;
    let attempt = 0;
    while (!isAborted(signal)) {
      this.setState('starting');
      let readyAtMs: number | undefined;
      let reason: string;
      try {
        const session = await openSession(
          {
            id: this.id,
            config: this.config,
            clock: this.deps.clock,
            sessions: this.deps.sessions,
            catalogue: this.catalogue,
          },
          signal,
        );
        this.session = session;
        this.shouldSkipBackoff = false;
        readyAtMs = this.deps.clock.now();
        this.lastError = null;
        this.setState('ready');
        this.log.info('MCP server ready', {
          tools: this.catalogue.current.tools.length,
          pid: session.pid,
        });
        reason = await watchSession(session, {
          clock: this.deps.clock,
          healthCheckIntervalMs: this.deps.healthCheckIntervalMs,
          signal,
        });
      } catch (error: unknown) {
        reason = describeError(error);
      } finally {
        const session = this.session;
        this.session = undefined;
        if (session !== undefined) await session.close().catch(() => undefined);
      }
      if (isAborted(signal)) break;
      this.lastError = reason;
      if (
        readyAtMs !== undefined &&
        this.deps.clock.now() - readyAtMs >= this.deps.backoff.stableAfterMs
      ) {
        attempt = 0;
      }
      attempt++;
      this.restarts++;
      this.deps.events.onRestart(this.id);
      if (this.shouldSkipBackoff) {
        this.shouldSkipBackoff = false;
        this.log.info('MCP server restarting now', { reason });
        continue;
      }
      const delayMs = linearBackoffMs(attempt, this.deps.backoff.stepMs, this.deps.backoff.maxMs);
      this.failures++;
      this.setState('backoff');
      this.log.warn('MCP server failed; restarting after backoff', { reason, attempt, delayMs });
      await this.sleepUnlessWoken(delayMs, signal);
    }
  }

  private async sleepUnlessWoken(delayMs: number, signal: AbortSignal): Promise<void> {
    if (this.wake.signal.aborted) this.wake = new AbortController();
    const linked = linkSignal(signal, this.wake.signal);
    try {
      await this.deps.clock.sleep(delayMs, linked.signal);
    } catch {
      // Stopped or woken for a reconnect: the loop checks which.
    } finally {
      linked.cleanup();
      if (this.wake.signal.aborted) this.wake = new AbortController();
    }
  }

  private setState(state: McpServerState): void {
    if (this.state === state) return;
    this.state = state;
    this.deps.events.onStateChanged(this.id, this.status());
    this.waiters.notify();
  }
}
