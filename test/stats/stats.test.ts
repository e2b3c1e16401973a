/** Statistics against synthetic samples with known answers. */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  DEFAULT_BOOTSTRAP,
  bootstrapMedianCi,
  bootstrapMedianRatio,
  resampledMedian,
} from "../../src/stats/bootstrap.js";
import { compareSamples } from "../../src/stats/compare.js";
import { mannWhitneyU } from "../../src/stats/mannwhitney.js";
import { tukeyOutliers } from "../../src/stats/outliers.js";
import { seededRandom } from "../../src/stats/random.js";
import { erfc, mean, normalCdf, quantileSorted, sampleStd } from "../../src/stats/stats.js";
import { summarize } from "../../src/stats/summary.js";

const close = (actual: number, expected: number, tol: number, what = "") =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what} ${actual} is not within ${tol} of ${expected}`);

/** n draws of N(mu, sigma) from a seeded source. */
function normalSample(n: number, mu: number, sigma: number, seed: number): Float64Array {
  const rnd = seededRandom(seed);
  return Float64Array.from({ length: n }, () => mu + sigma * rnd.normal());
}

test("mean, sample std, quantiles and CV of textbook samples", () => {
  const x = [2, 4, 4, 4, 5, 5, 7, 9];
  assert.equal(mean(x), 5);
  close(sampleStd(x), Math.sqrt(32 / 7), 1e-12, "std"); // sum of squares 32, n - 1 = 7
  assert.equal(sampleStd([3]), 0);
  const oneTo101 = Array.from({ length: 101 }, (_, i) => i + 1);
  assert.equal(quantileSorted(oneTo101, 0.9), 91);
  assert.equal(quantileSorted(oneTo101, 0.99), 100);
  const s = summarize([...oneTo101].reverse(), 4);
  assert.equal(s.n, 101);
  assert.equal(s.median, 51);
  assert.equal(s.p16, 17);
  assert.equal(s.p84, 85);
  assert.equal(s.p90, 91); // 101 calls: p90 needs 64 (LoadGen's binomial rule)
  assert.equal(s.p99, null); // p99 needs 662
  assert.equal(s.min, 1);
  assert.equal(s.max, 101);
  assert.equal(s.mean, 51);
  close(s.cv, sampleStd(oneTo101) / 51, 1e-12, "cv");
  close(s.robustCv, (85 - 17) / (2 * 51), 1e-12, "robust cv");
  close(s.throughput, (4 * 1000) / 51, 1e-9, "events/s at batch size 4, 51 ms per call");
});

test("Tukey fences flag the outliers by position without dropping them", () => {
  const values = [5, 1, 2, 3, 4, 100, 6, 7, 8, 9, 10, -50];
  const sorted = [...values].sort((a, b) => a - b);
  // sorted: -50 1 2 3 4 5 6 7 8 9 10 100; Q1 at h = 2.75 → 2.75, Q3 at h = 8.25 → 8.25, IQR 5.5
  const o = tukeyOutliers(values, sorted);
  close(o.lowerFence, 2.75 - 1.5 * 5.5, 1e-12, "lower fence");
  close(o.upperFence, 8.25 + 1.5 * 5.5, 1e-12, "upper fence");
  assert.equal(o.low, 1);
  assert.equal(o.high, 1);
  assert.deepEqual(o.indices, [5, 11]);
  const s = summarize(values, 1);
  assert.equal(s.n, 12, "outliers are kept in the sample");
  assert.equal(s.outliers.high + s.outliers.low, 2);
});

test("the O(1) resampled median has the distribution of the brute-force bootstrap", () => {
  for (const n of [51, 50]) {
    const sorted = Array.from({ length: n }, (_, i) => i);
    const draws = 50_000;
    const fast = new Map<number, number>();
    const brute = new Map<number, number>();
    const rnd = seededRandom(7);
    const rndBrute = seededRandom(8);
    const resample = new Float64Array(n);
    for (let d = 0; d < draws; d++) {
      const m = resampledMedian(sorted, rnd);
      fast.set(m, (fast.get(m) ?? 0) + 1);
      for (let i = 0; i < n; i++) resample[i] = sorted[Math.floor(rndBrute.uniform() * n)]!;
      const b = quantileSorted(resample.sort(), 0.5);
      brute.set(b, (brute.get(b) ?? 0) + 1);
    }
    let tv = 0;
    for (const key of new Set([...fast.keys(), ...brute.keys()])) {
      tv += Math.abs((fast.get(key) ?? 0) - (brute.get(key) ?? 0)) / draws;
    }
    assert.ok(tv / 2 < 0.03, `n = ${n}: total variation distance ${tv / 2}`);
  }
});

test("bootstrap CI of the median: covers the true median, has the asymptotic width, is deterministic", () => {
  const n = 10_001;
  const sample = normalSample(n, 10, 1, 1);
  const sorted = Float64Array.from(sample).sort();
  const ci = bootstrapMedianCi(sorted);
  assert.ok(ci.low < 10 && 10 < ci.high, `[${ci.low}, ${ci.high}] misses 10`);
  // the median of N(mu, sigma) has standard error sigma sqrt(pi / 2) / sqrt(n)
  const width = 2 * 1.96 * Math.sqrt(Math.PI / 2) * (1 / Math.sqrt(n));
  close(ci.high - ci.low, width, 0.3 * width, "CI width");
  assert.deepEqual(bootstrapMedianCi(sorted), ci, "same seed, same interval");
  assert.notDeepEqual(bootstrapMedianCi(sorted, { ...DEFAULT_BOOTSTRAP, seed: 2 }), ci);

  // coverage over many samples: close to the nominal 95 %
  let covered = 0;
  const trials = 400;
  for (let t = 0; t < trials; t++) {
    const s = normalSample(101, 0, 1, 100 + t).sort();
    const c = bootstrapMedianCi(s, { resamples: 500, seed: t, level: 0.95 });
    if (c.low <= 0 && 0 <= c.high) covered++;
  }
  const coverage = covered / trials;
  assert.ok(coverage > 0.9 && coverage < 0.99, `coverage ${coverage}`);
});

test("ratio of medians with its bootstrap CI", () => {
  const a = normalSample(2001, 10, 1, 11).sort();
  const b = normalSample(2001, 12, 1.2, 12).sort();
  const r = bootstrapMedianRatio(a, b);
  close(r.ratio, quantileSorted(b, 0.5) / quantileSorted(a, 0.5), 1e-12, "point estimate");
  assert.ok(r.low < 1.2 && 1.2 < r.high, `[${r.low}, ${r.high}] misses the true ratio 1.2`);
  assert.ok(r.low > 1.1, "the CI excludes 1 by far");
  const same = bootstrapMedianRatio(a, a);
  assert.equal(same.ratio, 1);
  assert.ok(same.low < 1 && 1 < same.high);
  assert.deepEqual(bootstrapMedianRatio(a, b), r, "deterministic");
});

test("Mann–Whitney U: hand-computed example with ties, Wikipedia's tortoise and hare, scipy", () => {
  // ranks of 1 2 2 | 2 3 3 4 5: 1, 3, 3, 3, 5.5, 5.5, 7, 8 → R_A = 12.5, U_A = 12.5 − 10 = 2.5
  // ties t = 3 and 2: Σ(t³ − t) = 30; σ² = 16/12 (9 − 30/56) = 11.2857; z = (13.5 − 8 − 0.5) / σ
  const h = mannWhitneyU([1, 2, 2, 3], [2, 3, 4, 5]);
  assert.equal(h.uA, 2.5);
  assert.equal(h.uB, 13.5);
  close(h.z, 5 / Math.sqrt((16 / 12) * (9 - 30 / 56)), 1e-12, "z");
  close(h.pValue, 0.1366582477381475, 1e-6, "p (scipy)");
  close(h.probBGreater, 13.5 / 16, 1e-12, "P(B > A)");

  // Wikipedia: finishing order T H H H H H T T T T T H → U_T = 25, U_H = 11
  const tortoise = [1, 7, 8, 9, 10, 11];
  const hare = [2, 3, 4, 5, 6, 12];
  const th = mannWhitneyU(tortoise, hare);
  assert.equal(th.uA, 25);
  assert.equal(th.uB, 11);
  close(th.pValue, 0.2979530616081678, 1e-6, "p (scipy asymptotic)");
  assert.equal(mannWhitneyU(hare, tortoise).pValue, th.pValue, "symmetric");

  const a = [1.1, 2.2, 2.2, 3.3, 3.3, 3.3, 4.4, 5.5, 6.6, 7.7];
  const b = [3.3, 4.4, 4.4, 5.5, 6.6, 7.7, 7.7, 8.8, 9.9, 9.9, 10.0];
  const s = mannWhitneyU(a, b);
  assert.equal(s.uA, 17.5);
  close(s.pValue, 0.008683395852230817, 1e-6, "p (scipy)");
  assert.ok(s.z > 0, "B tends to be larger");

  const equal = mannWhitneyU([3, 3, 3], [3, 3]);
  assert.equal(equal.pValue, 1);
  assert.equal(equal.probBGreater, 0.5);
});

test("erfc and the normal CDF", () => {
  close(erfc(1), 0.15729920705028516, 2e-8, "erfc(1)");
  close(erfc(0.5), 0.4795001221869535, 6e-8, "erfc(0.5)");
  close(erfc(2.5), 0.00040695201744495886, 5e-11, "erfc(2.5)");
  close(erfc(-1), 2 - 0.15729920705028516, 2e-8, "erfc(-1)");
  close(normalCdf(1.96), 0.9750021048517795, 1e-7, "Phi(1.96)");
  close(normalCdf(0), 0.5, 1e-7, "Phi(0)");
});

test("gamma and beta variates have their means", () => {
  const rnd = seededRandom(3);
  const draws = 40_000;
  let g = 0;
  let gSmall = 0;
  let b = 0;
  for (let i = 0; i < draws; i++) {
    g += rnd.gamma(3.5);
    gSmall += rnd.gamma(0.4);
    b += rnd.beta(2, 5);
  }
  close(g / draws, 3.5, 0.05, "Gamma(3.5) mean");
  close(gSmall / draws, 0.4, 0.02, "Gamma(0.4) mean");
  close(b / draws, 2 / 7, 0.005, "Beta(2, 5) mean");
});

test("instability warnings: wide spread, drift between halves, none for a stable run", () => {
  const stable = normalSample(400, 1, 0.02, 21);
  assert.deepEqual(summarize(stable, 1).warnings, []);

  const wide = normalSample(400, 1, 0.3, 22);
  const w = summarize(wide, 1);
  assert.equal(w.warnings.length, 1);
  assert.match(
    w.warnings[0]!,
    /^spread: the 16-84 % band is ±\d+\.\d % of the median \(robust CV > 10\.0 %\)$/,
  );

  const drifting = Float64Array.from(stable, (v, i) => (i < 200 ? v : 1.1 * v));
  const d = summarize(drifting, 1);
  assert.ok(d.drift && d.drift.relative > 0.08 && d.drift.relative < 0.12, JSON.stringify(d.drift));
  assert.equal(d.warnings.length, 1);
  assert.match(d.warnings[0]!, /^drift: the median of the second half of the calls is \d+\.\d % above/);

  assert.equal(summarize([1, 2, 3], 1).drift, null, "too few calls for halves");
});

test("verdicts: slower and faster beyond the noise threshold, same within it or without evidence", () => {
  const a = normalSample(1000, 10, 0.5, 31);
  const slower = compareSamples(a, normalSample(1000, 11, 0.5, 32), 0.05);
  assert.equal(slower.verdict, "slower");
  assert.ok(slower.ratio.ratio > 1.05 && slower.ratio.low > 1);
  assert.ok(slower.mannWhitney.pValue < 1e-10 && slower.mannWhitney.probBGreater > 0.8);
  assert.equal(compareSamples(a, normalSample(1000, 9, 0.5, 33), 0.05).verdict, "faster");
  // 2 % slower and clearly significant, but within the 5 % noise threshold
  const small = compareSamples(a, normalSample(1000, 10.2, 0.5, 34), 0.05);
  assert.equal(small.verdict, "same");
  assert.ok(small.mannWhitney.pValue < 0.05);
  assert.equal(compareSamples(a, normalSample(1000, 10.2, 0.5, 34), 0.01).verdict, "slower");
  // 20 % apart on 3 calls each: no evidence
  assert.equal(compareSamples([10, 12, 9], [12, 11, 13], 0.05).verdict, "same");
});
