import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { braceExpand, splitCsvExpand } from "../../src/util/brace.js";
import { bandStats, quantileSorted } from "../../src/stats/stats.js";
import { seriesFromCsv } from "../../src/report/summaries.js";
import { readRuntimeCsv } from "../../src/measure/csv.js";
import { makeInputData, type InputArray } from "../../src/measure/inputs.js";
import { parseRemoveSpec } from "../../src/framework/interactive.js";
import { convertParam, parseBool } from "../../src/framework/parameters.js";
import { BATCH_SIZES, PLOT_PARAMS } from "../../src/tasks/params.js";
import type { InputSpec } from "../../src/model/spec.js";

test("brace expansion follows bash", () => {
  assert.deepEqual(braceExpand("examples/dnn/model_{tf,onnx}_l10u128.yaml"), [
    "examples/dnn/model_tf_l10u128.yaml",
    "examples/dnn/model_onnx_l10u128.yaml",
  ]);
  assert.deepEqual(braceExpand("CMSSW_13_{3_1,2_4}"), ["CMSSW_13_3_1", "CMSSW_13_2_4"]);
  assert.deepEqual(braceExpand("a{b,c{d,e}}f"), ["abf", "acdf", "acef"]);
  assert.deepEqual(braceExpand("{a,b}{1,2}"), ["a1", "a2", "b1", "b2"]);
  assert.deepEqual(braceExpand("plain"), ["plain"]);
  assert.deepEqual(braceExpand("x{y}z"), ["x{y}z"]);
  assert.deepEqual(braceExpand("open{a,b"), ["open{a,b"]);
  assert.deepEqual(splitCsvExpand("m_{a,b}.yaml, n.yaml,,"), ["m_a.yaml", "m_b.yaml", "n.yaml"]);
});

test("quantiles interpolate linearly between ranks (numpy's default)", () => {
  const sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  // h = (n - 1) q: q=0.16 → h=1.44 → 2 + 0.44 = 2.44; q=0.84 → h=7.56 → 8.56; median → 5.5
  assert.equal(quantileSorted(sorted, 0.5), 5.5);
  assert.ok(Math.abs(quantileSorted(sorted, 0.16) - 2.44) < 1e-12);
  assert.ok(Math.abs(quantileSorted(sorted, 0.84) - 8.56) < 1e-12);
  assert.equal(quantileSorted([7], 0.3), 7);
  const s = bandStats([10, 1, 4, 3, 2]); // sorted 1 2 3 4 10
  assert.equal(s.n, 5);
  assert.equal(s.median, 3);
  assert.ok(Math.abs(s.p16 - 1.64) < 1e-12); // h = 0.64
  assert.ok(Math.abs(s.p84 - 6.16) < 1e-12); // h = 3.36 → 4 + 0.36 * 6
  assert.throws(() => quantileSorted([], 0.5));
});

test("plotted statistics equal hand-computed values, with and without batch-size normalisation", () => {
  const dir = mkdtempSync(join(tmpdir(), "mlprof-units-"));
  const csv = join(dir, "runtimes_bs_1_4.csv");
  // batch size 1: 1..5 ms; batch size 4: 4, 8, 12, 16, 20 ms
  const rows = [1, 2, 3, 4, 5].map((v) => `1,${v}`).concat([4, 8, 12, 16, 20].map((v) => `4,${v}`));
  // a comment line, as CSVs of earlier MLProf versions began with, is skipped
  writeFileSync(csv, "# engine: test\n" + rows.join("\n") + "\n");
  const raw = seriesFromCsv(csv, "m", [1, 4], false);
  assert.deepEqual(raw.batchSizes, [1, 4]);
  assert.deepEqual(raw.median, [3, 12]);
  // 16 %: h = 0.64 → 1.64 and 4 + 0.64 * 4 = 6.56; 84 %: h = 3.36 → 4.36 and 16 + 0.36 * 4 = 17.44
  assert.ok(Math.abs(raw.low[0]! - 1.64) < 1e-9 && Math.abs(raw.low[1]! - 6.56) < 1e-9);
  assert.ok(Math.abs(raw.high[0]! - 4.36) < 1e-9 && Math.abs(raw.high[1]! - 17.44) < 1e-9);
  const norm = seriesFromCsv(csv, "m", [1, 4], true);
  assert.deepEqual(norm.median, [3, 3]);
  assert.ok(Math.abs(norm.low[1]! - 1.64) < 1e-9 && Math.abs(norm.high[1]! - 4.36) < 1e-9);
  assert.throws(() => seriesFromCsv(csv, "m", [1, 8], true), /no rows for batch size 8/);
  assert.equal(readRuntimeCsv(csv).rows.length, 10);
});

