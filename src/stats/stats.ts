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
  const sorted = sortedCopy(values);
  return {
    n: sorted.length,
    median: quantileSorted(sorted, 0.5),
    p16: quantileSorted(sorted, 0.16),
    p84: quantileSorted(sorted, 0.84),
  };
}

/** An ascending copy of the values (the input is left as is). */
export function sortedCopy(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values).sort();
}

/** Arithmetic mean; NaN for an empty sample. */
export function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return sum / values.length;
}

/** Sample standard deviation (n - 1 in the denominator, two-pass); 0 for fewer than two values. */
export function sampleStd(values: ArrayLike<number>): number {
  const n = values.length;
  if (n < 2) return 0;
  const m = mean(values);
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i]! - m) ** 2;
  return Math.sqrt(ss / (n - 1));
}

/**
 * Complementary error function (Numerical Recipes' Chebyshev fit `erfcc`, fractional error below
 * 1.2e-7 everywhere): precise enough for p-values.
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Cumulative distribution function of the standard normal distribution. */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** The median of values (linear interpolation, as quantileSorted); NaN for none. */
export function medianOf(values: ArrayLike<number>): number {
  return values.length === 0 ? NaN : quantileSorted(sortedCopy(values), 0.5);
}
