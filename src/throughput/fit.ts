/**
 * What the stamps of a throughput process say: events per second from a linear fit of completed calls
 * against time over the steady part of the window (as patatrack's multirun fits processed events against
 * timestamps), latency percentiles of the calls under contention, and the process's CPU use.
 */
import { MlprofError } from "../util/errors.js";
import { quantileSorted } from "../stats/stats.js";

/** One timed call of one stream: monotonic ns relative to the window's start. */
export interface CallStamp {
  stream: number;
  startNs: number;
  endNs: number;
}

/** A least-squares line y = intercept + slope x, with the standard error of its slope. */
export interface LineFit {
  slope: number;
  intercept: number;
  /** sqrt(Σ residual² / (n − 2) / Σ (x − x̄)²): scipy.stats.linregress's stderr. */
  slopeStdError: number;
  points: number;
}

/** Ordinary least squares of y on x (at least 3 points with x not all equal). */
export function linearFit(x: ArrayLike<number>, y: ArrayLike<number>): LineFit {
  const n = x.length;
  if (n < 3 || y.length !== n) throw new Error(`a line fit needs 3 or more (x, y) points, found ${n}`);
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]!;
    my += y[i]!;
  }
  mx /= n;
  my /= n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (x[i]! - mx) ** 2;
    sxy += (x[i]! - mx) * (y[i]! - my);
  }
  if (!(sxx > 0)) throw new Error("a line fit needs points at different x");
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let ssr = 0;
  for (let i = 0; i < n; i++) ssr += (y[i]! - intercept - slope * x[i]!) ** 2;
  return { slope, intercept, slopeStdError: Math.sqrt(ssr / (n - 2) / sxx), points: n };
}

/** The fraction of the window left out at each end before the fit (patatrack's --event-skip, by time). */
export const STEADY_TRIM = 0.1;

/** The measured facts of one throughput process. */
export interface ThroughputAnalysis {
  /** Calls × batch size per second: the fit's slope, and its standard error. */
  eventsPerSecond: number;
  eventsPerSecondStdError: number;
  callsPerSecond: number;
  /** The steady part of the window (ns from its start) and the completed calls the fit used. */
  steady: { startNs: number; endNs: number; calls: number; trim: number };
  /** Calls each stream completed in the steady part: how evenly the streams were served. */
  callsPerStream: number[];
  /** Per-call latency of the calls completed in the steady part (end − start), ms. */
  latencyMs: { p50: number; p90: number; p99: number; mean: number };
}

/**
 * Analyses the calls of one process over a window of `windowNs`: the completions inside the steady part
 * (the window without `trim` of its length at each end) are fitted as count against time; their
 * durations give the latency percentiles. Fewer than 3 completions there is an error naming `where`.
 */
export function analyseCalls(
  calls: readonly CallStamp[],
  windowNs: number,
  batchSize: number,
  streams: number,
  where: string,
  trim = STEADY_TRIM,
): ThroughputAnalysis {
  const lo = trim * windowNs;
  const hi = (1 - trim) * windowNs;
  const steady = calls.filter((c) => c.endNs >= lo && c.endNs <= hi).sort((a, b) => a.endNs - b.endNs);
  if (steady.length < 3) {
    throw new MlprofError(
      `${where}: ${steady.length} calls completed in the steady part of the ${(windowNs / 1e9).toFixed(3)} s window, ` +
        "a throughput fit needs at least 3",
      "give a longer --min-duration or more --min-calls",
    );
  }
  const x = Float64Array.from(steady, (c) => c.endNs / 1e9);
  const y = Float64Array.from(steady, (_, i) => i + 1);
  const fit = linearFit(x, y);
  const durations = Float64Array.from(steady, (c) => (c.endNs - c.startNs) / 1e6).sort();
  const perStream = new Array<number>(streams).fill(0);
  for (const c of steady) perStream[c.stream] = (perStream[c.stream] ?? 0) + 1;
  return {
    eventsPerSecond: fit.slope * batchSize,
    eventsPerSecondStdError: fit.slopeStdError * batchSize,
    callsPerSecond: fit.slope,
    steady: { startNs: lo, endNs: hi, calls: steady.length, trim },
    callsPerStream: perStream,
    latencyMs: {
      p50: quantileSorted(durations, 0.5),
      p90: quantileSorted(durations, 0.9),
      p99: quantileSorted(durations, 0.99),
      mean: durations.reduce((a, b) => a + b, 0) / durations.length,
    },
  };
}

/**
 * The calls file of a throughput process (`stream,start_ns,end_ns` lines): every line checked, an error
 * naming the file and the line otherwise.
 */
export function parseCalls(text: string, file: string, streams: number): CallStamp[] {
  const calls: CallStamp[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === "") continue;
    const m = /^(\d+),(-?\d+),(-?\d+)$/.exec(line);
    const call = m ? { stream: Number(m[1]), startNs: Number(m[2]), endNs: Number(m[3]) } : undefined;
    if (!call || call.stream >= streams || call.endNs < call.startNs) {
      throw new MlprofError(
        `${file} line ${i + 1}: expected 'stream,start_ns,end_ns' with a stream below ${streams} and end >= start, found '${line}'`,
      );
    }
    calls.push(call);
  }
  return calls;
}
