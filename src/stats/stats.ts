/**
 * Quantile of sorted values with linear interpolation between closest ranks (numpy's default):
 * position h = (n - 1) q.
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) throw new Error("quantile of an empty sample");
  if (q <= 0) return sorted[0]!;
  if (q >= 1) return sorted[n - 1]!;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/** Median and the 16 % / 84 % quantiles of a sample: the point and band of the runtime plots. */
export interface BandStats {
  n: number;
  median: number;
  p16: number;
  p84: number;
}

/** Computes the median with its 16–84 % band. */
export function bandStats(values: ArrayLike<number>): BandStats {
  const sorted = Float64Array.from(values).sort();
  return {
    n: sorted.length,
    median: quantileSorted(sorted, 0.5),
    p16: quantileSorted(sorted, 0.16),
    p84: quantileSorted(sorted, 0.84),
  };
}
