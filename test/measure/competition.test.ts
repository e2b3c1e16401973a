/**
 * Competition measured in the measurement process (issue 20 §3) and the validity verdict of each merged
 * point (§5), on real ONNX measurements: a busy loop pinned to the measurement's CPU is recorded as wait and
 * warned about and makes the point invalid; too few calls and too short windows make it invalid; an idle CPU
 * records near-zero wait; records without competition (older MLProf) load as "validity unknown";
 * CompareRuntimes gives no verdict on invalid points; invalid points are drawn hollow.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { buildRuntimeFigure } from "../../src/plot/figure.js";
import { EXAMPLES, FIXTURES, listFiles, mlprof, tempData } from "../helpers/cli.js";
import { busyLoop, lastCpu } from "../helpers/hog.js";
import { ensureBuilt, useSharedTestSoftware } from "../helpers/software.js";

useSharedTestSoftware();
ensureBuilt();
const data = tempData();
const env = { ...data.env, MLP_SOFTWARE: process.env.MLP_SOFTWARE };
after(() => data.cleanup());
const identity = join(FIXTURES, "identity.yaml");
/** A CNN of ~0.1 ms per call: a 4 ms time slice of a competitor lands inside a call, not between calls. */
const cnn = join(EXAMPLES, "cnn", "model_onnx_i32c1v3l10u128.yaml");
const cpu = lastCpu();

interface Competition {
  windowMs: number;
  runQueueWaitMs: number;
  involuntarySwitches: number;
  stealMs: number;
  minorFaults: number;
  majorFaults: number;
  hostCpus: number;
}

interface Merged {
  warnings: string[];
  statistics: { validity: { minCalls: number } };
  measurements: {
    batchSize: number;
    valid: boolean | null;
    reasons: string[];
    metadata: { repeats: { competition?: Competition }[]; process: { competition?: Competition } };
  }[];
}

/** The merged JSON of a version (its only MergeRuntimes output). */
function mergedOf(version: string): { path: string; json: Merged } {
  const file = listFiles(data.store).find(
    (f) => f.startsWith("MergeRuntimes/") && f.includes(`/${version}/`) && f.endsWith(".json"),
  )!;
  const path = join(data.store, file);
  return { path, json: JSON.parse(readFileSync(path, "utf8")) as Merged };
}

const merge = (version: string, model: string, ...extra: string[]) =>
  mlprof(
    ["run", "MergeRuntimes", "--version", version, "--model-file", model, "--batch-sizes", "1", ...extra],
    env,
  );

test("a busy loop pinned to the measurement's CPU: the wait is recorded, warned about, and the point is invalid", async () => {
  const hog = busyLoop(cpu);
  let res;
  try {
    res = await merge("hog", cnn, "--cpu-affinity", String(cpu), "--min-duration", "0.3", "--repeats", "1");
  } finally {
    hog.kill("SIGKILL");
  }
  assert.equal(res.code, 0, res.stderr);
  const { json } = mergedOf("hog");
  const m = json.measurements[0]!;
  const c = m.metadata.process.competition!;
  assert.ok(c.windowMs >= 300, `the timed window lasted ${c.windowMs} ms`);
  assert.ok(c.runQueueWaitMs > 0.25 * c.windowMs, `waited ${c.runQueueWaitMs} ms of ${c.windowMs} ms`);
  assert.ok(c.involuntarySwitches > 10);
  // warned in the run's warnings, the summary and the merged JSON
  const warning =
    /competition: waited (\d+(\.\d+)?) ms for a CPU during (\d+) ms of timed calls \((\d+\.\d) %, \d+ involuntary context switches; > 2\.0 %\)/;
  assert.match(
    res.stdout,
    new RegExp(`warning: something competed with the timed calls .*\\(${warning.source}\\)`),
  );
  assert.match(res.stdout, new RegExp(`  batch size 1: ${warning.source}`));
  assert.ok(json.warnings.some((w) => warning.test(w)));
  assert.doesNotMatch(res.stdout, /load average/);
  // the verdict: invalid, because of the preempted calls
  assert.equal(m.valid, false);
  assert.ok(
    m.reasons.some((r) =>
      /^competition: \d+ involuntary context switches in \d+ timed calls \(\d+\.\d % of the calls preempted, > 0\.5 \/ √\d+ = \d\.\d %; waited \d+\.\d % of the time for a CPU\)$/.test(
        r,
      ),
    ),
    m.reasons.join("\n"),
  );
  // the summary table: the CPU wait column and the verdict, then why
  assert.match(res.stdout, /CPU wait {2}valid\n/);
  assert.match(res.stdout, /\s(\d+\.\d) % {2}NO\n/);
  assert.match(res.stdout, /validity of ONNX 32x1⊛3→10x128:\n {2}batch size 1 \(invalid\): competition: /);
});

