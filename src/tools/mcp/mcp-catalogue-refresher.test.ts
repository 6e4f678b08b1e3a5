import { describe, expect, it } from 'vitest';
import type { McpServerConfig } from '../../config/index.js';
import { flushMicrotasks } from '../../../test/support/fake-clock.js';
import { RecordingLogger } from '../../../test/support/recording-logger.js';
import { McpError } from './errors.js';
import type { McpCatalogue } from './mcp-catalogue.js';
import { McpCatalogueRefresher } from './mcp-catalogue-refresher.js';
import type { McpSession, McpToolInfo } from './mcp-session.js';
import { fakeServerConfig } from '../../../test/support/mcp/fake-server-config.js';

const CONFIG = fakeServerConfig();

const tool = (name: string): McpToolInfo => ({
  name,
  description: '',
  inputSchema: { type: 'object' },
});

/** A session whose `tools/list` answers wait until the test resolves them. */
class ListingSession implements McpSession {
  readonly pid = undefined;
  readonly closed = new Promise<string>(() => undefined);
  readonly pending: { answer: (tools: McpToolInfo[]) => void; fail: (e: Error) => void }[] = [];
  listTools(): Promise<McpToolInfo[]> {
    return new Promise((resolve, reject) => {
      this.pending.push({ answer: resolve, fail: reject });
    });
  }
  callTool(): never {
    throw new Error('not used');
  }
  ping(): Promise<void> {
    return Promise.resolve();
  }
  onToolsChanged(): void {
    // Not used: the test calls refreshSoon itself.
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

function setup(config: Partial<McpServerConfig> = {}) {
  const log = new RecordingLogger();
  const changes: McpCatalogue[] = [];
  let current: McpSession | undefined;
  const refresher = new McpCatalogueRefresher({
    id: 'files',
    config: { ...CONFIG, ...config },
    log,
    stopped: new AbortController().signal,
    currentSession: () => current,
    onChanged: (catalogue) => changes.push(catalogue),
  });
  const use = (session: McpSession | undefined): void => {
    current = session;
  };
  return { refresher, changes, log, use };
}

describe('McpCatalogueRefresher', () => {
  it('filters, sorts and names the tools, and bumps the version only on a change', () => {
    const { refresher, changes } = setup({
      include_tools: ['read', 'write', 'delete'],
      exclude_tools: ['delete'],
      tool_prefix: 'fs',
    });
    expect(refresher.current).toBe(refresher.empty);
    refresher.apply([tool('write'), tool('read'), tool('delete'), tool('list')]);
    expect(refresher.current.tools.map((t) => t.functionName)).toEqual(['fs_read', 'fs_write']);
    expect(refresher.current).toMatchObject({
      version: 1,
      callTimeoutMs: 10_000,
      startupTimeoutMs: 5_000,
    });
    refresher.apply([tool('read'), tool('write')]);
    expect(refresher.current.version).toBe(1);
    expect(changes).toHaveLength(1);
  });

  it('coalesces change notices that arrive during a listing into one more listing', async () => {
    const { refresher, use } = setup();
    const session = new ListingSession();
    use(session);
    refresher.refreshSoon(session);
    refresher.refreshSoon(session);
    refresher.refreshSoon(session);
    expect(session.pending).toHaveLength(1);
    session.pending[0]?.answer([tool('a')]);
    await flushMicrotasks();
    expect(session.pending).toHaveLength(2);
    session.pending[1]?.answer([tool('a'), tool('b')]);
    await flushMicrotasks();
    expect(session.pending).toHaveLength(2);
    expect(refresher.current.tools.map((t) => t.functionName)).toEqual(['files_a', 'files_b']);
    expect(refresher.current.version).toBe(2);
  });

  it('drops a listing for a session that was replaced meanwhile', async () => {
    const { refresher, changes, use } = setup();
    const old = new ListingSession();
    use(old);
    refresher.refreshSoon(old);
    use(new ListingSession());
    old.pending[0]?.answer([tool('stale')]);
    await flushMicrotasks();
    expect(changes).toEqual([]);
    expect(refresher.current.tools).toEqual([]);
  });

  it('keeps the previous catalogue when a listing fails, and refreshes again later', async () => {
    const { refresher, log, use } = setup();
    const session = new ListingSession();
    use(session);
    refresher.apply([tool('a')]);
    refresher.refreshSoon(session);
    session.pending[0]?.fail(new McpError('timeout', 'no answer'));
    await flushMicrotasks();
    expect(refresher.current.tools.map((t) => t.name)).toEqual(['a']);
    expect(log.lines).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'MCP tool list refresh failed; keeping the previous list',
      }),
    );
    refresher.refreshSoon(session);
    expect(session.pending).toHaveLength(2);
  });
});
