import { quantileSorted } from "./stats.js";
import { seededRandom, type Random } from "./random.js";

/** Settings of a percentile bootstrap. */
export interface BootstrapOptions {
  /** Number of resamples. */
  resamples: number;
  /** Seed of the random source: the same seed gives the same interval. */
  seed: number;
  /** Confidence level of the interval, e.g. 0.95. */
  level: number;
}

/** 2000 resamples, a fixed seed, 95 %: every summary of the same sample has the same interval. */
export const DEFAULT_BOOTSTRAP: BootstrapOptions = { resamples: 2000, seed: 20240601, level: 0.95 };

/** A confidence interval. */
export interface Interval {
  low: number;
  high: number;
  level: number;
}

/**
 * The median of one bootstrap resample (n draws with replacement) of a sorted sample, drawn exactly in
 * O(1): a resample's order statistics are the sample's values at the order statistics of n uniform
 * indices, and the k-th of n uniforms on (0, 1) is Beta(k, n − k + 1); the (k+1)-th is the k-th plus
 * (1 − it) times the minimum of the n − k uniforms above it, Beta(1, n − k). Index ⌊n U⌋ maps a uniform
 * on (0, 1) to a uniform index, monotonically, so the order is kept. Same distribution as drawing the n
 * values and taking their median, without the O(n) per resample.
 */
export function resampledMedian(sorted: ArrayLike<number>, rnd: Random): number {
  const n = sorted.length;
  if (n === 0) throw new Error("bootstrap of an empty sample");
  if (n === 1) return sorted[0]!;
  const index = (u: number) => Math.min(Math.floor(n * u), n - 1);
  if (n % 2 === 1) {
    const k = (n + 1) / 2;
    return sorted[index(rnd.beta(k, n - k + 1))]!;
  }
  const k = n / 2;
  const uk = rnd.beta(k, n - k + 1);
  const next = uk + (1 - uk) * (1 - Math.pow(1 - rnd.uniform(), 1 / (n - k)));
  return (sorted[index(uk)]! + sorted[index(next)]!) / 2;
}

/** The central percentile interval of bootstrap replicates. */
function percentileInterval(replicates: Float64Array, level: number): Interval {
  replicates.sort();
  const alpha = (1 - level) / 2;
  return { low: quantileSorted(replicates, alpha), high: quantileSorted(replicates, 1 - alpha), level };
}

/** Percentile-bootstrap confidence interval of the median of a sorted sample; deterministic for a seed. */
export function bootstrapMedianCi(sorted: ArrayLike<number>, opts = DEFAULT_BOOTSTRAP): Interval {
  const rnd = seededRandom(opts.seed);
  const replicates = new Float64Array(opts.resamples);
  for (let i = 0; i < opts.resamples; i++) replicates[i] = resampledMedian(sorted, rnd);
  return percentileInterval(replicates, opts.level);
}

/** The ratio of the medians of two samples, B / A, with its interval. */
export interface MedianRatio extends Interval {
  ratio: number;
}

/**
 * Ratio of the medians B / A of two sorted samples with a percentile-bootstrap interval: A and B are
 * resampled independently (two separate measurements), the ratio of the resampled medians is the replicate.
 */
export function bootstrapMedianRatio(
  sortedA: ArrayLike<number>,
  sortedB: ArrayLike<number>,
  opts = DEFAULT_BOOTSTRAP,
): MedianRatio {
  const rnd = seededRandom(opts.seed);
  const replicates = new Float64Array(opts.resamples);
  for (let i = 0; i < opts.resamples; i++) {
    replicates[i] = resampledMedian(sortedB, rnd) / resampledMedian(sortedA, rnd);
  }
  const ratio = quantileSorted(sortedB, 0.5) / quantileSorted(sortedA, 0.5);
  return { ratio, ...percentileInterval(replicates, opts.level) };
}