test("an idle CPU records near-zero wait, and enough calls in long enough windows make a valid point", async (t) => {
  // the busy loop of the test before lingers in the 10 s average: wait up to 30 s for it to fade
  const cpuPressure = () =>
    Number(/^some avg10=(\d+\.\d+)/m.exec(readFileSync("/proc/pressure/cpu", "utf8"))?.[1] ?? 0);
  for (let waited = 0; cpuPressure() > 5 && waited < 30; waited++) await sleep(1000);
  if (cpuPressure() > 5) {
    t.skip(`the machine is busy (CPU pressure ${cpuPressure()} % over 10 s): no CPU is idle`);
    return;
  }
  const res = await merge(
    "idle",
    cnn,
    "--cpu-affinity",
    String(cpu),
    "--min-duration",
    "0.3",
    "--repeats",
    "1",
  );
  assert.equal(res.code, 0, res.stderr);
  const m = mergedOf("idle").json.measurements[0]!;
  const c = m.metadata.process.competition!;
  assert.ok(c.runQueueWaitMs < 0.02 * c.windowMs, `waited ${c.runQueueWaitMs} ms of ${c.windowMs} ms`);
  assert.deepEqual([m.valid, m.reasons], [true, []]);
  assert.match(res.stdout, / {2}yes\n/);
});

test("too few calls and too short windows: invalid, with the rule that failed", async () => {
  const res = await merge("few", identity, "--n-calls", "20", "--repeats", "1");
  assert.equal(res.code, 0, res.stderr);
  const { json } = mergedOf("few");
  const m = json.measurements[0]!;
  assert.equal(m.valid, false);
  assert.equal(
    m.reasons[0],
    "too few calls: 20, p16 needs at least 39 (LoadGen's binomial rule); raise --n-calls, --n-events or --repeats",
  );
  assert.equal(json.statistics.validity.minCalls, 39);
  // 20 calls of ~4 µs: under 1 ms of timed calls, unless a competitor preempted one of them for longer
  const timedMs = readFileSync(mergedOf("few").path.replace(/\.json$/, ".csv"), "utf8")
    .trim()
    .split("\n")
    .reduce((a, line) => a + Number(line.split(",")[1]), 0);
  const short = m.reasons.find((r) => r.startsWith("too short"));
  if (timedMs < 1) {
    assert.equal(
      short,
      `too short: ${timedMs.toFixed(2)} ms of timed calls, at least 1 ms per process; raise --n-calls or set --min-duration`,
    );
  } else {
    assert.equal(short, undefined, `${timedMs} ms of timed calls`);
  }
  assert.match(res.stdout, /batch size 1 \(invalid\): too few calls: 20, p16 needs at least 39/);
  // the competition counters are recorded even for a window of microseconds
  const c = m.metadata.process.competition!;
  assert.ok(c.windowMs > 0 && c.windowMs < 1000 && c.hostCpus > 0);

  // three processes, enough calls in total (3 x 50 = 150 >= 39), each long enough with --min-duration
  const ok = await merge("enough", identity, "--n-calls", "50", "--min-duration", "0.005");
  assert.equal(ok.code, 0, ok.stderr);
  const e = mergedOf("enough").json.measurements[0]!;
  assert.ok(!e.reasons.some((r) => /^too (few|short)/.test(r)), e.reasons.join("\n"));
  assert.equal(e.metadata.repeats.length, 3);
  assert.ok(e.metadata.repeats.every((r) => r.competition && r.competition.windowMs >= 2));
});

