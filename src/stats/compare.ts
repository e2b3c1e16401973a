import { DEFAULT_BOOTSTRAP, bootstrapMedianRatio, type MedianRatio } from "./bootstrap.js";
import { mannWhitneyU, type MannWhitneyResult } from "./mannwhitney.js";
import { compareRepeatMedians, type RepeatComparison } from "./repeats.js";
import { sortedCopy } from "./stats.js";

/** Significance level of the test behind a "faster" or "slower" verdict. */
export const SIGNIFICANCE_LEVEL = 0.05;

/** How B compares with A: B's runtime is lower, higher, or not different beyond the noise threshold. */
export type Verdict = "faster" | "slower" | "same";

/** What a verdict rests on: the spread across processes, or (one process per side) the calls alone. */
export type VerdictBasis = "processes" | "calls";

/** The comparison of runtime samples A and B at one batch size. */
export interface SampleComparison {
  /** Ratio B / A with its interval: of the process medians' geometric means (basis "processes"), else of the calls' medians. */
  ratio: MedianRatio;
  /** Welch's t-test on the log process medians (basis "processes"). */
  processes?: RepeatComparison;
  /** Mann–Whitney U on the pooled calls: within-process evidence, blind to process-to-process variance. */
  mannWhitney: MannWhitneyResult;
  /** The p-value the verdict used. */
  pValue: number;
  basis: VerdictBasis;
  verdict: Verdict;
}

/** The verdict of a ratio with its interval and p-value against the noise threshold. */
function verdictOf(ratio: number, low: number, high: number, p: number, threshold: number): Verdict {
  const significant = p < SIGNIFICANCE_LEVEL;
  if (significant && ratio > 1 + threshold && low > 1) return "slower";
  if (significant && ratio < 1 - threshold && high < 1) return "faster";
  return "same";
}

/**
 * Compares the runtimes of B against A, each given as the calls of its processes. With at least two
 * processes per side the process is the unit: B is "slower" when the ratio of the process medians'
 * geometric means exceeds 1 + noiseThreshold (a difference that matters), its Welch interval lies above 1,
 * and Welch's t-test on the log medians rejects equality at SIGNIFICANCE_LEVEL; "faster" likewise below
 * 1 − noiseThreshold; otherwise "same". With one process on a side the verdict rests on the calls
 * (bootstrap interval of the ratio of medians, Mann–Whitney U) and ignores process-to-process variance.
 */
export function compareProcesses(
  a: ArrayLike<number>[],
  b: ArrayLike<number>[],
  noiseThreshold: number,
  bootstrap = DEFAULT_BOOTSTRAP,
): SampleComparison {
  const pool = (parts: ArrayLike<number>[]) => Float64Array.from(parts.flatMap((p) => Array.from(p)));
  const allA = pool(a);
  const allB = pool(b);
  const mannWhitney = mannWhitneyU(allA, allB);
  if (a.length >= 2 && b.length >= 2) {
    const medians = (parts: ArrayLike<number>[]) =>
      parts.map((p) => sortedCopy(p)).map((s) => medianSorted(s));
    const processes = compareRepeatMedians(medians(a), medians(b));
    const ratio: MedianRatio = {
      ratio: processes.ratio,
      low: processes.low,
      high: processes.high,
      level: processes.level,
    };
    return {
      ratio,
      processes,
      mannWhitney,
      pValue: processes.pValue,
      basis: "processes",
      verdict: verdictOf(processes.ratio, processes.low, processes.high, processes.pValue, noiseThreshold),
    };
  }
  const ratio = bootstrapMedianRatio(sortedCopy(allA), sortedCopy(allB), bootstrap);
  return {
    ratio,
    mannWhitney,
    pValue: mannWhitney.pValue,
    basis: "calls",
    verdict: verdictOf(ratio.ratio, ratio.low, ratio.high, mannWhitney.pValue, noiseThreshold),
  };
}

/** Compares two single samples of calls (one process each): the verdict ignores process-to-process variance. */
export function compareSamples(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  noiseThreshold: number,
  bootstrap = DEFAULT_BOOTSTRAP,
): SampleComparison {
  return compareProcesses([a], [b], noiseThreshold, bootstrap);
}

function medianSorted(s: Float64Array): number {
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2]! : 0.5 * (s[n / 2 - 1]! + s[n / 2]!);
}
