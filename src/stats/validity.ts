/**
 * The validity verdict of one measured point (one batch size of one measurement), as MLPerf LoadGen's
 * VALID/INVALID and pyperf's checks: enough calls for every percentile the point reports, a minimum timed
 * duration per process, stable windows where --until-stable was used, and competition below a threshold: at
 * most maxPreemptedShare of each process's calls preempted, the host's steal below that of
 * measure/competition.ts. A point whose processes recorded no competition (records written
 * before MLProf measured it) and that passes the other rules has an unknown validity (`valid: null`).
 */
import type { CompetitionRecord } from "../measure/competition.js";
import { COMPETITION_THRESHOLDS, stealFraction, waitFraction } from "./competition.js";

/** The verdict of one point: valid, invalid or unknown (null), and why. */
export interface Validity {
  valid: boolean | null;
  /** Why the point is invalid or unknown; empty when valid. */
  reasons: string[];
}

/**
 * LoadGen's early-stopping bound with no call beyond the quantile: the fewest calls n with
 * max(q, 1 − q)^n ≤ 0.0013 (the chance that no call lies beyond the quantile on its far side). It gives
 * LoadGen's published minimums: 64 queries for p90, 662 for p99.
 */
export const QUANTILE_ALPHA = 0.0013;

/**
 * The percentiles every point reports: the plots' and the original's 16/50/84 (the tail quantiles p90 … p99.9
 * are reported only from the calls the same rule gives them, stats/summary.ts).
 */
export const REPORTED_QUANTILES = [0.16, 0.5, 0.84] as const;

/**
 * The shortest timed duration of one process, ms (pyperf's shortest value, applied to a process's timed
 * calls): a shorter window lies within one scheduler time slice (0.75–3 ms), so whether a competitor ran
 * in it is chance, and one interruption can make up most of it.
 */
export const MIN_TIMED_MS = 1;

/**
 * The largest share of a process's n timed calls that may have been preempted (its involuntary context
 * switches over its calls): 0.5 / √n, the standard error of the median's rank. A preempted call is only ever
 * slower, so a share f moves the median to at most the (0.5 + f) quantile of the undisturbed calls: below
 * this bound, less than the median's own sampling error. The wait for a CPU (time) is warned about
 * (measure/competition.ts) but does not decide: a process preempted 100 times in 50 000 calls of 4 µs waits
 * for a CPU half of the time while its median stays exact.
 */
export function maxPreemptedShare(calls: number): number {
  return calls > 0 ? 0.5 / Math.sqrt(calls) : 0;
}

/** The fewest calls for the quantile q by LoadGen's bound (see QUANTILE_ALPHA). */
export function minCallsFor(q: number): number {
  return Math.ceil(Math.log(QUANTILE_ALPHA) / Math.log(Math.max(q, 1 - q)) - 1e-9);
}

/** The fewest calls of a point: that of the most demanding reported percentile. */
export const MIN_CALLS = Math.max(...REPORTED_QUANTILES.map(minCallsFor));

/** What the verdict is made from. */
export interface ValidityInput {
  /** The calls of each process (ms). */
  processes: ArrayLike<number>[];
  /** With --until-stable: whether every event of every process reached stable windows. */
  stable?: boolean;
  /** The competition each process recorded, in process order (undefined where it recorded none). */
  competition: (CompetitionRecord | undefined)[];
}

/** The sum of values. */
function sumOf(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return sum;
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)} %`;
}

/** The verdict of one point (see the module's comment for the rules). */
export function validityOf(input: ValidityInput): Validity {
  const reasons: string[] = [];
  const n = input.processes.reduce((a, p) => a + p.length, 0);
  if (n < MIN_CALLS) {
    const q = REPORTED_QUANTILES.find((x) => minCallsFor(x) > n)!;
    reasons.push(
      `too few calls: ${n}, p${Math.round(100 * q)} needs at least ${minCallsFor(q)} (LoadGen's binomial rule); raise --n-calls, --n-events or --repeats`,
    );
  }
  const short = input.processes.map((p, i) => ({ i, ms: sumOf(p) })).filter((p) => p.ms < MIN_TIMED_MS);
  if (short.length > 0) {
    const which = input.processes.length > 1 ? `process ${short.map((p) => p.i + 1).join(", ")}: ` : "";
    reasons.push(
      `too short: ${which}${short.map((p) => p.ms.toFixed(2)).join(", ")} ms of timed calls, at least ${MIN_TIMED_MS} ms per process; raise --n-calls or set --min-duration`,
    );
  }
  if (input.stable === false)
    reasons.push("not stable: the windows of some event never agreed within --stability");
  const t = COMPETITION_THRESHOLDS;
  input.competition.forEach((c, i) => {
    if (!c) return;
    const which = input.processes.length > 1 ? `process ${i + 1}: ` : "";
    const calls = input.processes[i]?.length ?? 0;
    const preempted = calls > 0 ? c.involuntarySwitches / calls : 0;
    if (preempted > maxPreemptedShare(calls)) {
      reasons.push(
        `competition: ${which}${c.involuntarySwitches} involuntary context switches in ${calls} timed calls ` +
          `(${pct(preempted)} of the calls preempted, > 0.5 / √${calls} = ${pct(maxPreemptedShare(calls))}; ` +
          `waited ${pct(waitFraction(c))} of the time for a CPU)`,
      );
    }
    const steal = stealFraction(c);
    if (steal > t.stealFraction) {
      reasons.push(
        `steal: ${which}${pct(steal)} of the host's CPU time was stolen during the timed calls (> ${pct(t.stealFraction)})`,
      );
    }
  });
  if (reasons.length > 0) return { valid: false, reasons };
  if (input.competition.some((c) => c === undefined)) {
    return {
      valid: null,
      reasons: [
        "validity unknown: no competition for the CPU recorded (a record of MLProf before it measured it)",
      ],
    };
  }
  return { valid: true, reasons: [] };
}

/** The verdict as one word for tables: "yes", "NO" or "unknown". */
export function validityWord(v: Validity | undefined): string {
  return v?.valid === true ? "yes" : v?.valid === false ? "NO" : "unknown";
}

/** The rules of the verdict, recorded beside the verdicts (the merged JSON's `statistics.validity`). */
export function validityMethod(): Record<string, unknown> {
  return {
    minCalls: MIN_CALLS,
    minCallsRule: `LoadGen's binomial rule for each reported percentile q (${REPORTED_QUANTILES.join(", ")}): the fewest n with max(q, 1 - q)^n <= ${QUANTILE_ALPHA}`,
    minTimedMsPerProcess: MIN_TIMED_MS,
    stable: "every event of every process reached stable windows (with --until-stable)",
    competition: {
      preemptedCalls:
        "involuntary context switches / timed calls of each process, at most 0.5 / sqrt(calls) (the median's rank standard error)",
      stealFraction: COMPETITION_THRESHOLDS.stealFraction,
    },
    unknown: "valid: null when the rules above pass but a process recorded no competition (older records)",
  };
}
