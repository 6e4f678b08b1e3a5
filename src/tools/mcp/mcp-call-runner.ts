/**
 * Runs tool calls against one supervised server: a time limit per attempt, at most
 * `max_concurrent_calls` at once (a bounded queue behind them), and one reconnect-and-retry
 * after a connection failure or timeout. Every failure becomes one `McpError`.
 */
import type { McpServerConfig } from '../../config/index.js';
import { startDeadline, type Clock, type Logger } from '../../shared/index.js';
import { Semaphore, SemaphoreFullError } from '../semaphore.js';
import { McpError } from './errors.js';
import type { McpCallOutcome, McpSession } from './mcp-session.js';

/** The server's side of a call: its sessions, as the supervisor's lifecycle provides them. */
export interface McpCallHost {
  /** True while the server waits out a backoff after a failure. */
  isBackingOff(): boolean;
  /**
   * The ready session, waited for (while the server is starting) until `signal` aborts.
   * Rejects with an `unavailable` McpError when the server is stopped or disabled, or fails
   * anew while waiting; a server already in backoff fails at once.
   */
  readySession(signal: AbortSignal): Promise<McpSession>;
  /**
   * Replaces `failed` (the session a call just failed on, if any) with a fresh one, skipping
   * the backoff, and resolves once the server is ready again. Rejects with an McpError, or
   * the signal's reason on abort.
   */
  reconnect(failed: McpSession | undefined, signal: AbortSignal): Promise<void>;
}

/** What a call runner needs. */
export interface McpCallRunnerDeps {
  readonly id: string;
  readonly config: McpServerConfig;
  readonly clock: Clock;
  readonly log: Logger;
  /** Calls allowed to wait for a free slot. */
  readonly maxQueuedCalls: number;
  readonly host: McpCallHost;
}

type Attempt =
  | { ok: true; outcome: McpCallOutcome }
  | { ok: false; error: McpError; session: McpSession | undefined };

/** The calls of one server. */
export class McpCallRunner {
  private readonly slots: Semaphore;

  constructor(private readonly deps: McpCallRunnerDeps) {
    this.slots = new Semaphore(deps.config.max_concurrent_calls, deps.maxQueuedCalls);
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
    const { config, host } = this.deps;
    const timeoutMs = options.timeoutMs ?? config.call_timeout_seconds * 1000;
    const first = await this.attempt(remoteName, args, options.signal, timeoutMs);
    if (first.ok) return first.outcome;
    const error = first.error;
    // A server waiting out its backoff after a crash is restarted now for this call.
    const isRestarting = error.code === 'unavailable' && host.isBackingOff();
    if (!(error.isRetryable || isRestarting) || !config.auto_reconnect) throw error;
    this.deps.log.warn('MCP call failed; reconnecting and retrying once', {
      tool: remoteName,
      error: error.message,
    });
    await host.reconnect(first.session, options.signal);
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

  /** One try: a slot, a ready session and the call, all within `timeoutMs`. */
  private async attempt(
    remoteName: string,
    args: Readonly<Record<string, unknown>>,
    signal: AbortSignal,
    timeoutMs: number,
  ): Promise<Attempt> {
    const deadline = startDeadline(signal, timeoutMs, this.deps.clock);
    let session: McpSession | undefined;
    try {
      const release = await this.slots.acquire(deadline.signal);
      try {
        // A server restarting after a failure fails the call at once; one still starting is
        // waited for (within the call's time).
        session = await this.deps.host.readySession(deadline.signal);
        const outcome = await session.callTool(remoteName, args, {
          signal: deadline.signal,
          timeoutMs,
        });
        return { ok: true, outcome };
      } finally {
        release();
      }
    } catch (error: unknown) {
      signal.throwIfAborted();
      return { ok: false, error: this.failureOf(error, remoteName, timeoutMs, deadline), session };
    } finally {
      deadline.cleanup();
    }
  }

  /** The McpError a failed attempt reports; rethrows anything that is not an MCP failure. */
  private failureOf(
    error: unknown,
    remoteName: string,
    timeoutMs: number,
    deadline: { readonly signal: AbortSignal },
  ): McpError {
    const { id } = this.deps;
    if (deadline.signal.aborted) {
      const seconds = Math.round(timeoutMs / 100) / 10;
      return new McpError(
        'timeout',
        `MCP server '${id}' did not answer ${remoteName} within ${seconds} s`,
      );
    }
    if (error instanceof SemaphoreFullError) {
      return new McpError('busy', `MCP server '${id}' is busy: ${error.message}`);
    }
    if (error instanceof McpError) return error;
    throw error;
  }
}
