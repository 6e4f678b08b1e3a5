/**
 * Watches one live MCP session and reports why it is over: the connection ended, a health
 * check (an interval `ping`) failed, or the watch was stopped.
 */
import { AbortReason, describeError, linkSignal, type Clock } from '../../shared/index.js';
import { McpError } from './errors.js';
import type { McpSession } from './mcp-session.js';

/** Longest a single `ping` may take before the server counts as not answering. */
const HEALTH_CHECK_TIMEOUT_MS = 10_000;

/** How {@link watchSession} watches. */
export interface SessionWatchOptions {
  readonly clock: Clock;
  /** Time between pings, in milliseconds; 0 or less: never ping. */
  readonly healthCheckIntervalMs: number;
  /** Ends the watch, which then resolves with `'stopped'`. */
  readonly signal: AbortSignal;
}

/**
 * Resolves (never rejects) with why `session` is over, for operators: the session's own
 * `closed` reason, `health check failed: …`, or `'stopped'`. Leaves no timer or listener.
 */
export async function watchSession(
  session: McpSession,
  options: SessionWatchOptions,
): Promise<string> {
  const scope = linkSignal(options.signal);
  try {
    return await Promise.race([
      session.closed,
      healthChecks(session, options.clock, options.healthCheckIntervalMs, scope.signal),
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
async function healthChecks(
  session: McpSession,
  clock: Clock,
  intervalMs: number,
  signal: AbortSignal,
): Promise<string> {
  if (intervalMs <= 0) return new Promise<string>(() => undefined);
  for (;;) {
    try {
      await clock.sleep(intervalMs, signal);
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
