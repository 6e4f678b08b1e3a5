/**
 * One supervised MCP server: connect, keep the catalogue current, restart on failure with
 * linear backoff, serve calls (bounded concurrency, timeouts, one retry after a reconnect),
 * and stop for good. SDK-free: it talks to the server through an `McpSession`.
 */
import type { McpServerConfig } from '../../config/index.js';
import {
  AbortReason,
  describeError,
  isAborted,
  linearBackoffMs,
  linkSignal,
  runTask,
  type Clock,
  type Logger,
} from '../../shared/index.js';
import { Semaphore, SemaphoreFullError } from '../semaphore.js';
import { mcpFunctionName, uniqueFunctionNames } from '../tool-names.js';
import { McpError } from './errors.js';
import type { McpCallOutcome, McpSession, McpSessionFactory, McpToolInfo } from './mcp-session.js';

/**
 * Where a server is:
 * - `starting`: connecting, initializing and listing tools (first start or a restart);
 * - `ready`: connected, catalogue usable;
 * - `backoff`: failed, waiting before the next start (calls fail at once);
 * - `stopped`: stopped for good (removed from the config, or shutdown);
 * - `disabled`: `enabled: false` in the config; never started.
 */
export type McpServerState = 'starting' | 'ready' | 'backoff' | 'stopped' | 'disabled';

/** One server's entry in `/api/ready` (`mcp_servers.<id>`). */
export interface McpServerStatus {
  readonly state: McpServerState;
  /** Tools offered after the server's include/exclude filters. */
  readonly tools: number;
  /** Why it last failed (redacted, no secrets), or `null`. */
  readonly last_error: string | null;
  /** Restarts after failures since it was (re)configured. */
  readonly restarts: number;
}

/** A server tool with its model-visible function name. */
export interface McpCatalogueTool extends McpToolInfo {
  /** `<tool_prefix or id>_<name>`, valid for OpenAI and Anthropic, unique within the server. */
  readonly functionName: string;
}

/** A server's tools; `version` increases whenever the list (or a tool in it) changes. */
export interface McpCatalogue {
  readonly version: number;
  readonly tools: readonly McpCatalogueTool[];
  /** The server's `call_timeout_seconds`, in milliseconds. */
  readonly callTimeoutMs: number;
  /** The server's `startup_timeout_seconds`, in milliseconds (a reconnect may take this long). */
  readonly startupTimeoutMs: number;
}

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

const HEALTH_CHECK_TIMEOUT_MS = 10_000;

/** Runs one configured server. Create, `start()`, and `stop()` when done (idempotent). */
export class McpServerSupervisor {
  // `starting` from construction: a start may be deferred a moment, and waiters wait for it.
  private state: McpServerState = 'starting';
  private session: McpSession | undefined;
  private catalogue: McpCatalogue;
  private lastError: string | null = null;
  private restarts = 0;
  /** Times the server entered `backoff`; lets a waiter tell a new failure from an old one. */
  private failures = 0;
  private readonly stopController = new AbortController();
  private wake = new AbortController();
  private shouldSkipBackoff = false;
  private loop: Promise<void> | undefined;
  private readonly stateListeners = new Set<() => void>();
  private readonly slots: Semaphore;
  private refresh: { running: boolean; again: boolean } = { running: false, again: false };
  /** The catalogue of a stopped or disabled server (one object: tool sources cache by identity). */
  private readonly emptyCatalogue: McpCatalogue;
  private readonly log: Logger;

  constructor(
    readonly id: string,
    readonly config: McpServerConfig,
    private readonly deps: McpSupervisorDeps,
  ) {
    this.slots = new Semaphore(config.max_concurrent_calls, deps.maxQueuedCalls);
    this.catalogue = this.catalogueOf(0, []);
    this.emptyCatalogue = this.catalogue;
    this.log = deps.log.child({ mcpServer: id });
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
      tools: this.state === 'ready' ? this.catalogue.tools.length : 0,
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
      ? this.emptyCatalogue
      : this.catalogue;
  }

  /**
   * Resolves once the server is `ready` (at once if it is). Rejects with the signal's reason
   * on abort, or `unavailable` when the server is stopped or disabled.
   */
  ready(options: { readonly signal: AbortSignal }): Promise<void> {
    return this.waitFor(options.signal);
  }

