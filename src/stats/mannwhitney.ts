import { erfc, sortedCopy } from "./stats.js";

/** Result of a two-sided Mann–Whitney U test of samples A and B. */
export interface MannWhitneyResult {
  nA: number;
  nB: number;
  /** U of A: pairs (a, b) with a > b, ties counting 1/2; uA + uB = nA nB. */
  uA: number;
  uB: number;
  /** Standardized uB − nA nB / 2 with tie and continuity correction; > 0 when B tends to be larger. */
  z: number;
  /** Two-sided p-value of the normal approximation. */
  pValue: number;
  /** uB / (nA nB): probability that a value of B exceeds one of A (ties 1/2); 0.5 when neither dominates. */
  probBGreater: number;
}

/**
 * Two-sided Mann–Whitney U test with the normal approximation, the tie correction of the variance and a
 * continuity correction of 0.5 (scipy.stats.mannwhitneyu(a, b, method="asymptotic") gives the same p).
 * Ranks come from one merge of the two sorted samples: O(n log n) for the sorts, O(n) after.
 */
export function mannWhitneyU(a: ArrayLike<number>, b: ArrayLike<number>): MannWhitneyResult {
  const nA = a.length;
  const nB = b.length;
  if (nA === 0 || nB === 0) throw new Error("Mann–Whitney U test of an empty sample");
  const sa = sortedCopy(a);
  const sb = sortedCopy(b);
  let i = 0;
  let j = 0;
  let rankSumA = 0;
  let tieTerm = 0;
  while (i < nA || j < nB) {
    const v = Math.min(i < nA ? sa[i]! : Infinity, j < nB ? sb[j]! : Infinity);
    const i0 = i;
    const j0 = j;
    while (i < nA && sa[i] === v) i++;
    while (j < nB && sb[j] === v) j++;
    const t = i - i0 + (j - j0);
    // the tied values occupy ranks i0 + j0 + 1 ... i0 + j0 + t: each gets their mean
    rankSumA += (i - i0) * (i0 + j0 + (t + 1) / 2);
    tieTerm += t * t * t - t;
  }
  const n = nA + nB;
  const uA = rankSumA - (nA * (nA + 1)) / 2;
  const uB = nA * nB - uA;
  const mu = (nA * nB) / 2;
  const sigma = Math.sqrt(((nA * nB) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  const d = uB - mu;
  const z = sigma > 0 ? (Math.sign(d) * Math.max(Math.abs(d) - 0.5, 0)) / sigma : 0;
  return {
    nA,
    nB,
    uA,
    uB,
    z,
    pValue: Math.min(1, erfc(Math.abs(z) / Math.SQRT2)),
    probBGreater: uB / (nA * nB),
  };
}
