/**
 * Plot tasks and their plot-only options: a complete plot asked for with other options (not part of its
 * path) is rendered again and says what changed; unchanged, it stays complete. A --view-cmd that cannot
 * run is an error. Legend notes: stitched tfaot batch sizes and unstable measurements.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { splitSample } from "../../src/report/summaries.js";
import type { SummaryEntry } from "../../src/report/text.js";
import { unstableNote } from "../../src/tasks/plot.js";
import type { PartialRecord } from "../../src/record/measurement.js";
import { EXAMPLES, mlprof, tempData } from "../helpers/cli.js";
import { ensureBuilt } from "../helpers/software.js";

const data = tempData();
after(() => data.cleanup());
before(() => ensureBuilt());
const model = join(EXAMPLES, "dnn", "model_onnx_l10u128.yaml");
const plot = (...extra: string[]) =>
  mlprof(
    [
      "run",
      "PlotRuntimes",
      "--version",
      "opts",
      "--model-file",
      model,
      "--batch-sizes",
      "1,2",
      "--n-calls",
      "20",
      "--repeats",
      "1",
      ...extra,
    ],
    data.env,
  );
const htmlOf = (stdout: string) =>
  stdout
    .split("\n")
    .map((l) => l.trim())
    .find((l) => l.startsWith("/") && l.endsWith(".html"))!;

test("a complete plot asked for with other plot options is rendered again, and says what changed", async () => {
  const first = await plot();
  assert.equal(first.code, 0, first.stderr);
  const html = htmlOf(first.stdout);
  assert.match(readFileSync(html, "utf8"), /"yLog":false/);

  const same = await plot();
  assert.match(same.stdout, /PlotRuntimes is already complete/);

  const logY = await plot("--y-log", "True", "--top-right-label", "13.6 TeV");
  assert.equal(logY.code, 0, logY.stderr);
  assert.match(
    logY.stdout,
    /rendering the plot again: --y-log True \(was False\), --top-right-label 13\.6 TeV \(was \(none\)\)|rendering the plot again: --y-log True \(was False\), --top-right-label 13\.6 TeV \(was \)/,
  );
  assert.doesNotMatch(logY.stdout, /MeasureRepeat|MergeRuntimes .*✔/, "the measurements are not run again");
  assert.equal(htmlOf(logY.stdout), html, "the same output path");
  assert.match(readFileSync(html, "utf8"), /"yLog":true/);
  assert.match(readFileSync(html, "utf8"), /<h1>Runtime of ONNX 10x128<\/h1>/, "the page has a heading");
  assert.match(readFileSync(html, "utf8"), /<dt>engines<\/dt><dd>onnxruntime 1\.\d+\.\d+<\/dd>/);
});

test("a --view-cmd that cannot run is an error naming it, before anything runs", async () => {
  const res = await plot("--view-cmd", "no-such-viewer-xyz");
  assert.equal(res.code, 1);
  assert.match(
    res.stderr,
    /--view-cmd: expected a command that exists, found 'no-such-viewer-xyz' \(not on PATH\)/,
  );
});

test("legend notes: tfaot batch sizes stitched from compiled ones, measurements that never stabilised", () => {
  const stitchedRecord = (chunks: number[], padding = 0) =>
    ({
      model: { engine: "tfaot" },
      process: { preparation: { batchRule: { target: 3, chunks, padding, source: "default" } } },
    }) as unknown as PartialRecord;
  const calls = Float64Array.from([1, 1, 1]);
  assert.equal(splitSample(calls, stitchedRecord([2])).stitched, false);
  assert.equal(splitSample(calls, stitchedRecord([2, 1])).stitched, true);
  assert.equal(splitSample(calls, stitchedRecord([4], 1)).stitched, true, "padded");
  assert.equal(splitSample(calls, undefined).stitched, undefined, "not tfaot");
  const entry = (batchSize: number, more: Partial<SummaryEntry>) => ({ batchSize, ...more }) as SummaryEntry;
  assert.equal(
    unstableNote([entry(1, { stitched: false }), entry(3, { stitched: true })]),
    " (stitched at 3)",
  );
  assert.equal(
    unstableNote([1, 3, 5, 6, 7, 9].map((b) => entry(b, { stitched: b > 1 }))),
    " (5 of 6 batch sizes stitched)",
  );
  assert.equal(
    unstableNote([entry(1, { stable: false }), entry(2, { stitched: true })]),
    " (not stable at batch size 1; stitched at 2)",
  );
});
