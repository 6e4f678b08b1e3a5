/** Memory of a running process, as Linux reports it in /proc. */
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Resident set size of process `pid` in MiB (`VmRSS` of /proc/<pid>/status), or undefined when
 * the process is gone or /proc is not available.
 */
export function rssMb(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match === null ? undefined : Math.round((Number(match[1]) / 1024) * 10) / 10;
  } catch {
    return undefined;
  }
}

/**
 * Resident set size of `pid` and all its descendants in MiB (the daemon run through tsx has an
 * esbuild service child), or undefined when the process is gone.
 */
export function treeRssMb(pid: number | undefined): number | undefined {
  const own = rssMb(pid);
  if (pid === undefined || own === undefined) return undefined;
  const children = childrenOf(pid).map((child) => treeRssMb(child) ?? 0);
  return Math.round((own + children.reduce((sum, value) => sum + value, 0)) * 10) / 10;
}

function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((task) =>
      readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8')
        .split(/\s+/)
        .filter((field) => field !== '')
        .map(Number),
    );
  } catch {
    return [];
  }
}

/**
 * Waits `settleMs`, then samples RSS every `intervalMs` until two samples in a row differ by
 * less than `toleranceMb` (or `maxMs` passed), and returns the last sample. Garbage collection
 * and lazy initialisation move RSS for a while after a process becomes ready.
 */
export async function settledRssMb(
  pid: number | undefined,
  options: { settleMs?: number; intervalMs?: number; toleranceMb?: number; maxMs?: number } = {},
): Promise<number | undefined> {
  const { settleMs = 3_000, intervalMs = 1_000, toleranceMb = 1, maxMs = 15_000 } = options;
  await sleep(settleMs);
  const deadline = Date.now() + maxMs;
  let previous = rssMb(pid);
  for (;;) {
    await sleep(intervalMs);
    const current = rssMb(pid);
    if (current === undefined || previous === undefined) return current;
    if (Math.abs(current - previous) < toleranceMb || Date.now() > deadline) return current;
    previous = current;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
