/**
 * The one row check (issue 13, item 4): rows = repeats x n_events x n_calls (x 3 windows with
 * --until-stable, at least that with --min-duration), the batch size column right, every runtime positive
 * and finite, the rows of each process in the JSON beside it consistent with the CSV; a wrong file is named
 * with its line or field.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import type { RunSettings } from "../../src/measure/run.js";
import { expectedRows, requireStoredRows, runtimeCsvProblem } from "../../src/record/rows.js";
import { splitSample, summarizeSample } from "../../src/report/summaries.js";
import { measurementRecord } from "./records.js";

const dir = mkdtempSync(join(tmpdir(), "mlprof-rows-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const run = (over: Partial<RunSettings> = {}): RunSettings => ({
  inputData: "random",
  nEvents: 2,
  nCalls: 5,
  nWarmup: 0,
  threads: 1,
  interOpThreads: 1,
  warmupSeconds: 0,
  minDurationSeconds: 0,
  untilStable: false,
  stability: 0.02,
  maxDurationSeconds: 60,
  engineVersions: "installed",
  onnxLibrary: "pypi",
  repeats: 2,
  cpuAffinity: "",
  tfaotBatchRules: "",
  executor: "local",
  ...over,
});

let n = 0;
/** A CSV of comment lines (as earlier MLProf versions wrote them) and rows. */
function csv(comments: string[], rows: string[]): string {
  const path = join(dir, `m${n++}.csv`);
  writeFileSync(path, [...comments.map((m) => `# ${m}`), ...rows].join("\n") + "\n");
  return path;
}
const rows = (count: number, bs = 4, v = "0.25") => Array.from({ length: count }, () => `${bs},${v}`);
const problem = (path: string, r = run(), repeats = 2) =>
  runtimeCsvProblem(path, expectedRows(4, r, repeats));
/** The problem of a CSV of `count` rows against a record of processes of `perProcess` rows. */
const withRecord = (count: number, perProcess: number[], r = run(), repeats = 2) =>
  runtimeCsvProblem(csv([], rows(count)), expectedRows(4, r, repeats), {
    path: "/s/runtime_bs_4.json",
    record: measurementRecord(4, perProcess),
  });

test("a measurement of the store has repeats x n_events x n_calls rows of its batch size", () => {
  assert.equal(problem(csv([], rows(20))), undefined);
  assert.equal(problem(csv(["repeats: 2", "repeat_rows: 10,10"], rows(20))), undefined, "old comment lines");
  assert.match(
    problem(csv([], rows(9)))!,
    /truncated CSV: 9 rows, expected n_events x n_calls x repeats = 2 x 5 x 2 = 20/,
  );
  assert.match(problem(csv([], []))!, /truncated CSV: 0 rows \(the file holds no rows\)/);
  assert.match(
    problem(csv([], [...rows(12), "8,0.25", ...rows(7)]))!,
    /CSV has rows of batch size 8, expected 4 \(line 13\)/,
  );
  assert.match(
    problem(csv(["batch_size: 4"], [...rows(3), "4,0", ...rows(16)]))!,
    /CSV row 4 \(line 5\) has a runtime of 0 ms, expected a positive value/,
  );
  assert.match(problem(csv([], [...rows(3), "4,Infinity", ...rows(16)]))!, /malformed CSV: .*line 4/);
  assert.match(problem(csv([], [...rows(3), "4,-1", ...rows(16)]))!, /malformed CSV: .*line 4/);
  assert.match(
    problem(csv([], [...rows(3), "4,1e308", ...rows(16)]))!,
    /malformed CSV: .*line 4: a runtime of 1e308 ms is beyond 3600000 ms \(one hour per call\), not a measurement/,
  );
  assert.match(
    problem(csv([], ["batch_size,runtime_ms", ...rows(20)]))!,
    /malformed CSV: .*line 1: expected 'batch_size,runtime_ms' with a positive integer and a number, found 'batch_size,runtime_ms'/,
  );
  const cut = join(dir, "cut.csv");
  writeFileSync(cut, rows(19).join("\n") + "\n4,0.2");
  assert.match(problem(cut)!, /truncated CSV: its last line '4,0\.2' is cut off \(line 20\)/);
});

