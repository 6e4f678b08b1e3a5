import { performance } from 'node:perf_hooks';
import type { Histogram } from './metrics.js';

/** How often the monitor's timer is due. */
export const EVENT_LOOP_SAMPLE_MS = 20;

/**
 * Measures event-loop delay until `signal` aborts: a timer due every `intervalMs` observes, in
 * seconds, how late it ran (0 when on time) into `histogram`. A handler that blocks the loop
 * for 800 ms shows as one observation of about 0.8 s. The timer is `unref()`'d, so it never
 * keeps the process alive; its cost is one short callback per interval.
 *
 * Node's `monitorEventLoopDelay` measures the same, but only exposes percentiles since its
 * last reset, which cannot be windowed per scrape; a Prometheus histogram can.
 */
export function startEventLoopMonitor(
  histogram: Histogram,
  signal: AbortSignal,
  intervalMs = EVENT_LOOP_SAMPLE_MS,
): void {
  if (signal.aborted) return;
  let due = performance.now() + intervalMs;
  let timer: NodeJS.Timeout | undefined;
  const tick = (): void => {
    const now = performance.now();
    histogram.observe(Math.max(0, now - due) / 1000);
    due = now + intervalMs;
    timer = setTimeout(tick, intervalMs);
    timer.unref();
  };
  timer = setTimeout(tick, intervalMs);
  timer.unref();
  signal.addEventListener(
    'abort',
    () => {
      clearTimeout(timer);
    },
    { once: true },
  );
}
