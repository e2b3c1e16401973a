/**
 * The one row check (issue 13, item 4): rows = repeats x n_events x n_calls (x 3 windows with
 * --until-stable, at least that with --min-duration), the batch size column right, every runtime positive
 * and finite, the repeats' row counts consistent; a wrong file is named with its line.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import type { RunSettings } from "../../src/measure/run.js";
import { expectedRows, requireStoredRows, runtimeCsvProblem } from "../../src/record/rows.js";

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
/** A CSV of metadata lines and rows. */
function csv(meta: string[], rows: string[]): string {
  const path = join(dir, `m${n++}.csv`);
  writeFileSync(path, [...meta.map((m) => `# ${m}`), ...rows].join("\n") + "\n");
  return path;
}
const rows = (count: number, bs = 4, v = "0.25") => Array.from({ length: count }, () => `${bs},${v}`);
const problem = (path: string, r = run(), repeats = 2) =>
  runtimeCsvProblem(path, expectedRows(4, r, repeats));

test("a measurement of the store has repeats x n_events x n_calls rows of its batch size", () => {
  assert.equal(problem(csv(["repeats: 2", "repeat_rows: 10,10"], rows(20))), undefined);
  assert.match(
    problem(csv(["repeats: 2"], rows(9)))!,
    /truncated CSV: 9 rows, expected n_events x n_calls x repeats = 2 x 5 x 2 = 20/,
  );
  assert.match(problem(csv(["repeats: 2"], []))!, /truncated CSV: 0 rows \(the file holds no rows\)/);
  assert.match(
    problem(csv(["batch_size: 4"], [...rows(12), "8,0.25", ...rows(7)]))!,
    /CSV has rows of batch size 8, expected 4 \(line 14\)/,
  );
  assert.match(
    problem(csv(["batch_size: 4"], [...rows(3), "4,0", ...rows(16)]))!,
    /CSV row 4 \(line 5\) has a runtime of 0 ms, expected a positive value/,
  );
  assert.match(problem(csv([], [...rows(3), "4,Infinity", ...rows(16)]))!, /malformed CSV: .*line 4/);
  assert.match(problem(csv([], [...rows(3), "4,-1", ...rows(16)]))!, /malformed CSV: .*line 4/);
  const cut = join(dir, "cut.csv");
  writeFileSync(cut, "# x: 1\n" + rows(19).join("\n") + "\n4,0.2");
  assert.match(problem(cut)!, /truncated CSV: its last line '4,0\.2' is cut off \(line 21\)/);
});

test("the repeats' row counts, the windows of --until-stable and the lower bound of --min-duration", () => {
  assert.match(
    problem(csv(["repeat_rows: 12,8"], rows(20)))!,
    /repeat_rows: 12,8' does not give 2 processes of 10 rows each, 20 in all/,
  );
  assert.match(
    problem(csv(["repeat_rows: 10,10"], rows(60)), run({ untilStable: true }))!,
    /repeat_rows: 10,10' does not give 2 processes of 30 rows/,
  );
  assert.equal(problem(csv(["repeat_rows: 30,30"], rows(60)), run({ untilStable: true })), undefined);
  const atLeast = run({ minDurationSeconds: 1 });
  assert.equal(problem(csv(["repeat_rows: 12,15"], rows(27)), atLeast), undefined);
  assert.match(problem(csv([], rows(19)), atLeast)!, /expected at least n_events x n_calls x repeats/);
  assert.match(problem(csv(["repeat_rows: 9,18"], rows(27)), atLeast)!, /processes of at least 10 rows/);
});

test("a wrong measurement of the store is an error naming the file, its problem and what to do", () => {
  const path = csv(["repeats: 2"], rows(9));
  assert.throws(
    () => requireStoredRows(path, 4, run(), 2),
    (err: Error & { hint?: string }) =>
      err.message.startsWith(`measurement ${path} of the store is wrong: truncated CSV: 9 rows`) &&
      /--remove-output/.test(err.hint ?? ""),
  );
});
