/**
 * Opens one session to a configured server within its startup timeout: connect, initialize,
 * subscribe to `tools/list_changed` and apply the first tool list to the catalogue.
 */
import type { McpServerConfig } from '../../config/index.js';
import { startDeadline, type Clock } from '../../shared/index.js';
import { McpError } from './errors.js';
import type { McpCatalogueRefresher } from './mcp-catalogue-refresher.js';
import type { McpSession, McpSessionFactory } from './mcp-session.js';

/** What {@link openSession} needs. */
export interface SessionOpenDeps {
  readonly id: string;
  readonly config: McpServerConfig;
  readonly clock: Clock;
  readonly sessions: McpSessionFactory;
  /** Gets the first tool list, and re-lists on each change notice of the opened session. */
  readonly catalogue: Pick<McpCatalogueRefresher, 'apply' | 'refreshSoon'>;
}

/**
 * A connected session whose tools are in the catalogue, within `startup_timeout_seconds`.
 * On failure nothing is left open: rejects with the signal's reason when `signal` aborted,
 * a `timeout` McpError when the startup time ran out, or the session's McpError. The
 * caller owns (closes) the session.
 */
export async function openSession(deps: SessionOpenDeps, signal: AbortSignal): Promise<McpSession> {
  const { config } = deps;
  const timeoutMs = config.startup_timeout_seconds * 1000;
  const deadline = startDeadline(signal, timeoutMs, deps.clock);
  let session: McpSession | undefined;
  try {
    session = await deps.sessions(deps.id, config, { signal: deadline.signal, timeoutMs });
    const opened = session;
    opened.onToolsChanged(() => {
      deps.catalogue.refreshSoon(opened);
    });
    deps.catalogue.apply(await opened.listTools({ signal: deadline.signal, timeoutMs }));
    return opened;
  } catch (error: unknown) {
    await session?.close().catch(() => undefined);
    signal.throwIfAborted();
    if (deadline.signal.aborted) {
      throw new McpError('timeout', `did not start within ${config.startup_timeout_seconds} s`);
    }
    throw error;
  } finally {
    deadline.cleanup();
  }
}
