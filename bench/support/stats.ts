/** Summaries of timing samples, in the shape every benchmark prints. */

/** Percentiles and extremes of a set of samples, in milliseconds, rounded to 0.1 ms. */
export interface Summary {
  readonly n: number;
  readonly min_ms: number;
  readonly p50_ms: number;
  readonly p95_ms: number;
  readonly max_ms: number;
  readonly mean_ms: number;
}

/**
 * Nearest-rank percentile (`q` in 0..1) of `sorted` (ascending): the smallest sample with at
 * least `q` of the samples at or below it. NaN for no samples.
 */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1] ?? Number.NaN;
}

/** Summarizes `samples` (milliseconds). */
export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = sorted.reduce((sum, value) => sum + value, 0) / Math.max(1, sorted.length);
  return {
    n: sorted.length,
    min_ms: round(sorted[0] ?? Number.NaN),
    p50_ms: round(percentile(sorted, 0.5)),
    p95_ms: round(percentile(sorted, 0.95)),
    max_ms: round(sorted.at(-1) ?? Number.NaN),
    mean_ms: round(sorted.length === 0 ? Number.NaN : mean),
  };
}

/** `value` rounded to `digits` decimals (one by default). */
export function round(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
