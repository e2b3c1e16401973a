/**
 * --until-stable through the tasks: windows until the last three medians agree, recorded per process; a
 * measurement that never stabilises is reported as such in the summary table, the plot's legend and the report.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { EXAMPLES, listFiles, mlprof, tempData } from "../helpers/cli.js";

const data = tempData();
after(() => data.cleanup());
const model = join(EXAMPLES, "dnn", "model_onnx_l10u128.yaml");
const args = (task: string, version: string, ...extra: string[]) => [
  "run",
  task,
  "--version",
  version,
  "--batch-sizes",
  "1,2",
  "--n-calls",
  "50",
  "--repeats",
  "2",
  "--until-stable",
  ...extra,
];

interface Record {
  repeats: { rows: number; stability: { events: { stable: boolean; windowMediansMs: number[] }[] } }[];
}

function records(version: string): Record[] {
  return listFiles(data.store)
    .filter((f) => f.startsWith("MeasureRuntime/") && f.includes(`/${version}/`) && f.endsWith(".json"))
    .map((f) => JSON.parse(readFileSync(join(data.store, f), "utf8")) as Record);
}

test("stable windows: three windows of n-calls per event and process are the timed calls", async () => {
  const res = await mlprof(
    [...args("MergeRuntimes", "reached", "--stability", "0.5"), "--model-file", model],
    data.env,
  );
  assert.equal(res.code, 0, res.stderr);
  assert.doesNotMatch(res.stdout, /not stable/);
  const recs = records("reached");
  assert.equal(recs.length, 2);
  for (const r of recs) {
    for (const p of r.repeats) {
      assert.equal(p.rows, 150, "three windows of 50 calls");
      assert.equal(p.stability.events[0]!.stable, true);
    }
  }
});

test("windows that never agree: reported as not stable in the table, the plot and the report", async () => {
  // a model of ~0.15 ms per call: three window medians equal to the nanosecond are then (practically)
  // impossible, which a DNN of ~15 µs, whose call times repeat to the nanosecond, does not rule out
  const cnn = join(EXAMPLES, "cnn", "model_onnx_i32c1v3l10u128.yaml");
  const unreachable = ["--stability", "0.000001", "--max-duration", "0.1"];
  const plot = await mlprof(
    [...args("PlotRuntimes", "never", ...unreachable), "--model-file", cnn, "--model-label", "CNN"],
    data.env,
  );
  assert.equal(plot.code, 0, plot.stderr);
  assert.match(plot.stdout, /CNN \(not stable\)\s+1\s/, "the summary table marks the row");
  assert.match(
    plot.stdout,
    /batch size 1: not stable: the windows of some event never agreed within --stability/,
  );
  const html = plot.stdout
    .split("\n")
    .map((l) => l.trim())
    .find((l) => l.endsWith(".html"))!;
  assert.match(
    readFileSync(html, "utf8"),
    /CNN \(not stable at batch size 1, 2; hollow: invalid at batch size 1, 2\)/,
    "the legend says so",
  );
  for (const r of records("never")) {
    for (const p of r.repeats) {
      const e = p.stability.events[0]!;
      assert.equal(e.stable, false);
      assert.ok(e.windowMediansMs.length >= 3);
    }
  }
  const report = await mlprof(
    [...args("Report", "never", ...unreachable), "--model-files", cnn, "--model-labels", "CNN"],
    data.env,
  );
  assert.equal(report.code, 0, report.stderr);
  const page = readFileSync(
    report.stdout
      .split("\n")
      .map((l) => l.trim())
      .find((l) => l.startsWith("/") && l.endsWith(".html"))!,
    "utf8",
  );
  assert.ok(/CNN \(not stable\)/.test(page), "the report's table says so");
});
