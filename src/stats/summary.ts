import { DEFAULT_BOOTSTRAP, bootstrapMedianCi, type Interval } from "./bootstrap.js";
import { tukeyOutliers, type TukeyOutliers } from "./outliers.js";
import { mean, quantileSorted, sampleStd, sortedCopy } from "./stats.js";
import { minCallsFor } from "./validity.js";

/** When a run counts as unstable. */
export interface InstabilityThresholds {
  /**
   * Largest robust CV, (p84 − p16) / (2 median): for a normal sample the CV, but blind to the rare
   * slow calls (interrupts, page faults, GC) that make std / mean of single-call timings of small models
   * 1 to 7 on an ordinary machine while the median stays put. 0.1, pyperf's limit on std / mean.
   */
  robustCv: number;
  /**
   * Largest relative difference between the medians of the first and second halves of the calls: a run
   * that drifts (warm-up too short, frequency scaling, a neighbour starting) by more than the smallest
   * difference a comparison calls real (5 %) is flagged.
   */
  drift: number;
}

/** The default thresholds of the instability warnings. */
export const DEFAULT_THRESHOLDS: InstabilityThresholds = { robustCv: 0.1, drift: 0.05 };

/** Fewest values for the half-vs-half drift check (each half needs a meaningful median). */
export const MIN_N_FOR_DRIFT = 20;

/** Fewest calls for a 99.9 % quantile: LoadGen's binomial rule (stats/validity.ts), 6643. */
export const MIN_N_FOR_P999 = minCallsFor(0.999);

/** Everything a summary reports about one sample of per-call runtimes (ms) at one batch size. */
export interface SampleSummary {
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1). */
  std: number;
  median: number;
  p16: number;
  p84: number;
  /** The 90, 95, 99 and 99.9 % quantiles; null below the calls LoadGen's binomial rule needs for them (64, 130, 662, 6643). */
  p90: number | null;
  p95: number | null;
  p99: number | null;
  /** The 99.9 % quantile; null below MIN_N_FOR_P999 calls (it would be the maximum or an interpolation to it). */
  p999: number | null;
  min: number;
  max: number;
  /** std / mean. */
  cv: number;
  /** (p84 − p16) / (2 median); see InstabilityThresholds.robustCv. */
  robustCv: number;
  /** Events per second: batch size / median runtime in seconds. */
  throughput: number;
  /** Percentile-bootstrap confidence interval of the median. */
  medianCi: Interval;
  /** Medians of the first and second halves (call order) and (second − first) / median; null below MIN_N_FOR_DRIFT. */
  drift: { firstHalfMedian: number; secondHalfMedian: number; relative: number } | null;
  outliers: TukeyOutliers;
  /** Human-readable instability warnings; empty when the run looks stable. */
  warnings: string[];
}

/** How the summaries are computed, recorded beside them. */
export function summaryMethod(
  thresholds = DEFAULT_THRESHOLDS,
  bootstrap = DEFAULT_BOOTSTRAP,
): Record<string, unknown> {
  return {
    quantiles: "linear interpolation between closest ranks (numpy default), h = (n - 1) q",
    std: "sample standard deviation (n - 1)",
    robustCv: "(p84 - p16) / (2 median)",
    throughput: "batch size / median seconds (events/s)",
    medianCi: { method: "percentile bootstrap, exact resampled-median draws", ...bootstrap },
    outliers: "Tukey fences Q1 - 1.5 IQR, Q3 + 1.5 IQR; flagged, never dropped",
    p999: `the 99.9 % quantile, from ${MIN_N_FOR_P999} calls on (null below)`,
    tailQuantiles: `p90, p95, p99 from ${minCallsFor(0.9)}, ${minCallsFor(0.95)}, ${minCallsFor(0.99)} calls on (null below): LoadGen's binomial rule`,
    acrossProcesses:
      "the process is the unit of replication: each process's median; their geometric mean with a Student-t " +
      "interval of the mean log median (n - 1 degrees of freedom); between = SD of the log medians; within = " +
      "the median relative SE of one process's median, 1.2533 (p84 - p16) / 2 / sqrt(n) / median",
    warnings: { ...thresholds, minNForDrift: MIN_N_FOR_DRIFT },
  };
}

/** Median of values[from, to). */
function medianOfRange(values: ArrayLike<number>, from: number, to: number): number {
  const part = new Float64Array(to - from);
  for (let i = from; i < to; i++) part[i - from] = values[i]!;
  return quantileSorted(part.sort(), 0.5);
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)} %`;
}

/** Medians of the first and second halves (call order) and (second − first) / median; null below MIN_N_FOR_DRIFT. */
export function driftOf(values: ArrayLike<number>): SampleSummary["drift"] {
  const n = values.length;
  if (n < MIN_N_FOR_DRIFT) return null;
  const half = Math.floor(n / 2);
  const firstHalfMedian = medianOfRange(values, 0, half);
  const secondHalfMedian = medianOfRange(values, half, n);
  const median = medianOfRange(values, 0, n);
  return { firstHalfMedian, secondHalfMedian, relative: (secondHalfMedian - firstHalfMedian) / median };
}

/**
 * Summarizes per-call runtimes in ms (in call order) measured at one batch size. With `processes` (the
 * calls of each process, in order), the drift is that of the process that drifted most: halves of pooled
 * calls would compare processes, not the course of one.
 */
export function summarize(
  values: ArrayLike<number>,
  batchSize: number,
  thresholds = DEFAULT_THRESHOLDS,
  bootstrap = DEFAULT_BOOTSTRAP,
  processes?: ArrayLike<number>[],
): SampleSummary {
  const n = values.length;
  if (n === 0) throw new Error("summary of an empty sample");
  const sorted = sortedCopy(values);
  const q = (p: number) => quantileSorted(sorted, p);
  /** A tail quantile, null below the calls it needs (stats/validity.ts minCallsFor). */
  const tail = (p: number) => (n >= minCallsFor(p) ? q(p) : null);
  const m = mean(values);
  const std = sampleStd(values);
  const median = q(0.5);
  const p16 = q(0.16);
  const p84 = q(0.84);
  const robustCv = median > 0 ? (p84 - p16) / (2 * median) : 0;
  let drift: SampleSummary["drift"] = null;
  for (const part of processes && processes.length > 1 ? processes : [values]) {
    const d = driftOf(part);
    if (d && (!drift || Math.abs(d.relative) > Math.abs(drift.relative))) drift = d;
  }
  const warnings: string[] = [];
  if (robustCv > thresholds.robustCv) {
    warnings.push(
      `spread: the 16-84 % band is ±${pct(robustCv)} of the median (robust CV > ${pct(thresholds.robustCv)})`,
    );
  }
  if (drift && Math.abs(drift.relative) > thresholds.drift) {
    warnings.push(
      `drift: the median of the second half of the calls is ${pct(Math.abs(drift.relative))} ` +
        `${drift.relative > 0 ? "above" : "below"} the first half's (> ${pct(thresholds.drift)})`,
    );
  }
  return {
    n,
    mean: m,
    std,
    median,
    p16,
    p84,
    p90: tail(0.9),
    p95: tail(0.95),
    p99: tail(0.99),
    p999: n >= MIN_N_FOR_P999 ? q(0.999) : null,
    min: sorted[0]!,
    max: sorted[n - 1]!,
    cv: m > 0 ? std / m : 0,
    robustCv,
    throughput: (batchSize * 1000) / median,
    medianCi: bootstrapMedianCi(sorted, bootstrap),
    drift,
    outliers: tukeyOutliers(values, sorted),
    warnings,
  };
}