  /**
   * Calls `remoteName` within `timeoutMs` (the config's `call_timeout_seconds` when absent),
   * waiting for a free slot (`max_concurrent_calls`) inside that time. A connection failure
   * or timeout, or a server in backoff after a failure, with `auto_reconnect` on, reconnects
   * (at once, skipping the backoff) and retries once. Rejects with an
   * `McpError`, or the signal's reason when the caller aborted.
   */
  async call(
    remoteName: string,
    args: Readonly<Record<string, unknown>>,
    options: { readonly signal: AbortSignal; readonly timeoutMs?: number | undefined },
  ): Promise<McpCallOutcome> {
    const timeoutMs = options.timeoutMs ?? this.config.call_timeout_seconds * 1000;
    const first = await this.attempt(remoteName, args, options.signal, timeoutMs);
    if (first.ok) return first.outcome;
    const error = first.error;
    // A server waiting out its backoff after a crash is restarted now for this call.
    const isRestarting = error.code === 'unavailable' && this.state === 'backoff';
    if (!(error.isRetryable || isRestarting) || !this.config.auto_reconnect) throw error;
    this.log.warn('MCP call failed; reconnecting and retrying once', {
      tool: remoteName,
      error: error.message,
    });
    await this.reconnect(first.session, options.signal);
    const second = await this.attempt(remoteName, args, options.signal, timeoutMs);
    if (second.ok) return second.outcome;
    throw new McpError(
      second.error.code,
      `${second.error.message} (after one reconnect and retry)`,
      {
        cause: second.error,
      },
    );
  }

