/**
 * The watcher against a real directory with chokidar and real file operations. No timed
 * assertions: each test waits (with a generous deadline) for the outcome it expects.
 */
import {
  mkdtempSync,
  openSync,
  closeSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Logger } from '../shared/index.js';
import { silentLogger } from '../shared/index.js';
import { chokidarWatchSource, ConfigWatcher } from './config-watcher.js';
import type { ConfigLoadResult } from './load-config-file.js';
import { hashConfigText } from './parse-config.js';

function configText(displayName: string): string {
  return `models:\n  default: {provider: openai, id: x}\nagents:\n  a: {display_name: ${displayName}}\n`;
}

let dir: string;
let path: string;
let watcher: ConfigWatcher | undefined;
let results: ConfigLoadResult[];
let debugLines: string[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'quorum-watch-'));
  path = join(dir, 'config.yaml');
  results = [];
  debugLines = [];
});

afterEach(async () => {
  await watcher?.stop();
  watcher = undefined;
  rmSync(dir, { recursive: true, force: true });
});

async function startWatching(initial: string, quietMs?: number): Promise<void> {
  writeFileSync(path, initial);
  const log: Logger = {
    ...silentLogger,
    debug: (message) => {
      debugLines.push(message);
    },
  };
  watcher = new ConfigWatcher({
    path,
    env: {},
    log,
    ...(quietMs === undefined ? {} : { quietMs }),
    appliedContentHash: hashConfigText(initial),
    onConfig: (result) => {
      results.push(result);
    },
  });
  await watcher.start(new AbortController().signal);
}

/** Polls until `condition` holds; fails after a deadline far above any expected delay. */
async function waitFor(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 8_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function names(): (string | undefined)[] {
  return results.map((result) => (result.ok ? result.config.agents['a']?.display_name : undefined));
}

describe('ConfigWatcher on a real directory', () => {
  it('sees an atomic rename over the file', async () => {
    await startWatching(configText('Before'));
    const temp = join(dir, '.config.yaml.tmp');
    writeFileSync(temp, configText('Renamed'));
    renameSync(temp, path);
    await waitFor(() => names().includes('Renamed'), 'the renamed config');
    expect(names()).toEqual(['Renamed']);
  });

  it('sees a truncate followed by a write', async () => {
    await startWatching(configText('Before'));
    const fd = openSync(path, 'w');
    writeSync(fd, configText('Rewritten').slice(0, 20));
    writeSync(fd, configText('Rewritten').slice(20));
    closeSync(fd);
    await waitFor(() => names().includes('Rewritten'), 'the rewritten config');
    expect(results.at(-1)?.ok).toBe(true);
    expect(results.length).toBeLessThanOrEqual(2);
  });

  it('waits out a delete and picks up the recreated file', async () => {
    await startWatching(configText('Before'));
    unlinkSync(path);
    await waitFor(
      () => debugLines.includes('config file missing; waiting for it to come back'),
      'the missing file',
    );
    writeFileSync(path, configText('Recreated'));
    await waitFor(() => names().includes('Recreated'), 'the recreated config');
    expect(names()).toEqual(['Recreated']);
  });

  it('coalesces 20 writes in 2 seconds into at most 2 emissions', async () => {
    // A longer quiet period than the default keeps this robust on a loaded machine.
    await startWatching(configText('Write0'), 500);
    for (let i = 1; i <= 20; i++) {
      writeFileSync(path, configText(`Write${i}`));
      await sleep(100);
    }
    await waitFor(() => names().includes('Write20'), 'the last write');
    expect(results.length).toBeLessThanOrEqual(2);
    expect(names().at(-1)).toBe('Write20');
  });

  it('ignores other files in the directory', async () => {
    await startWatching(configText('Before'));
    writeFileSync(join(dir, 'notes.txt'), 'hello');
    writeFileSync(path, configText('After'));
    await waitFor(() => names().includes('After'), 'the changed config');
    expect(names()).toEqual(['After']);
  });

  it('reports nothing for a busy neighbour file, only the config file', async () => {
    writeFileSync(path, configText('Before'));
    writeFileSync(join(dir, 'quorum.db-wal'), '');
    const seen: string[] = [];
    const source = chokidarWatchSource(
      dir,
      'config.yaml',
      (changed) => seen.push(changed),
      () => undefined,
    );
    try {
      await source.ready;
      for (let i = 0; i < 20; i++) writeFileSync(join(dir, 'quorum.db-wal'), `write ${i}`);
      writeFileSync(path, configText('After'));
      await waitFor(() => seen.includes(path), 'the config change');
      expect(seen.filter((changed) => changed !== path)).toEqual([]);
    } finally {
      await source.close();
    }
  });
});
