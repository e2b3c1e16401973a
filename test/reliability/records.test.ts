/**
 * Corrupt records of the store (issue 19): every record kind a task reads — a measurement's metadata JSON,
 * a repeat's, the merged JSON, the CSVs beside them — broken as a careless edit, a cut-off write or a
 * hostile user would break it. Each case asserts one error naming the file and the field or line, what was
 * expected and what was found, exit code 1, no stack trace (never a raw TypeError), and a store unchanged.
 *
 * The cases run the CLI's own entry (`main` of src/cli.ts) in this process on copies of one real seed
 * measurement (the ONNX identity fixture, two repeats).
 */
import assert from "node:assert/strict";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { FIXTURES, listFiles, mlprof, tempData } from "../helpers/cli.js";
import { inProcessCli, storeSnapshot } from "../helpers/in-process.js";
import { ensureBuilt, useSharedTestSoftware } from "../helpers/software.js";

useSharedTestSoftware();
ensureBuilt();
const data = tempData();
const locks = join(data.dir, "locks");
data.env.MLPROF_LOCK_DIR = locks;
Object.assign(process.env, {
  MLP_DATA: data.dir,
  MLP_STORE: "",
  MLPROF_PROGRESS: "quiet",
  MLPROF_LOCK_DIR: locks,
  FORCE_COLOR: "0",
});
const { main } = await import("../../src/cli.js");
after(() => data.cleanup());

const cli = inProcessCli(main);

const snapshot = () => storeSnapshot(data.store);

const seedArgs = [
  "--model-file",
  join(FIXTURES, "identity.yaml"),
  "--model-name",
  "seed",
  "--n-calls",
  "20",
  "--repeats",
  "2",
];
const task = (family: string, version: string, ...extra: string[]) => [
  "run",
  family,
  "--version",
  version,
  ...seedArgs,
  ...extra,
];
const merge = (version: string) => task("MergeRuntimes", version, "--batch-sizes", "1");

/** The seed's folder of each task family (version "seed"). */
const seed: Record<string, string> = {};
before(async () => {
  const res = await mlprof(task("MergeRuntimes", "seed", "--batch-sizes", "1"), data.env);
  assert.equal(res.code, 0, res.stderr);
  for (const family of ["MeasureRepeat", "MeasureRuntime", "MergeRuntimes"]) {
    const file = listFiles(data.store).find((f) => f.startsWith(`${family}/`) && f.endsWith(".csv"))!;
    seed[family] = dirname(join(data.store, file));
  }
});

/** Copies the seed outputs of `families` as version `version`; returns the copy's folder per family. */
function copy(version: string, families: string[]): Record<string, string> {
  const dirs: Record<string, string> = {};
  for (const family of families) {
    dirs[family] = join(dirname(seed[family]!), version);
    cpSync(seed[family]!, dirs[family]!, { recursive: true });
  }
  return dirs;
}

/** Rewrites a JSON file through `edit` of its parsed value. */
function editJson(path: string, edit: (value: Record<string, unknown>) => unknown): void {
  writeFileSync(
    path,
    JSON.stringify(edit(JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>)),
  );
}

/** The seed measurement's CSV rows (40: 2 repeats x 20 calls). */
const seedRows = () =>
  readFileSync(join(seed.MeasureRuntime!, "runtime_bs_1.csv"), "utf8").split("\n").filter(Boolean);

interface Case {
  name: string;
  /** Breaks a copy of the seed; returns the arguments of the run that must refuse it and the broken file. */
  setup: () => { args: string[]; file: string };
  /** The message after the broken file's path. */
  message: (file: string) => RegExp;
}

