/**
 * Statistics across repeated measurement processes. The process is the unit of replication: each process
 * contributes one median, which carries its within-process noise, and the spread of these medians is the
 * process-to-process variance. Intervals are Student-t intervals of the mean log median (the geometric mean
 * of the process medians); a ratio of two sets is compared with Welch's t-test on the log medians. This
 * two-stage method covers at its nominal level with as few as three processes per side, where resampling
 * three processes (a hierarchical bootstrap) gives intervals far too narrow.
 */
import { quantileSorted, sortedCopy } from "./stats.js";
import { studentCdf, studentQuantile } from "./student.js";

/** Default confidence level of the across-process intervals. */
export const REPEAT_LEVEL = 0.95;

/** What the repeats of one measurement show. */
export interface RepeatStats {
  /** Number of processes. */
  n: number;
  /** The median of each process's calls, in process order. */
  medians: number[];
  /** Geometric mean of the process medians: the across-process estimate of the median. */
  center: number;
  /** Its Student-t interval (null with one process: no process-to-process variance is known). */
  interval: { low: number; high: number; level: number } | null;
  /** Between processes: the standard deviation of the log medians (≈ the CV of the medians); null for n < 2. */
  betweenCv: number | null;
  /**
   * Within a process: the median over processes of the relative standard error of a process's median from
   * its own calls, 1.2533 · ((p84 − p16) / 2) / √n / median (the normal-theory SE of a median, robustly scaled).
   */
  withinCv: number;
}

function meanOf(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function varianceOf(values: number[]): number {
  const m = meanOf(values);
  return values.reduce((a, v) => a + (v - m) ** 2, 0) / (values.length - 1);
}

/** The relative standard error of the median of one process's calls. */
function withinRelativeSe(values: ArrayLike<number>): number {
  const sorted = sortedCopy(values);
  const median = quantileSorted(sorted, 0.5);
  const sigma = (quantileSorted(sorted, 0.84) - quantileSorted(sorted, 0.16)) / 2;
  return median > 0 ? (1.2533 * sigma) / Math.sqrt(sorted.length) / median : 0;
}

/** Summarizes the per-call runtimes of each process of one measurement. */
export function repeatStats(repeats: ArrayLike<number>[], level = REPEAT_LEVEL): RepeatStats {
  const medians = repeats.map((r) => quantileSorted(sortedCopy(r), 0.5));
  const logs = medians.map(Math.log);
  const n = medians.length;
  const m = meanOf(logs);
  const withinValues = repeats.map(withinRelativeSe);
  const withinCv = quantileSorted(sortedCopy(withinValues), 0.5);
  if (n < 2) return { n, medians, center: Math.exp(m), interval: null, betweenCv: null, withinCv };
  const sd = Math.sqrt(varianceOf(logs));
  const half = studentQuantile(1 - (1 - level) / 2, n - 1) * (sd / Math.sqrt(n));
  return {
    n,
    medians,
    center: Math.exp(m),
    interval: { low: Math.exp(m - half), high: Math.exp(m + half), level },
    betweenCv: sd,
    withinCv,
  };
}

/** How B compares with A across processes. */
export interface RepeatComparison {
  /** Ratio of the geometric means of the process medians, B / A. */
  ratio: number;
  /** Its Welch interval. */
  low: number;
  high: number;
  level: number;
  /** Welch's t-test on the log process medians, two-sided. */
  t: number;
  df: number;
  pValue: number;
  nA: number;
  nB: number;
}

/** Compares two sets of process medians (at least two per side) with Welch's t-test on their logarithms. */
export function compareRepeatMedians(a: number[], b: number[], level = REPEAT_LEVEL): RepeatComparison {
  if (a.length < 2 || b.length < 2) throw new Error("a comparison across processes needs two per side");
  const la = a.map(Math.log);
  const lb = b.map(Math.log);
  const va = varianceOf(la) / la.length;
  const vb = varianceOf(lb) / lb.length;
  const diff = meanOf(lb) - meanOf(la);
  const se = Math.sqrt(va + vb);
  const df =
    se > 0
      ? (va + vb) ** 2 / (va ** 2 / (la.length - 1) + vb ** 2 / (lb.length - 1))
      : la.length + lb.length - 2;
  const t = se > 0 ? diff / se : diff === 0 ? 0 : Math.sign(diff) * Infinity;
  const pValue = se > 0 ? 2 * (1 - studentCdf(Math.abs(t), df)) : diff === 0 ? 1 : 0;
  const half = se > 0 ? studentQuantile(1 - (1 - level) / 2, df) * se : 0;
  return {
    ratio: Math.exp(diff),
    low: Math.exp(diff - half),
    high: Math.exp(diff + half),
    level,
    t,
    df,
    pValue,
    nA: a.length,
    nB: b.length,
  };
}

/**
 * How far the between-process SD may exceed the within-process SE of a median by chance alone (95 %):
 * sqrt(χ²₀.₉₅(n − 1) / (n − 1)), the χ² quantile by the Wilson–Hilferty approximation.
 */
export function betweenBound(n: number): number {
  const k = n - 1;
  const z = 1.6448536;
  const chi2 = k * (1 - 2 / (9 * k) + z * Math.sqrt(2 / (9 * k))) ** 3;
  return Math.sqrt(chi2 / k);
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)} %`;
}

/**
 * The between-process spread (CV of the process medians) below which processes are not said to differ:
 * fresh processes of one model differ by 0.5-2 % on a quiet machine (host state, memory placement), which
 * the intervals already carry; above 3 % something disturbed some of them.
 */
export const PROCESS_SPREAD_WARNING = 0.03;

/**
 * Warnings of a measurement's processes: one process only (its interval ignores process-to-process
 * variance), a between-process spread beyond both the within-process precision of a median and
 * PROCESS_SPREAD_WARNING, windows that never became stable.
 */
export function repeatWarnings(r: RepeatStats, stable: boolean | undefined): string[] {
  const warnings: string[] = [];
  if (r.n < 2) {
    warnings.push(
      "one process: its interval ignores process-to-process variance (measure with --repeats 3 or more)",
    );
  } else if (
    r.betweenCv !== null &&
    r.betweenCv > r.withinCv * betweenBound(r.n) &&
    r.betweenCv > PROCESS_SPREAD_WARNING
  ) {
    warnings.push(
      `processes differ: the medians of the ${r.n} processes spread by ${pct(r.betweenCv)}, more than the ` +
        `${pct(r.withinCv)} precision of one process's median explains; intervals and verdicts use the spread across processes`,
    );
  }
  if (stable === false)
    warnings.push("not stable: the windows of some event never agreed within --stability");
  return warnings;
}
