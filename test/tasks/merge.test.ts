/**
 * MergeRuntimes reads only measurements that pass the one row check (issue 13, items 4 and 7): a truncated
 * or empty MeasureRuntime CSV, or a cut-off metadata JSON, is an error naming the file (and its line), the
 * same verdict `collect` gives, and the store is left as it was; the intact measurement merges.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { expectedRows, runtimeCsvProblem } from "../../src/record/rows.js";
import { FIXTURES, listFiles, mlprof, tempData } from "../helpers/cli.js";
import { useSharedTestSoftware } from "../helpers/software.js";

useSharedTestSoftware();
const data = tempData();
after(() => data.cleanup());

const args = (task: string) => [
  "run",
  task,
  "--version",
  "m",
  "--model-file",
  join(FIXTURES, "identity.yaml"),
  "--model-name",
  "identity",
  "--n-events",
  "2",
  "--n-calls",
  "10",
  "--repeats",
  "1",
  ...(task === "MergeRuntimes" ? ["--batch-sizes", "1"] : []),
];
let csv = "";
let json = "";
let intact = "";
let intactJson = "";

before(async () => {
  const res = await mlprof(args("MeasureRuntime"), data.env);
  assert.equal(res.code, 0, res.stderr);
  csv = listFiles(data.store).find((f) => f.startsWith("MeasureRuntime/") && f.endsWith(".csv"))!;
  csv = join(data.store, csv);
  json = csv.replace(/\.csv$/, ".json");
  intact = readFileSync(csv, "utf8");
  intactJson = readFileSync(json, "utf8");
});

const snapshot = () =>
  Object.fromEntries(
    listFiles(data.store).map((f) => [
      f,
      createHash("sha256")
        .update(readFileSync(join(data.store, f)))
        .digest("hex"),
    ]),
  );

/** Breaks the measurement, runs MergeRuntimes, checks the message and that nothing was written. */
async function refused(breakIt: () => void, message: RegExp): Promise<void> {
  breakIt();
  const before = snapshot();
  const res = await mlprof(args("MergeRuntimes"), data.env);
  assert.equal(res.code, 1, res.stderr);
  assert.match(res.stderr, message);
  assert.deepEqual(snapshot(), before, "the store is unchanged");
  assert.ok(!listFiles(data.store).some((f) => f.startsWith("MergeRuntimes/")));
  writeFileSync(csv, intact);
  writeFileSync(json, intactJson);
}

const header = () => intact.split("\n").filter((l) => l.startsWith("#"));
const body = () => intact.split("\n").filter((l) => l && !l.startsWith("#"));

test("a truncated measurement CSV (9 of 20 rows) is refused by MergeRuntimes as collect refuses it", async () => {
  await refused(
    () => writeFileSync(csv, [...header(), ...body().slice(0, 9)].join("\n") + "\n"),
    new RegExp(
      `^error: measurement ${csv} of the store is wrong: truncated CSV: 9 rows, expected n_events x n_calls = 2 x 10 = 20$`,
      "m",
    ),
  );
  writeFileSync(csv, [...header(), ...body().slice(0, 9)].join("\n") + "\n");
  const run = { nEvents: 2, nCalls: 10, minDurationSeconds: 0, untilStable: false } as Parameters<
    typeof expectedRows
  >[1];
  assert.match(
    runtimeCsvProblem(csv, expectedRows(1, run, 1))!,
    /^truncated CSV: 9 rows, expected n_events x n_calls = 2 x 10 = 20$/,
  );
  writeFileSync(csv, intact);
});

test("rows of another batch size, a zero runtime and a cut-off last line are named with their line", async () => {
  const lines = intact.split("\n");
  const first = lines.findIndex((l) => l.startsWith("1,"));
  const replaced = (row: string) => () =>
    writeFileSync(csv, lines.map((l, i) => (i === first + 3 ? row : l)).join("\n"));
  await refused(
    replaced("2,0.01"),
    new RegExp(`CSV has rows of batch size 2, expected 1 \\(line ${first + 4}\\)`),
  );
  await refused(replaced("1,0"), new RegExp(`CSV row 4 \\(line ${first + 4}\\) has a runtime of 0 ms`));
  await refused(replaced("1,inf"), new RegExp(`${csv}, line ${first + 4}: expected 'batch_size,runtime_ms'`));
  await refused(
    () => writeFileSync(csv, intact.slice(0, -3)),
    /truncated CSV: its last line '1,[0-9.]*' is cut off \(line \d+\)/,
  );
});

test("an empty CSV and a cut-off metadata JSON are named, not 'summary of an empty sample' or a bare JSON error", async () => {
  await refused(
    () => writeFileSync(csv, ""),
    new RegExp(
      `measurement ${csv} of the store is wrong: truncated CSV: 0 rows \\(the file holds no rows\\)`,
    ),
  );
  await refused(
    () => writeFileSync(json, intactJson.slice(0, 100)),
    new RegExp(`^error: measurement metadata ${json} is not valid JSON \\(.*JSON.*\\)$`, "m"),
  );
  await refused(
    () => writeFileSync(json, ""),
    new RegExp(`measurement metadata ${json} is empty, expected a JSON document`),
  );
});

test("the intact measurement merges", async () => {
  const res = await mlprof(args("MergeRuntimes"), data.env);
  assert.equal(res.code, 0, res.stderr);
  const merged = listFiles(data.store).filter((f) => f.startsWith("MergeRuntimes/"));
  assert.equal(merged.length, 2);
  const rows = readFileSync(
    join(
      data.store,
      merged.find((f) => f.endsWith(".csv"))!,
    ),
    "utf8",
  )
    .split("\n")
    .filter((l) => l.startsWith("1,"));
  assert.equal(rows.length, 20);
});