  private async attempt(
    remoteName: string,
    args: Readonly<Record<string, unknown>>,
    signal: AbortSignal,
    timeoutMs: number,
  ): Promise<
    | { ok: true; outcome: McpCallOutcome }
    | { ok: false; error: McpError; session: McpSession | undefined }
  > {
    const linked = linkSignal(signal);
    const timer = new AbortController();
    this.deps.clock.sleep(timeoutMs, timer.signal).then(
      () => {
        linked.abort(new AbortReason('timeout', `MCP call ${remoteName} timed out`));
      },
      () => undefined,
    );
    let session: McpSession | undefined;
    try {
      const release = await this.slots.acquire(linked.signal);
      try {
        // A server restarting after a failure fails the call at once; one still starting is
        // waited for (within the call's time).
        await this.waitFor(linked.signal, {
          failuresBefore: this.failures - (this.state === 'backoff' ? 1 : 0),
        });
        session = this.session;
        if (session === undefined) throw this.unavailable();
        const outcome = await session.callTool(remoteName, args, {
          signal: linked.signal,
          timeoutMs,
        });
        return { ok: true, outcome };
      } finally {
        release();
      }
    } catch (error: unknown) {
      signal.throwIfAborted();
      if (linked.signal.aborted) {
        const seconds = Math.round(timeoutMs / 100) / 10;
        return {
          ok: false,
          error: new McpError(
            'timeout',
            `MCP server '${this.id}' did not answer ${remoteName} within ${seconds} s`,
          ),
          session,
        };
      }
      if (error instanceof SemaphoreFullError) {
        return {
          ok: false,
          error: new McpError('busy', `MCP server '${this.id}' is busy: ${error.message}`),
          session,
        };
      }
      if (error instanceof McpError) return { ok: false, error, session };
      throw error;
    } finally {
      timer.abort();
      linked.cleanup();
    }
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
    const linked = linkSignal(signal);
    const timer = new AbortController();
    this.deps.clock.sleep(this.config.startup_timeout_seconds * 1000, timer.signal).then(
      () => {
        linked.abort(new AbortReason('timeout', 'reconnect timed out'));
      },
      () => undefined,
    );
    try {
      // A fresh session may not exist yet: wait through the restart, fail on the next backoff.
      await this.waitFor(linked.signal, { failuresBefore, notThis: failed });
    } catch (error: unknown) {
      signal.throwIfAborted();
      if (error instanceof McpError) throw error;
      throw new McpError(
        'unavailable',
        `MCP server '${this.id}' did not come back within ${this.config.startup_timeout_seconds} s`,
      );
    } finally {
      timer.abort();
      linked.cleanup();
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
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const session = this.session;
        if (this.state === 'ready' && session !== undefined && session !== options.notThis) {
          resolve();
          return true;
        }
        const isDown = this.state === 'stopped' || this.state === 'disabled';
        const hasFailedSince =
          options.failuresBefore !== undefined &&
          this.state === 'backoff' &&
          this.failures > options.failuresBefore;
        if (isDown || hasFailedSince) {
          reject(this.unavailable());
          return true;
        }
        return false;
      };
      if (signal.aborted) {
        reject(toError(signal.reason));
        return;
      }
      if (check()) return;
      const listener = (): void => {
        if (check()) cleanup();
      };
      const onAbort = (): void => {
        cleanup();
        reject(toError(signal.reason));
      };
      const cleanup = (): void => {
        this.stateListeners.delete(listener);
        signal.removeEventListener('abort', onAbort);
      };
      this.stateListeners.add(listener);
      signal.addEventListener('abort', onAbort, { once: true });
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
        const session = await this.open(signal);
        this.session = session;
        this.shouldSkipBackoff = false;
        readyAtMs = this.deps.clock.now();
        this.lastError = null;
        this.setState('ready');
        this.log.info('MCP server ready', { tools: this.catalogue.tools.length, pid: session.pid });
        reason = await this.serve(session, signal);
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

  /** Connects, initializes and lists tools within the startup timeout. */
  private async open(signal: AbortSignal): Promise<McpSession> {
    const timeoutMs = this.config.startup_timeout_seconds * 1000;
    const linked = linkSignal(signal);
    const timer = new AbortController();
    this.deps.clock.sleep(timeoutMs, timer.signal).then(
      () => {
        linked.abort(new AbortReason('timeout', 'startup timed out'));
      },
      () => undefined,
    );
    let session: McpSession | undefined;
    try {
      session = await this.deps.sessions(this.id, this.config, {
        signal: linked.signal,
        timeoutMs,
      });
      const opened = session;
      opened.onToolsChanged(() => {
        this.refreshSoon(opened);
      });
      this.setCatalogue(await opened.listTools({ signal: linked.signal, timeoutMs }));
      return opened;
    } catch (error: unknown) {
      await session?.close().catch(() => undefined);
      signal.throwIfAborted();
      if (linked.signal.aborted) {
        throw new McpError(
          'timeout',
          `did not start within ${this.config.startup_timeout_seconds} s`,
        );
      }
      throw error;
    } finally {
      timer.abort();
      linked.cleanup();
    }
  }

  /** Waits until the session ends, a health check fails, or the server is stopped. */
  private async serve(session: McpSession, signal: AbortSignal): Promise<string> {
    const scope = linkSignal(signal);
    try {
      return await Promise.race([
        session.closed,
        this.healthChecks(session, scope.signal),
        new Promise<string>((resolve) => {
          scope.signal.addEventListener(
            'abort',
            () => {
              resolve('stopped');
            },
            { once: true },
          );
        }),
      ]);
    } finally {
      scope.abort(new AbortReason('shutdown', 'session over'));
    }
  }

  /** Resolves with a reason when a ping fails; stays pending while they succeed. */
  private async healthChecks(session: McpSession, signal: AbortSignal): Promise<string> {
    const interval = this.deps.healthCheckIntervalMs;
    if (interval <= 0) return new Promise<string>(() => undefined);
    for (;;) {
      try {
        await this.deps.clock.sleep(interval, signal);
      } catch {
        return 'stopped';
      }
      try {
        await session.ping({ signal, timeoutMs: HEALTH_CHECK_TIMEOUT_MS });
      } catch (error: unknown) {
        if (signal.aborted) return 'stopped';
        // A server that answers ping with an error (it does not implement it) is alive.
        if (error instanceof McpError && error.code === 'rpc') continue;
        return `health check failed: ${describeError(error)}`;
      }
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

  /** Re-lists tools after `tools/list_changed`; concurrent notices coalesce into one more run. */
  private refreshSoon(session: McpSession): void {
    if (this.refresh.running) {
      this.refresh.again = true;
      return;
    }
    this.refresh = { running: true, again: false };
    const work = async (): Promise<void> => {
      try {
        do {
          this.refresh.again = false;
          if (this.session !== session) return;
          const tools = await session.listTools({
            signal: this.stopController.signal,
            timeoutMs: this.config.startup_timeout_seconds * 1000,
          });
          if (this.session === session) this.setCatalogue(tools);
          // A notice may have arrived while listing (set by refreshSoon meanwhile).
        } while (this.refreshRequestedAgain());
      } catch (error: unknown) {
        if (!this.stopController.signal.aborted) {
          this.log.warn('MCP tool list refresh failed; keeping the previous list', {
            error: describeError(error),
          });
        }
      } finally {
        this.refresh.running = false;
      }
    };
    runTask(work(), { log: this.log, what: 'mcp tools refresh' });
  }

  private refreshRequestedAgain(): boolean {
    return this.refresh.again;
  }

  /** Applies the server's filters and names, and bumps the version when anything changed. */
  private setCatalogue(listed: readonly McpToolInfo[]): void {
    const include = this.config.include_tools;
    const exclude = new Set(this.config.exclude_tools);
    const kept = listed
      .filter(
        (tool) => (include.length === 0 || include.includes(tool.name)) && !exclude.has(tool.name),
      )
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const prefix = this.config.tool_prefix ?? this.id;
    const names = uniqueFunctionNames(
      kept.map((tool) => ({ name: mcpFunctionName(prefix, tool.name), key: tool.name })),
    );
    const tools = kept.map((tool, index) => ({ ...tool, functionName: names[index] ?? tool.name }));
    if (JSON.stringify(tools) === JSON.stringify(this.catalogue.tools)) return;
    this.catalogue = this.catalogueOf(this.catalogue.version + 1, tools);
    this.deps.events.onCatalogueChanged(this.id, this.catalogue);
    this.notify();
  }

  private catalogueOf(version: number, tools: readonly McpCatalogueTool[]): McpCatalogue {
    return {
      version,
      tools,
      callTimeoutMs: this.config.call_timeout_seconds * 1000,
      startupTimeoutMs: this.config.startup_timeout_seconds * 1000,
    };
  }

  private setState(state: McpServerState): void {
    if (this.state === state) return;
    this.state = state;
    this.deps.events.onStateChanged(this.id, this.status());
    this.notify();
  }

  private notify(): void {
    for (const listener of [...this.stateListeners]) listener();
  }
}

function toError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}
