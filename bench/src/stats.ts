/**
 * The statistics the benchmarks report: percentiles of latency samples within a run, and
 * median with min–max across rounds (a noisy shared machine makes means misleading).
 */

/**
 * The p-th percentile (0–100) of samples already sorted ascending, by the nearest-rank method:
 * the smallest sample such that at least p% of the samples are less than or equal to it. It is
 * always an observed value, which is what a latency percentile should be. NaN for no samples.
 */
export function percentileOfSorted(
  sorted: ArrayLike<number>,
  p: number,
): number {
  if (!(p >= 0 && p <= 100)) {
    throw new RangeError(`percentile must be from 0 to 100, got ${p}`);
  }
  const n = sorted.length;
  if (n === 0) {
    return NaN;
  }
  // The epsilon keeps 99.9% of 10,000 at rank 9,990 despite binary floating point.
  const rank = Math.max(1, Math.ceil((p * n) / 100 - 1e-9));
  return sorted[Math.min(n, rank) - 1];
}

/** The p-th percentile (0–100) of unsorted samples; see percentileOfSorted. */
export function percentile(samples: ArrayLike<number>, p: number): number {
  return percentileOfSorted(sortedCopy(samples), p);
}

/** The median: the middle value, or the mean of the two middle values. NaN for no values. */
export function median(values: ArrayLike<number>): number {
  const sorted = sortedCopy(values);
  const n = sorted.length;
  if (n === 0) {
    return NaN;
  }
  const mid = n >> 1;
  return n % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
  /** How many values (rounds) the figures come from. */
  n: number;
}

/** Median with min–max of per-round figures. NaN everywhere for no values. */
export function spread(values: ArrayLike<number>): Spread {
  const sorted = sortedCopy(values);
  const n = sorted.length;
  return {
    median: median(sorted),
    min: n ? sorted[0] : NaN,
    max: n ? sorted[n - 1] : NaN,
    n,
  };
}

export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

/** p50 / p99 / p99.9 / max of latency samples (any unit; the result keeps it). */
export function summarizeLatencies(samples: ArrayLike<number>): LatencySummary {
  const sorted = sortedCopy(samples);
  return {
    count: sorted.length,
    p50: percentileOfSorted(sorted, 50),
    p99: percentileOfSorted(sorted, 99),
    p999: percentileOfSorted(sorted, 99.9),
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
  };
}

/**
 * Whether `a` is lower than `b` by more than the noise seen across rounds: a's best round is
 * still below b's worst round. Used for "no lower than, beyond the measured noise".
 */
export function clearlyBelow(a: Spread, b: Spread): boolean {
  return a.max < b.min;
}

function sortedCopy(values: ArrayLike<number>): Float64Array {
  const copy = Float64Array.from(values as ArrayLike<number>);
  // Typed-array sort is numeric (and puts NaN last), unlike Array.prototype.sort.
  copy.sort();
  return copy;
}