test("records without competition (older MLProf) load, with the validity unknown", async () => {
  const ok = await merge("old", identity, "--n-calls", "50", "--min-duration", "0.005");
  assert.equal(ok.code, 0, ok.stderr);
  const { path, json } = mergedOf("old");
  // as MLProf wrote it before: no competition, no verdict
  for (const m of json.measurements) {
    delete (m as { valid?: unknown }).valid;
    delete (m as { reasons?: unknown }).reasons;
    delete m.metadata.process.competition;
    for (const r of m.metadata.repeats) delete r.competition;
  }
  writeFileSync(path, JSON.stringify(json));
  const plot = await mlprof(
    [
      "run",
      "PlotRuntimes",
      "--version",
      "old",
      "--model-file",
      identity,
      "--batch-sizes",
      "1",
      "--n-calls",
      "50",
      "--min-duration",
      "0.005",
      "--file-types",
      "png",
    ],
    env,
  );
  assert.equal(plot.code, 0, plot.stderr);
  assert.match(plot.stdout, / {2}– {2}unknown\n/, "no CPU wait known, validity unknown");
  assert.match(
    plot.stdout,
    /batch size 1 \(unknown\): validity unknown: no competition for the CPU recorded \(a record of MLProf before it measured it\)/,
  );
});

test("CompareRuntimes gives no verdict where a side's point is invalid, and says why", async () => {
  const res = await mlprof(
    [
      "run",
      "CompareRuntimes",
      "--version",
      "cmp",
      "--versions",
      "few,few2",
      "--model-files",
      identity,
      "--batch-sizes",
      "1",
      "--n-calls",
      "20",
      "--repeats",
      "1",
      "--file-types",
      "png",
    ],
    env,
  );
  assert.equal(res.code, 0, res.stderr);
  const json = listFiles(data.store).find((f) => f.startsWith("CompareRuntimes/") && f.endsWith(".json"))!;
  const result = JSON.parse(readFileSync(join(data.store, json), "utf8")) as {
    regression: boolean;
    results: { verdict: string; noVerdict: string[] }[];
  };
  assert.equal(result.results[0]!.verdict, "no verdict");
  assert.equal(
    result.results[0]!.noVerdict[0],
    "A: too few calls: 20, p16 needs at least 39 (LoadGen's binomial rule); raise --n-calls, --n-events or --repeats",
  );
  assert.ok(result.results[0]!.noVerdict.some((r) => r.startsWith("B: too few calls: 20")));
  assert.equal(result.regression, false);
  assert.match(res.stdout, /\s1\s.*\sno verdict\n/);
  assert.match(res.stdout, /no verdict at batch size 1: A: too few calls: 20, p16 needs at least 39/);
  // the ratio plot marks the point with a marker of its own, in the legend
  const html = res.stdout
    .split("\n")
    .map((l) => l.trim())
    .find((l) => l.endsWith(".html"))!;
  assert.match(
    readFileSync(html, "utf8"),
    /"mode":"markers","x":\[1\],"y":\[[\d.]+\],"name":"no verdict \(a side is invalid\)"/,
  );
  assert.match(
    res.stdout,
    /no regression where a verdict was given \(batch size\(s\) none\): the points of the other batch sizes are invalid/,
  );
});

test("the plot draws invalid points hollow and says so in the legend", async () => {
  const series = {
    label: "m",
    batchSizes: [1, 2, 4],
    median: [1, 2, 3],
    low: [0.9, 1.9, 2.9],
    high: [1.1, 2.1, 3.1],
    valid: [true, false, null],
  };
  const figure = buildRuntimeFigure([series], {
    yLog: false,
    xLog: false,
    bsNormalized: false,
    errorStyle: "band",
  }) as {
    data: { name: string; marker?: { symbol: string | string[] } }[];
  };
  const medians = figure.data.find((d) => d.name === "m" && d.marker)!;
  assert.deepEqual(medians.marker!.symbol, ["circle", "circle-open", "circle"]);
  const allValid = buildRuntimeFigure([{ ...series, valid: [true, true, null] }], {
    yLog: false,
    xLog: false,
    bsNormalized: false,
    errorStyle: "band",
  }) as typeof figure;
  assert.equal(allValid.data.find((d) => d.name === "m" && d.marker)!.marker!.symbol, "circle");

  // end to end: the measurement of too few calls, plotted
  const plot = await mlprof(
    [
      "run",
      "PlotRuntimes",
      "--version",
      "few",
      "--model-file",
      identity,
      "--batch-sizes",
      "1",
      "--n-calls",
      "20",
      "--repeats",
      "1",
      "--file-types",
      "png",
    ],
    env,
  );
  assert.equal(plot.code, 0, plot.stderr);
  const html = plot.stdout
    .split("\n")
    .map((l) => l.trim())
    .find((l) => l.endsWith(".html"))!;
  const page = readFileSync(html, "utf8");
  assert.match(page, /trivial identity model \(hollow: invalid at batch size 1\)/);
  assert.match(page, /"symbol":\["circle-open"\]/);
});