/** A case that breaks the MeasureRuntime pair of version `version` and runs MergeRuntimes on it. */
function measurementCase(
  name: string,
  version: string,
  breakIt: (csv: string, json: string) => "csv" | "json",
  message: (file: string) => RegExp,
): Case {
  return {
    name,
    setup: () => {
      const dir = copy(version, ["MeasureRepeat", "MeasureRuntime"]).MeasureRuntime!;
      const csv = join(dir, "runtime_bs_1.csv");
      const json = join(dir, "runtime_bs_1.json");
      return { args: merge(version), file: breakIt(csv, json) === "csv" ? csv : json };
    },
    message,
  };
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const metadataError = (detail: string) => (file: string) =>
  new RegExp(`^error: measurement metadata ${esc(file)}: ${esc(detail)}$`, "m");
const csvError = (detail: string) => (file: string) =>
  new RegExp(`^error: measurement ${esc(file)} of the store is wrong: ${detail}$`, "m");

const cases: Case[] = [
  measurementCase(
    "metadata with repeats: 5",
    "rep5",
    (_c, json) => (editJson(json, (v) => ({ ...v, repeats: 5 })), "json"),
    metadataError("field repeats: expected an array, found the number 5"),
  ),
  measurementCase(
    "metadata [null]",
    "null",
    (_c, json) => (writeFileSync(json, "[null]"), "json"),
    metadataError("the document: expected a JSON object, found an array of 1 item"),
  ),
  measurementCase(
    "metadata {}",
    "empty",
    (_c, json) => (writeFileSync(json, "{}"), "json"),
    metadataError(
      "field mlprof: expected an object, found nothing (the field is missing) (and 7 more problems)",
    ),
  ),
  measurementCase(
    "a string where a number belongs",
    "string",
    (_c, json) => (
      editJson(json, (v) => ({ ...v, measurement: { ...(v.measurement as object), nCalls: "20" } })),
      "json"
    ),
    metadataError('field measurement.nCalls: expected a finite number, found the string "20"'),
  ),
  measurementCase(
    "a repeat entry null",
    "repnull",
    (_c, json) => (editJson(json, (v) => ({ ...v, repeats: [null, (v.repeats as unknown[])[1]] })), "json"),
    metadataError("field repeats[0]: expected an object, found null"),
  ),
  measurementCase(
    "a memory reading of the wrong type",
    "memtype",
    (_c, json) => (
      editJson(json, (v) => {
        const process = v.process as { memory: object };
        return { ...v, process: { ...process, memory: { ...process.memory, peakRssKb: "lots" } } };
      }),
      "json"
    ),
    metadataError('field process.memory.peakRssKb: expected a finite number, found the string "lots"'),
  ),
  measurementCase(
    "an overflowing number (1e400) in the metadata",
    "overflow",
    (_c, json) => (
      writeFileSync(json, readFileSync(json, "utf8").replace(/"warmupSeconds": [0-9.]+/, '"warmupSeconds": 1e400')),
      "json"
    ),
    metadataError("field measurement.warmupSeconds: expected a finite number, found the number Infinity"),
  ),
  measurementCase(
    "process rows in the JSON that contradict the CSV",
    "rows",
    (_c, json) => (
      editJson(json, (v) => ({
        ...v,
        repeats: (v.repeats as { rows: number }[]).map((r, i) => ({ ...r, rows: i === 0 ? 25 : 15 })),
      })),
      "csv"
    ),
    (file) =>
      csvError(
        `its metadata ${esc(file.replace(/\.csv$/, ".json"))} \\(repeats\\[\\]\\.rows: 25,15\\) does not give 2 processes of 20 rows each, 40 in all as the CSV holds`,
      )(file),
  ),
  measurementCase(
    "a truncated CSV (30 of 40 rows)",
    "short",
    (csv) => (writeFileSync(csv, seedRows().slice(0, 30).join("\n") + "\n"), "csv"),
    csvError("truncated CSV: 30 rows, expected n_events x n_calls x repeats = 1 x 20 x 2 = 40"),
  ),
  measurementCase(
    "a CSV cut off in its last row",
    "cut",
    (csv) => (writeFileSync(csv, seedRows().join("\n").slice(0, -3)), "csv"),
    csvError("truncated CSV: its last line '1,[0-9.]*' is cut off \\(line 40\\)"),
  ),
  measurementCase(
    "a CSV with a header line",
    "header",
    (csv) => (writeFileSync(csv, ["batch_size,runtime_ms", ...seedRows()].join("\n") + "\n"), "csv"),
    csvError(
      "malformed CSV: .*runtime_bs_1\\.csv, line 1: expected 'batch_size,runtime_ms' with a positive integer and a number, found 'batch_size,runtime_ms'",
    ),
  ),
  measurementCase(
    "rows of another batch size",
    "otherbs",
    (csv) => (
      writeFileSync(
        csv,
        seedRows()
          .map((r, i) => (i === 7 ? r.replace(/^1,/, "2,") : r))
          .join("\n") + "\n",
      ),
      "csv"
    ),
    csvError("CSV has rows of batch size 2, expected 1 \\(line 8\\)"),
  ),
  ...(["NaN", "Infinity", "-0.5"] as const).map((value, k) =>
    measurementCase(
      `a row of ${value}`,
      `bad${k}`,
      (csv) => (
        writeFileSync(
          csv,
          seedRows()
            .map((r, i) => (i === 4 ? `1,${value}` : r))
            .join("\n") + "\n",
        ),
        "csv"
      ),
      csvError(
        `malformed CSV: .*, line 5: expected 'batch_size,runtime_ms' with a positive integer and a number, found '1,${esc(value)}'`,
      ),
    ),
  ),
  measurementCase(
    "a runtime of 1e308 ms",
    "huge",
    (csv) => (
      writeFileSync(
        csv,
        seedRows()
          .map((r, i) => (i === 2 ? "1,1e308" : r))
          .join("\n") + "\n",
      ),
      "csv"
    ),
    csvError(
      "malformed CSV: .*, line 3: a runtime of 1e308 ms is beyond 3600000 ms \\(one hour per call\\), not a measurement",
    ),
  ),
  {
    name: "a repeat's metadata with a string pid (MeasureRuntime joining the repeats)",
    setup: () => {
      const dir = copy("reppid", ["MeasureRepeat"]).MeasureRepeat!;
      const json = join(dir, "runtime_bs_1_repeat_2.json");
      editJson(json, (v) => ({ ...v, process: { ...(v.process as object), pid: "1234" } }));
      return { args: task("MeasureRuntime", "reppid", "--batch-size", "1"), file: json };
    },
    message: metadataError('field process.pid: expected a finite number, found the string "1234"'),
  },
  {
    name: "a merged JSON with measurements: 3 (PlotRuntimes)",
    setup: () => {
      const dir = copy("merged3", ["MeasureRepeat", "MeasureRuntime", "MergeRuntimes"]).MergeRuntimes!;
      const json = join(dir, "runtimes_bs_1.json");
      editJson(json, (v) => ({ ...v, measurements: 3 }));
      return {
        args: task("PlotRuntimes", "merged3", "--batch-sizes", "1", "--file-types", "png"),
        file: json,
      };
    },
    message: (file) =>
      new RegExp(
        `^error: merged measurement metadata ${esc(file)}: field measurements: expected an array, found the number 3$`,
        "m",
      ),
  },
  {
    name: "a merged CSV with rows of a batch size its JSON does not hold (PlotRuntimes)",
    setup: () => {
      const dir = copy("mergedbs", ["MeasureRepeat", "MeasureRuntime", "MergeRuntimes"]).MergeRuntimes!;
      const csv = join(dir, "runtimes_bs_1.csv");
      writeFileSync(csv, readFileSync(csv, "utf8") + "8,0.5\n");
      return {
        args: task("PlotRuntimes", "mergedbs", "--batch-sizes", "1", "--file-types", "png"),
        file: csv,
      };
    },
    message: (file) =>
      new RegExp(
        `^error: ${esc(file)}, line 41: a row of batch size 8, but ${esc(file.replace(/\.csv$/, ".json"))} holds batch sizes 1$`,
        "m",
      ),
  },
  {
    name: "measurement metadata without its memory readings (MeasureMemory)",
    setup: () => {
      const dir = copy("nomem", ["MeasureRepeat", "MeasureRuntime"]).MeasureRuntime!;
      const json = join(dir, "runtime_bs_1.json");
      editJson(json, (v) => {
        const process = { ...(v.process as Record<string, unknown>) };
        delete process.memory;
        return { ...v, process };
      });
      return { args: task("MeasureMemory", "nomem", "--batch-size", "1"), file: json };
    },
    message: metadataError("field process.memory: expected an object, found nothing (the field is missing)"),
  },
];

describe("corrupt records of the store are refused with the file and the field", () => {
  for (const c of cases) {
    test(c.name, async () => {
      const { args, file } = c.setup();
      const before = snapshot();
      const res = await cli(args);
      assert.equal(res.code, 1, `exit code; stderr: ${res.stderr}\nstdout: ${res.stdout}`);
      assert.match(res.stderr, c.message(file));
      assert.doesNotMatch(res.stderr, /TypeError|\n\s+at .*\(.*:\d+:\d+\)/, "no raw error, no stack trace");
      assert.deepEqual(snapshot(), before, "the store is unchanged");
    });
  }
});

test("a measurement CSV of an earlier version, with '# key: value' lines, is still read (they are skipped)", async () => {
  const dir = copy("oldcsv", ["MeasureRepeat", "MeasureRuntime"]).MeasureRuntime!;
  const csv = join(dir, "runtime_bs_1.csv");
  writeFileSync(
    csv,
    "# engine: onnxruntime 1.30.0\n# repeats: 2\n# repeat_rows: 20,20\n" + readFileSync(csv, "utf8"),
  );
  const res = await cli(merge("oldcsv"));
  assert.equal(res.code, 0, res.stderr);
  const merged = listFiles(data.store).find(
    (f) => f.includes("/oldcsv/") && f.endsWith("runtimes_bs_1.csv"),
  )!;
  const text = readFileSync(join(data.store, merged), "utf8");
  assert.doesNotMatch(text, /^#/m, "the merged CSV holds rows only");
  assert.equal(text.split("\n").filter(Boolean).length, 40);
});
