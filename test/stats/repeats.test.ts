/**
 * Statistics across processes: the interval of a measurement's median and of a ratio of two cover at their
 * nominal level on synthetic data with known between- and within-process variance; verdicts rest on
 * processes, or say that they ignore process-to-process variance; the scheduler interleaves repeats.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { interleave } from "../../src/framework/scheduler.js";
import { Task } from "../../src/framework/task.js";
import { compareProcesses } from "../../src/stats/compare.js";
import { seededRandom } from "../../src/stats/random.js";
import {
  compareRepeatMedians,
  repeatStats,
  PROCESS_SPREAD_WARNING,
  repeatWarnings,
} from "../../src/stats/repeats.js";
import { studentCdf, studentQuantile } from "../../src/stats/student.js";
import { summarize } from "../../src/stats/summary.js";

/**
 * Synthetic processes: each has its own level (log-normal between-process effect σb, the process-to-process
 * variance) and per-call noise (log-normal σw) plus rare slow calls (interrupts); the true median is
 * exp(mu).
 */
function processes(
  rnd: ReturnType<typeof seededRandom>,
  n: number,
  mu: number,
  sb: number,
  sw = 0.1,
  calls = 200,
) {
  return Array.from({ length: n }, () => {
    const b = sb * rnd.normal();
    return Float64Array.from(
      { length: calls },
      () => Math.exp(mu + b + sw * rnd.normal()) + (rnd.uniform() < 0.02 ? 5 : 0),
    );
  });
}

describe("intervals across processes", () => {
  test("Student's t: quantiles and CDF", () => {
    assert.ok(Math.abs(studentQuantile(0.975, 2) - 4.302653) < 1e-5);
    assert.ok(Math.abs(studentQuantile(0.975, 4) - 2.776445) < 1e-5);
    assert.ok(Math.abs(studentQuantile(0.025, 1) + 12.706205) < 1e-5);
    assert.ok(Math.abs(studentCdf(-1, 10) - 0.1704466) < 1e-6);
  });

  for (const [repeats, between] of [
    [3, 0.04],
    [5, 0.04],
    [3, 0.005],
    [10, 0.1],
  ] as const) {
    test(`the 95 % interval of a median covers 93-97 % (${repeats} processes, between-process spread ${between})`, () => {
      const rnd = seededRandom(1000 + repeats);
      const trials = 2000;
      let covered = 0;
      for (let t = 0; t < trials; t++) {
        const r = repeatStats(processes(rnd, repeats, 0, between));
        if (r.interval!.low <= 1 && r.interval!.high >= 1) covered++;
      }
      const coverage = covered / trials;
      assert.ok(coverage >= 0.93 && coverage <= 0.97, `coverage ${coverage}`);
    });
  }

  test("the 95 % interval of a ratio covers 93-97 % (5 processes per side)", () => {
    const rnd = seededRandom(7);
    const trials = 2000;
    let covered = 0;
    for (let t = 0; t < trials; t++) {
      const a = repeatStats(processes(rnd, 5, 0, 0.04)).medians;
      const b = repeatStats(processes(rnd, 5, Math.log(1.3), 0.04)).medians;
      const c = compareRepeatMedians(a, b);
      if (c.low <= 1.3 && c.high >= 1.3) covered++;
    }
    const coverage = covered / trials;
    assert.ok(coverage >= 0.93 && coverage <= 0.97, `coverage ${coverage}`);
  });

  test("the between-process spread beside the within-process one, and the warnings", () => {
    const rnd = seededRandom(3);
    const noisy = repeatStats(processes(rnd, 5, 0, 0.1));
    assert.ok(noisy.betweenCv! > noisy.withinCv, `${noisy.betweenCv} vs ${noisy.withinCv}`);
    assert.match(
      repeatWarnings(noisy, undefined).join("\n"),
      /processes differ: the medians of the 5 processes spread by/,
    );
    // processes a little apart (1 %), beyond their within-process precision but below the 3 % a quiet machine
    // stays under: no warning (the interval carries the spread)
    const close = repeatStats(processes(rnd, 5, 0, 0.01));
    assert.ok(close.betweenCv! > close.withinCv && close.betweenCv! < PROCESS_SPREAD_WARNING);
    assert.deepEqual(repeatWarnings(close, undefined), []);
    // without process-to-process variance the warning comes by chance only (a 95 % bound): about 5 %
    let warned = 0;
    for (let t = 0; t < 400; t++)
      if (repeatWarnings(repeatStats(processes(rnd, 5, 0, 0)), true).length) warned++;
    assert.ok(warned / 400 < 0.1, `false warnings ${warned} of 400`);
    const quiet = repeatStats(processes(rnd, 5, 0, 0));
    const single = repeatStats(processes(rnd, 1, 0, 0.05));
    assert.equal(single.interval, null);
    assert.match(
      repeatWarnings(single, undefined)[0]!,
      /one process: its interval ignores process-to-process variance/,
    );
    assert.ok(repeatWarnings(quiet, false).some((w) => /not stable/.test(w)));
  });
});

