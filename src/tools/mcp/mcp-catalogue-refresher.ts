/**
 * Keeps one server's catalogue current: applies each `tools/list` answer (bumping the
 * version only on a real change) and re-lists after `notifications/tools/list_changed`,
 * coalescing notices that arrive while a listing runs.
 */
import type { McpServerConfig } from '../../config/index.js';
import { describeError, runTask, type Logger } from '../../shared/index.js';
import { catalogueOf, catalogueTools, type McpCatalogue } from './mcp-catalogue.js';
import type { McpSession, McpToolInfo } from './mcp-session.js';

/** What a refresher needs from its supervisor. */
export interface McpCatalogueRefresherDeps {
  readonly id: string;
  readonly config: McpServerConfig;
  readonly log: Logger;
  /** Aborts when the server is stopped for good: a listing in flight ends quietly. */
  readonly stopped: AbortSignal;
  /** The live session; a refresh started for another (older) session is dropped. */
  readonly currentSession: () => McpSession | undefined;
  /** Runs once per change, after `current` holds the new catalogue. */
  readonly onChanged: (catalogue: McpCatalogue) => void;
}

/** The catalogue of one server. Starts empty at version 0. */
export class McpCatalogueRefresher {
  /** The catalogue of a stopped or disabled server (one object: tool sources cache by identity). */
  readonly empty: McpCatalogue;
  private catalogue: McpCatalogue;
  private refresh: { running: boolean; again: boolean } = { running: false, again: false };

  constructor(private readonly deps: McpCatalogueRefresherDeps) {
    this.empty = catalogueOf(deps.config, 0, []);
    this.catalogue = this.empty;
  }

  /** The last catalogue applied (the empty one before any). */
  get current(): McpCatalogue {
    return this.catalogue;
  }

  /** Applies the server's filters and names, and bumps the version when anything changed. */
  apply(listed: readonly McpToolInfo[]): void {
    const tools = catalogueTools(this.deps.id, this.deps.config, listed);
    if (JSON.stringify(tools) === JSON.stringify(this.catalogue.tools)) return;
    this.catalogue = catalogueOf(this.deps.config, this.catalogue.version + 1, tools);
    this.deps.onChanged(this.catalogue);
  }

  /**
   * Re-lists `session`'s tools in the background (after `tools/list_changed`); concurrent
   * notices coalesce into one more run. A failed listing keeps the previous catalogue.
   */
  refreshSoon(session: McpSession): void {
    if (this.refresh.running) {
      this.refresh.again = true;
      return;
    }
    this.refresh = { running: true, again: false };
    runTask(this.relist(session), { log: this.deps.log, what: 'mcp tools refresh' });
  }

  private async relist(session: McpSession): Promise<void> {
    const { stopped } = this.deps;
    try {
      do {
        this.refresh.again = false;
        if (this.deps.currentSession() !== session) return;
        const tools = await session.listTools({
          signal: stopped,
          timeoutMs: this.deps.config.startup_timeout_seconds * 1000,
        });
        if (this.deps.currentSession() === session) this.apply(tools);
        // A notice may have arrived while listing (set by refreshSoon meanwhile).
      } while (this.refreshRequestedAgain());
    } catch (error: unknown) {
      if (!stopped.aborted) {
        this.deps.log.warn('MCP tool list refresh failed; keeping the previous list', {
          error: describeError(error),
        });
      }
    } finally {
      this.refresh.running = false;
    }
  }

  private refreshRequestedAgain(): boolean {
    return this.refresh.again;
  }
}
