/**
 * Reading the daemon's `/metrics` (Prometheus text) in benchmarks: series values, and a
 * histogram's quantile over a window (the difference of two scrapes), computed the way
 * Prometheus's `histogram_quantile` does (linear within the bucket).
 */

/** One scrape: series (name with labels, as printed) → value. */
export type Scrape = ReadonlyMap<string, number>;

/** Parses the text exposition format (comments skipped). */
export function parseMetrics(text: string): Scrape {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    if (space <= 0) continue;
    values.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return values;
}

/** The value of `series` (exact name and labels) in `scrape`; 0 when absent. */
export function valueOf(scrape: Scrape, series: string): number {
  return scrape.get(series) ?? 0;
}

/** The sum of every series of metric `name` whose labels contain `labelPart` (all by default). */
export function sumOf(scrape: Scrape, name: string, labelPart = ''): number {
  let sum = 0;
  for (const [series, value] of scrape) {
    const isSeries = series === name || series.startsWith(`${name}{`);
    if (isSeries && series.includes(labelPart)) sum += value;
  }
  return sum;
}

/** A histogram over a window: how many observations, their mean, and quantiles. */
export interface HistogramWindow {
  readonly samples: number;
  readonly mean_ms: number;
  /** The 0.5 and 0.99 quantiles, linear within their bucket (Prometheus's estimate). */
  readonly p50_ms: number;
  readonly p99_ms: number;
  /** Upper bound of the bucket holding the 0.99 quantile: p99 is at most this. */
  readonly p99_bucket_le_ms: number;
  /** Upper bound of the highest bucket with an observation in the window (the max is below it). */
  readonly max_bucket_le_ms: number;
}

/** The difference `after` − `before` of every series (a window's counts). */
export function difference(before: Scrape, after: Scrape): Scrape {
  const out = new Map<string, number>();
  for (const [series, value] of after) out.set(series, value - (before.get(series) ?? 0));
  return out;
}

/** The series-wise sum of several windows (see {@link difference}). */
export function combine(windows: readonly Scrape[]): Scrape {
  const out = new Map<string, number>();
  for (const window of windows) {
    for (const [series, value] of window) out.set(series, (out.get(series) ?? 0) + value);
  }
  return out;
}

/**
 * The window `before` → `after` of histogram `name` (unlabelled; values in seconds, shown in
 * ms). Quantiles beyond the last finite bucket report that bucket's bound.
 */
export function histogramWindow(before: Scrape, after: Scrape, name: string): HistogramWindow {
  return histogramOf(difference(before, after), name);
}

/** The histogram `name` of a window (counts, as {@link difference} or {@link combine} give). */
export function histogramOf(window: Scrape, name: string): HistogramWindow {
  const before: Scrape = new Map();
  const after = window;
  const bounds = [...after.keys()]
    .filter((series) => series.startsWith(`${name}_bucket{le="`))
    .map((series) => series.slice(`${name}_bucket{le="`.length, -2))
    .map((le) => (le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le)))
    .sort((a, b) => a - b);
  const cumulative = bounds.map((bound) => {
    const le = bound === Number.POSITIVE_INFINITY ? '+Inf' : String(bound);
    const series = `${name}_bucket{le="${le}"}`;
    return valueOf(after, series) - valueOf(before, series);
  });
  const count = valueOf(after, `${name}_count`) - valueOf(before, `${name}_count`);
  const sum = valueOf(after, `${name}_sum`) - valueOf(before, `${name}_sum`);
  const quantile = (q: number): { value: number; le: number } => {
    const rank = q * count;
    for (let index = 0; index < bounds.length; index++) {
      const upTo = cumulative[index] ?? 0;
      if (upTo < rank) continue;
      const upper = bounds[index] ?? 0;
      const lower = index === 0 ? 0 : (bounds[index - 1] ?? 0);
      if (upper === Number.POSITIVE_INFINITY) return { value: lower, le: lower };
      const below = index === 0 ? 0 : (cumulative[index - 1] ?? 0);
      const inBucket = upTo - below;
      const share = inBucket === 0 ? 1 : (rank - below) / inBucket;
      return { value: lower + (upper - lower) * share, le: upper };
    }
    return { value: Number.NaN, le: Number.NaN };
  };
  const firstFull = cumulative.findIndex((value) => value >= count);
  const maxLe = firstFull === -1 ? Number.NaN : (bounds[firstFull] ?? Number.NaN);
  const p50 = quantile(0.5);
  const p99 = quantile(0.99);
  const ms = (seconds: number): number => Math.round(seconds * 1_000_000) / 1000;
  return {
    samples: count,
    mean_ms: count === 0 ? Number.NaN : ms(sum / count),
    p50_ms: ms(p50.value),
    p99_ms: ms(p99.value),
    p99_bucket_le_ms: ms(p99.le),
    max_bucket_le_ms: ms(maxLe),
  };
}