test("the JSON's rows of each process, the windows of --until-stable and the lower bound of --min-duration", () => {
  assert.equal(withRecord(20, [10, 10]), undefined);
  assert.equal(
    withRecord(20, [12, 8]),
    "its metadata /s/runtime_bs_4.json (repeats[].rows: 12,8) does not give 2 processes of 10 rows each, 20 in all as the CSV holds",
  );
  assert.match(withRecord(20, [10, 10, 10])!, /\(repeats\[\]\.rows: 10,10,10\) does not give 2 processes/);
  assert.match(
    withRecord(60, [10, 10], run({ untilStable: true }))!,
    /\(repeats\[\]\.rows: 10,10\) does not give 2 processes of 30 rows/,
  );
  assert.equal(withRecord(60, [30, 30], run({ untilStable: true })), undefined);
  const atLeast = run({ minDurationSeconds: 1 });
  assert.equal(withRecord(27, [12, 15], atLeast), undefined);
  assert.match(problem(csv([], rows(19)), atLeast)!, /expected at least n_events x n_calls x repeats/);
  assert.match(withRecord(27, [9, 18], atLeast)!, /processes of at least 10 rows/);
  assert.match(withRecord(28, [12, 15], atLeast)!, /12,15\) does not give .* 28 in all as the CSV holds/);
  const broken = { path: "/s/x.json", record: { repeats: 5 } };
  assert.equal(
    runtimeCsvProblem(csv([], rows(20)), expectedRows(4, run(), 2), broken),
    "its metadata /s/x.json: field repeats: expected an array, found the number 5",
  );
  assert.equal(
    runtimeCsvProblem(csv([], rows(20)), expectedRows(4, run(), 2), {
      path: "/s/x.json",
      record: { repeats: [null] },
    }),
    "its metadata /s/x.json: field repeats[0].rows: expected an integer, found nothing (the field is missing)",
  );
});

test("a wrong measurement of the store is an error naming the file, its problem and what to do", () => {
  const path = csv([], rows(9));
  const json = path.replace(/\.csv$/, ".json");
  writeFileSync(json, JSON.stringify(measurementRecord(4, [10, 10])));
  assert.throws(
    () => requireStoredRows(path, json, 4, run(), 2),
    (err: Error & { hint?: string }) =>
      err.message.startsWith(`measurement ${path} of the store is wrong: truncated CSV: 9 rows`) &&
      /--remove-output/.test(err.hint ?? ""),
  );
  const good = csv([], rows(20));
  const goodJson = good.replace(/\.csv$/, ".json");
  writeFileSync(goodJson, JSON.stringify(measurementRecord(4, [10, 10])));
  assert.equal(requireStoredRows(good, goodJson, 4, run(), 2).measurement.batchSize, 4);
  writeFileSync(goodJson, JSON.stringify(measurementRecord(8, [10, 10])));
  assert.throws(() => requireStoredRows(good, goodJson, 4, run(), 2), {
    message: `measurement metadata ${goodJson} of the store is wrong: it is of batch size 8, expected 4`,
  });
  writeFileSync(goodJson, JSON.stringify({ ...measurementRecord(4, [10, 10]), repeats: 5 }));
  assert.throws(() => requireStoredRows(good, goodJson, 4, run(), 2), {
    message: `measurement metadata ${goodJson}: field repeats: expected an array, found the number 5`,
  });
});

test("the statistics refuse non-finite and absurd runtimes, and process rows that contradict the calls", () => {
  const sample = (values: number[]) => splitSample(Float64Array.from(values), undefined);
  assert.throws(() => summarizeSample("m", 1, sample([0.5, NaN, 0.5])), {
    message:
      "m, batch size 1: call 2 has a runtime of NaN ms, expected a positive value of at most 3600000 ms",
  });
  assert.throws(() => summarizeSample("m", 2, sample([1e308, 0.5])), {
    message:
      "m, batch size 2: call 1 has a runtime of 1e+308 ms, expected a positive value of at most 3600000 ms",
  });
  assert.equal(summarizeSample("m", 1, sample([0.5, 0.7, 0.6])).summary.median, 0.6);
  assert.throws(
    () =>
      splitSample(Float64Array.from(rows(19).map(() => 0.25)), measurementRecord(4, [10, 10]), "/s/x.csv"),
    {
      message: "/s/x.csv holds 19 rows, but its metadata gives 2 processes of 10 + 10 = 20 rows",
    },
  );
  assert.deepEqual(
    splitSample(Float64Array.from(rows(20).map(() => 0.25)), measurementRecord(4, [12, 8])).repeats.map(
      (r) => r.length,
    ),
    [12, 8],
  );
});
