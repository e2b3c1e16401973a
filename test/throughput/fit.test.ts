/** The throughput fit on synthetic timestamps: a known rate and standard error, the steady window, the latencies. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { analyseCalls, linearFit, parseCalls, type CallStamp } from "../../src/throughput/fit.js";

test("the line fit gives the slope and scipy's standard error of a hand-computed example", () => {
  // x̄ = 2, ȳ = 2.5, Sxx = 10, Sxy = 7: slope 0.7, intercept 1.1; residuals −0.1, 0.2, −0.2, 0.1: SSR 0.1
  const fit = linearFit([0, 1, 3, 4], [1, 2, 3, 4]);
  assert.ok(Math.abs(fit.slope - 0.7) < 1e-12);
  assert.ok(Math.abs(fit.intercept - 1.1) < 1e-12);
  assert.ok(Math.abs(fit.slopeStdError - Math.sqrt(0.1 / 2 / 10)) < 1e-12);
  assert.equal(fit.points, 4);
});

/** S streams, each completing a call every `periodNs` from its own phase, for `windowNs`. */
function evenCalls(streams: number, periodNs: number, durationNs: number, windowNs: number): CallStamp[] {
  const calls: CallStamp[] = [];
  for (let k = 0; k < streams; k++)
    for (let end = durationNs + (k * periodNs) / streams; end <= windowNs; end += periodNs)
      calls.push({ stream: k, startNs: end - durationNs, endNs: end });
  return calls;
}

test("4 streams of 250 calls/s each give 1000 calls/s, 8000 events/s at batch size 8, with a negligible error", () => {
  const calls = evenCalls(4, 4e6, 3e6, 10e9);
  const a = analyseCalls(calls, 10e9, 8, 4, "synthetic");
  assert.ok(Math.abs(a.callsPerSecond - 1000) < 0.01, `calls/s ${a.callsPerSecond}`);
  assert.ok(Math.abs(a.eventsPerSecond - 8000) < 0.1, `events/s ${a.eventsPerSecond}`);
  assert.ok(a.eventsPerSecondStdError < 0.01, `standard error ${a.eventsPerSecondStdError}`);
  // the steady part: the window without 10 % at each end, 8 s of 1000 calls/s, evenly over the streams
  assert.equal(a.steady.startNs, 1e9);
  assert.equal(a.steady.endNs, 9e9);
  assert.ok(Math.abs(a.steady.calls - 8000) <= 1, `steady calls ${a.steady.calls}`);
  assert.deepEqual(
    a.callsPerStream.map((n) => Math.round(n / 100)),
    [20, 20, 20, 20],
  );
  assert.equal(a.latencyMs.p50, 3);
  assert.equal(a.latencyMs.p99, 3);
});

test("the rate and the latency percentiles come from the calls completed in the steady part", () => {
  // the first 0.6 s complete nothing (a stall), then 500 calls/s; the durations cycle 1, 2, ..., 10 ms
  const calls: CallStamp[] = [];
  let n = 0;
  for (let end = 0.6e9; end <= 10e9; end += 2e6, n++) {
    const d = ((n % 10) + 1) * 1e6;
    calls.push({ stream: n % 2, startNs: end - d, endNs: end });
  }
  const a = analyseCalls(calls, 10e9, 1, 2, "synthetic");
  assert.ok(Math.abs(a.callsPerSecond - 500) < 0.01, `calls/s ${a.callsPerSecond}`);
  // durations 1 … 10 ms equally often: the median lies between 5 and 6, the 90th percentile between 9 and 10
  assert.ok(a.latencyMs.p50 >= 5 && a.latencyMs.p50 <= 6, `p50 ${a.latencyMs.p50}`);
  assert.ok(a.latencyMs.p90 >= 9 && a.latencyMs.p90 <= 10, `p90 ${a.latencyMs.p90}`);
  assert.equal(a.latencyMs.p99, 10);
  assert.ok(Math.abs(a.latencyMs.mean - 5.5) < 0.01, `mean ${a.latencyMs.mean}`);
});

test("jittered completions give the rate within a few standard errors, and the error is the fit's", () => {
  // 2000 calls/s with ±0.2 ms uniform jitter (a fixed sequence): the fitted rate lies within 4 errors of 2000
  const calls: CallStamp[] = [];
  let s = 12345;
  const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0), s / 2 ** 32);
  for (let i = 0; i < 20000; i++) {
    const end = (i + 0.5) * 0.5e6 + (rnd() - 0.5) * 0.4e6;
    calls.push({ stream: i % 2, startNs: end - 0.4e6, endNs: end });
  }
  const a = analyseCalls(calls, 10e9, 1, 2, "synthetic");
  const steady = calls.filter((c) => c.endNs >= 1e9 && c.endNs <= 9e9).sort((x, y) => x.endNs - y.endNs);
  const fit = linearFit(
    steady.map((c) => c.endNs / 1e9),
    steady.map((_, i) => i + 1),
  );
  assert.equal(a.eventsPerSecondStdError, fit.slopeStdError);
  assert.ok(a.eventsPerSecondStdError > 0);
  assert.ok(Math.abs(a.eventsPerSecond - 2000) < 4 * a.eventsPerSecondStdError + 0.5, `${a.eventsPerSecond}`);
});

test("too few calls in the steady part is an error naming the point", () => {
  const calls = [{ stream: 0, startNs: 0, endNs: 5e9 }];
  assert.throws(
    () => analyseCalls(calls, 10e9, 1, 1, "m.yaml at batch size 1 with 1 streams"),
    /^MlprofError: m\.yaml at batch size 1 with 1 streams: 1 calls completed in the steady part of the 10\.000 s window, a throughput fit needs at least 3$/,
  );
});

test("a calls file line that is not stream,start_ns,end_ns is an error naming the file and the line", () => {
  assert.deepEqual(parseCalls("0,1,2\n1,3,5\n", "calls.csv", 2), [
    { stream: 0, startNs: 1, endNs: 2 },
    { stream: 1, startNs: 3, endNs: 5 },
  ]);
  assert.throws(
    () => parseCalls("0,1,2\n2,3,5\n", "calls.csv", 2),
    /calls\.csv line 2: expected 'stream,start_ns,end_ns' with a stream below 2 and end >= start, found '2,3,5'/,
  );
});
