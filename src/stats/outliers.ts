import { quantileSorted } from "./stats.js";

/** Most outlier indices listed in a summary; the counts are always complete. */
export const MAX_LISTED_OUTLIERS = 100;

/** Values outside Tukey's fences: flagged, never dropped. */
export interface TukeyOutliers {
  /** Q1 − k IQR and Q3 + k IQR (quartiles as numpy's default quantiles). */
  lowerFence: number;
  upperFence: number;
  k: number;
  /** Number of values below the lower and above the upper fence. */
  low: number;
  high: number;
  /** Positions (call order, 0-based) of the first MAX_LISTED_OUTLIERS outliers. */
  indices: number[];
}

/** Flags the values outside Tukey's fences Q1 − k IQR, Q3 + k IQR (k = 1.5: "outliers"; 3: "far out"). */
export function tukeyOutliers(values: ArrayLike<number>, sorted: ArrayLike<number>, k = 1.5): TukeyOutliers {
  const q1 = quantileSorted(sorted, 0.25);
  const q3 = quantileSorted(sorted, 0.75);
  const lowerFence = q1 - k * (q3 - q1);
  const upperFence = q3 + k * (q3 - q1);
  let low = 0;
  let high = 0;
  const indices: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const isLow = v < lowerFence;
    const isHigh = v > upperFence;
    if (isLow) low++;
    if (isHigh) high++;
    if ((isLow || isHigh) && indices.length < MAX_LISTED_OUTLIERS) indices.push(i);
  }
  return { lowerFence, upperFence, k, low, high, indices };
}
