/** The validity rules of a point (src/stats/validity.ts) on given calls and competition records. */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { CompetitionRecord } from "../../src/measure/competition.js";
import { MIN_CALLS, maxPreemptedShare, minCallsFor, validityOf } from "../../src/stats/validity.js";

/** A process of n calls of 0.1 ms. */
const calls = (n: number) => new Float64Array(n).fill(0.1);

/** A competition record of a 20 ms window with the given counters. */
const competition = (over: Partial<CompetitionRecord> = {}): CompetitionRecord => ({
  windowMs: 20,
  runQueueWaitMs: 0,
  involuntarySwitches: 0,
  stealMs: 0,
  minorFaults: 0,
  majorFaults: 0,
  hostCpus: 2,
  source: "test",
  ...over,
});

test("LoadGen's binomial rule: 64 calls for p90 and 662 for p99 (its published minimums), 39 for p16/p84", () => {
  assert.deepEqual([0.9, 0.99, 0.999, 0.16, 0.84, 0.5].map(minCallsFor), [64, 662, 6643, 39, 39, 10]);
  assert.equal(MIN_CALLS, 39);
});

test("a point of enough calls, long enough, without competition is valid", () => {
  assert.deepEqual(
    validityOf({ processes: [calls(200), calls(200)], competition: [competition(), competition()] }),
    {
      valid: true,
      reasons: [],
    },
  );
});

test("preempted calls beyond 0.5/sqrt(n) make a point invalid; the wait for a CPU alone does not", () => {
  assert.ok(Math.abs(maxPreemptedShare(100) - 0.05) < 1e-12);
  const waitedOnly = validityOf({
    processes: [calls(200)],
    competition: [competition({ runQueueWaitMs: 10 })],
  });
  assert.equal(waitedOnly.valid, true, "half the window waited, no call preempted");
  const preempted = validityOf({
    processes: [calls(100), calls(100)],
    competition: [
      competition({ involuntarySwitches: 5 }),
      competition({ involuntarySwitches: 6, runQueueWaitMs: 3 }),
    ],
  });
  assert.deepEqual(preempted, {
    valid: false,
    reasons: [
      "competition: process 2: 6 involuntary context switches in 100 timed calls (6.0 % of the calls preempted, > 0.5 / √100 = 5.0 %; waited 15.0 % of the time for a CPU)",
    ],
  });
});

test("steal above 2 % of the host's CPU time, windows never stable: invalid", () => {
  const v = validityOf({
    processes: [calls(200)],
    stable: false,
    competition: [competition({ stealMs: 10 })],
  });
  assert.deepEqual(v.reasons, [
    "not stable: the windows of some event never agreed within --stability",
    "steal: 25.0 % of the host's CPU time was stolen during the timed calls (> 2.0 %)",
  ]);
  assert.equal(v.valid, false);
});

test("no competition recorded: unknown when the other rules pass, invalid when one fails", () => {
  assert.deepEqual(validityOf({ processes: [calls(200)], competition: [undefined] }), {
    valid: null,
    reasons: [
      "validity unknown: no competition for the CPU recorded (a record of MLProf before it measured it)",
    ],
  });
  const few = validityOf({ processes: [calls(5)], competition: [undefined] });
  assert.equal(few.valid, false);
  assert.deepEqual(few.reasons, [
    "too few calls: 5, p16 needs at least 39 (LoadGen's binomial rule); raise --n-calls, --n-events or --repeats",
    "too short: 0.50 ms of timed calls, at least 1 ms per process; raise --n-calls or set --min-duration",
  ]);
});