describe("verdicts", () => {
  test("with processes on both sides the verdict rests on them; a large within-process p-value gap does not decide", () => {
    const rnd = seededRandom(11);
    // equal levels: the calls of a few processes differ by chance (Mann-Whitney on pooled calls is tiny),
    // but across processes nothing is established
    const a = processes(rnd, 3, 0, 0.05, 0.01, 2000);
    const b = processes(rnd, 3, 0, 0.05, 0.01, 2000);
    const c = compareProcesses(a, b, 0.05);
    assert.equal(c.basis, "processes");
    assert.ok(c.processes!.df > 1);
    if (Math.abs(c.ratio.ratio - 1) < 0.05) assert.equal(c.verdict, "same");
    const slower = compareProcesses(a, processes(rnd, 3, Math.log(1.5), 0.02, 0.01, 2000), 0.05);
    assert.equal(slower.verdict, "slower");
  });

  test("with one process on a side the verdict rests on the calls", () => {
    const rnd = seededRandom(12);
    const c = compareProcesses(processes(rnd, 1, 0, 0), processes(rnd, 1, Math.log(1.5), 0), 0.05);
    assert.equal(c.basis, "calls");
    assert.equal(c.verdict, "slower");
  });
});

describe("summaries", () => {
  test("p90, p95, p99 and p99.9 from the calls LoadGen's binomial rule gives them", () => {
    const small = summarize(
      Float64Array.from({ length: 6642 }, (_, i) => i + 1),
      1,
    );
    assert.equal(small.p999, null);
    assert.ok(Math.abs(small.p95! - 6309.95) < 1e-6);
    const large = summarize(
      Float64Array.from({ length: 6643 }, (_, i) => i),
      1,
    );
    assert.ok(Math.abs(large.p999! - 6635.358) < 1e-6);
    // p90, p95 and p99 from 64, 130 and 662 calls on
    const tails = (n: number) =>
      summarize(
        Float64Array.from({ length: n }, (_, i) => i),
        1,
      );
    assert.deepEqual([tails(63).p90, tails(129).p95, tails(661).p99], [null, null, null]);
    assert.ok(tails(64).p90! > 0 && tails(130).p95! > 0 && tails(662).p99! > 0);
  });
});

class FakeRepeat extends Task {
  readonly family = "FakeRepeat";
  constructor(
    readonly side: string,
    readonly batchSize: number,
    readonly repeat: number,
  ) {
    super();
  }
  requires(): Task[] {
    return [];
  }
  outputs(): string[] {
    return [`/nonexistent/${this.side}/${this.batchSize}/${this.repeat}`];
  }
  async run(): Promise<void> {}
  reprParams(): Record<string, unknown> {
    return {};
  }
  override interleaving() {
    return { round: this.repeat, order: this.batchSize };
  }
}

test("repeats run interleaved: round by round, sides alternating within a batch size, direction alternating", () => {
  const tasks = ["A", "B"].flatMap((side) =>
    [1, 8].flatMap((bs) => [1, 2, 3].map((r) => new FakeRepeat(side, bs, r))),
  );
  const order = interleave(tasks).map((t) => {
    const f = t as FakeRepeat;
    return `${f.side}${f.batchSize}.${f.repeat}`;
  });
  assert.deepEqual(order, [
    "A1.1",
    "B1.1",
    "A8.1",
    "B8.1",
    "B8.2",
    "A8.2",
    "B1.2",
    "A1.2",
    "A1.3",
    "B1.3",
    "A8.3",
    "B8.3",
  ]);
});
