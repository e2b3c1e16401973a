import { DEFAULT_BOOTSTRAP, bootstrapMedianRatio, type MedianRatio } from "./bootstrap.js";
import { mannWhitneyU, type MannWhitneyResult } from "./mannwhitney.js";
import { sortedCopy } from "./stats.js";

/** Significance level of the Mann–Whitney test behind a "faster" or "slower" verdict. */
export const SIGNIFICANCE_LEVEL = 0.05;

/** How B compares with A: B's runtime is lower, higher, or not different beyond the noise threshold. */
export type Verdict = "faster" | "slower" | "same";

/** The comparison of runtime samples A and B at one batch size. */
export interface SampleComparison {
  /** Ratio of medians B / A with its bootstrap interval. */
  ratio: MedianRatio;
  mannWhitney: MannWhitneyResult;
  verdict: Verdict;
}

/**
 * Compares per-call runtimes B against A. B is "slower" when all three agree: the ratio of medians B / A
 * exceeds 1 + noiseThreshold (a difference that matters), its confidence interval lies above 1 (it is not
 * resampling noise), and the Mann–Whitney test rejects equal distributions at SIGNIFICANCE_LEVEL; "faster"
 * likewise below 1 − noiseThreshold; otherwise "same": no difference beyond the threshold is established.
 */
export function compareSamples(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  noiseThreshold: number,
  bootstrap = DEFAULT_BOOTSTRAP,
): SampleComparison {
  const ratio = bootstrapMedianRatio(sortedCopy(a), sortedCopy(b), bootstrap);
  const mannWhitney = mannWhitneyU(a, b);
  const significant = mannWhitney.pValue < SIGNIFICANCE_LEVEL;
  let verdict: Verdict = "same";
  if (significant && ratio.ratio > 1 + noiseThreshold && ratio.low > 1) verdict = "slower";
  else if (significant && ratio.ratio < 1 - noiseThreshold && ratio.high < 1) verdict = "faster";
  return { ratio, mannWhitney, verdict };
}