test("a malformed runtime CSV is reported with its line", () => {
  const dir = mkdtempSync(join(tmpdir(), "mlprof-units-"));
  const csv = join(dir, "bad.csv");
  writeFileSync(csv, "# a: b\n1,0.5\n1,abc\n");
  assert.throws(() => readRuntimeCsv(csv), /bad\.csv, line 3: expected 'batch_size,runtime_ms'/);
});

/** Input values as plain numbers, whatever the typed array. */
const nums = (a: InputArray): number[] => Array.from(a as ArrayLike<number | bigint>, Number);

test("inputs: zeros, ones, incremental, constants and per-event random draws", () => {
  const f: InputSpec = { name: "x", shape: [3], dtype: "float32", batched: true };
  assert.deepEqual(nums(makeInputData(f, 2, "ones", 1)), [1, 1, 1, 1, 1, 1]);
  assert.deepEqual(nums(makeInputData(f, 1, "zeros", 1)), [0, 0, 0]);
  assert.deepEqual(nums(makeInputData(f, 2, "incremental", 1)), [0, 1, 2, 3, 4, 5]);
  const a = makeInputData(f, 100, "random", 1);
  const b = makeInputData(f, 100, "random", 2);
  assert.notDeepEqual(nums(a), nums(b));
  assert.deepEqual(nums(a), nums(makeInputData(f, 100, "random", 1)));
  const mean = nums(a).reduce((x, y) => x + y, 0) / a.length;
  assert.ok(Math.abs(mean) < 0.2, `standard normal mean ${mean}`);
  const i64: InputSpec = { name: "ids", shape: [4], dtype: "int64", batched: true, range: [2, 5] };
  const ids = nums(makeInputData(i64, 50, "random", 3));
  assert.ok(ids.every((v) => v >= 2 && v < 5));
  const flag: InputSpec = { name: "training", shape: [], dtype: "bool", batched: false, value: true };
  assert.deepEqual(nums(makeInputData(flag, 8, "random", 1)), [1]);
});

test("parameter conversion: law-style booleans, lists and choices", () => {
  assert.equal(parseBool("y-log", "False"), false);
  assert.equal(parseBool("y-log", "True"), true);
  assert.equal(parseBool("y-log", ""), true);
  assert.throws(() => parseBool("y-log", "maybe"), /--y-log: expected True or False, found 'maybe'/);
  assert.deepEqual(convertParam(BATCH_SIZES, "1, 2,4"), [1, 2, 4]);
  assert.throws(() => convertParam(BATCH_SIZES, "1,x"), /--batch-sizes: expected an integer, found 'x'/);
  const style = PLOT_PARAMS.errorStyle;
  assert.throws(() => convertParam(style, "dots"), /expected one of band, bars, found 'dots'/);
  assert.deepEqual(parseRemoveSpec("0,a,y"), { depth: 0, mode: "a", runAfter: true });
  assert.deepEqual(parseRemoveSpec("2"), { depth: 2, mode: undefined, runAfter: false });
  assert.throws(() => parseRemoveSpec("-1,a"), /depth -1 is not allowed/);
  assert.throws(() => parseRemoveSpec("0,x"), /expected 'depth\[,a\|i\|d\]\[,y\]'/);
});
