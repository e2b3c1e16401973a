/**
 * The original's readers read this tool's CSVs: a real small measurement (the ONNX identity fixture, two
 * repeats, two batch sizes) is read with exactly the original MLProf's call,
 * `pandas.read_csv(path, delimiter=",", names=["batch_size", "runtimes"])`, and np.percentile 16/50/84 per
 * batch size equal the tool's own summary in the merged JSON. pandas is installed once into a venv under
 * $MLP_SOFTWARE (test/helpers/software.ts), from the local wheel index where there is one.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ensureVenv, type Venv } from "../../src/pyenv/venv.js";
import { FIXTURES, listFiles, mlprof, tempData } from "../helpers/cli.js";
import { ensureBuilt, useSharedTestSoftware } from "../helpers/software.js";

useSharedTestSoftware();
ensureBuilt();
const data = tempData();
after(() => data.cleanup());

/** What the Python check prints for one CSV. */
interface PandasRead {
  dtypes: Record<string, string>;
  batchSizes: Record<string, { n: number; p16: number; p50: number; p84: number }>;
}

/** Reads CSVs as the original MLProf's plotter does and prints dtypes and percentiles per batch size. */
const SCRIPT = `
import json, sys
import numpy as np
import pandas as pd
out = {}
for path in sys.argv[1:]:
    df = pd.read_csv(path, delimiter=",", names=["batch_size", "runtimes"])
    sizes = {}
    for bs in sorted(df["batch_size"].unique()):
        values = df[df["batch_size"] == bs]["runtimes"]
        p16, p50, p84 = np.percentile(values, [16, 50, 84])
        sizes[str(int(bs))] = {"n": int(len(values)), "p16": float(p16), "p50": float(p50), "p84": float(p84)}
    out[path] = {"dtypes": {k: str(v) for k, v in df.dtypes.items()}, "batchSizes": sizes}
print(json.dumps(out))
`;

let venv: Venv;
before(async () => {
  venv = await ensureVenv({ name: "test-pandas", packages: ["pandas"] }, () => undefined);
});

test("pandas.read_csv as the original calls it reads every runtime CSV; its percentiles equal the tool's summary", async () => {
  const res = await mlprof(
    [
      "run",
      "MergeRuntimes",
      "--version",
      "pandas",
      "--model-file",
      join(FIXTURES, "identity.yaml"),
      "--batch-sizes",
      "1,2",
      "--n-events",
      "2",
      "--n-calls",
      "15",
      "--repeats",
      "2",
    ],
    data.env,
  );
  assert.equal(res.code, 0, res.stderr);
  const csvs = listFiles(data.store)
    .filter((f) => f.endsWith(".csv"))
    .map((f) => join(data.store, f));
  const name = (p: string) => p.split("/").pop()!;
  assert.deepEqual(csvs.map(name).sort(), [
    "runtime_bs_1.csv",
    "runtime_bs_1_repeat_1.csv",
    "runtime_bs_1_repeat_2.csv",
    "runtime_bs_2.csv",
    "runtime_bs_2_repeat_1.csv",
    "runtime_bs_2_repeat_2.csv",
    "runtimes_bs_1_2.csv",
  ]);
  const read = JSON.parse(execFileSync(venv.python, ["-c", SCRIPT, ...csvs], { encoding: "utf8" })) as Record<
    string,
    PandasRead
  >;

  for (const csv of csvs) {
    const r = read[csv]!;
    assert.deepEqual(r.dtypes, { batch_size: "int64", runtimes: "float64" }, `${name(csv)}: numeric columns`);
    const bs = /runtimes?_bs_(\d+)/.exec(name(csv))!;
    const expected = name(csv).startsWith("runtimes_") ? ["1", "2"] : [bs[1]!];
    assert.deepEqual(Object.keys(r.batchSizes), expected, `${name(csv)}: batch sizes`);
    const rows = name(csv).includes("repeat") ? 30 : 60;
    for (const b of expected) assert.equal(r.batchSizes[b]!.n, rows, `${name(csv)}: rows of batch size ${b}`);
  }

  const mergedCsv = csvs.find((c) => name(c) === "runtimes_bs_1_2.csv")!;
  const merged = JSON.parse(readFileSync(mergedCsv.replace(/\.csv$/, ".json"), "utf8")) as {
    measurements: {
      batchSize: number;
      csv: string;
      pooledCalls: { n: number; median: number; p16: number; p84: number };
      acrossProcesses: { processes: number; processMedians: number[]; median: number };
    }[];
  };
  // the table says which median is which, as the JSON and the README name them
  assert.match(
    res.stdout,
    /median \(pooled calls\)\s+ms\/event\s+median across procs\s+95 % CI across procs/,
  );
  assert.match(res.stdout, /^median across procs: the geometric mean of the process medians/m);
  const close = (a: number, b: number, what: string) =>
    assert.ok(Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b)), `${what}: pandas ${a}, MLProf ${b}`);
  for (const m of merged.measurements) {
    for (const csv of [mergedCsv, m.csv]) {
      const p = read[csv]!.batchSizes[String(m.batchSize)]!;
      assert.equal(p.n, m.pooledCalls.n);
      close(p.p50, m.pooledCalls.median, `${name(csv)} batch size ${m.batchSize} median`);
      close(p.p16, m.pooledCalls.p16, `${name(csv)} batch size ${m.batchSize} p16`);
      close(p.p84, m.pooledCalls.p84, `${name(csv)} batch size ${m.batchSize} p84`);
    }
    // the median across processes: the geometric mean of the repeats' medians, each as pandas reads it
    const repeats = [1, 2].map(
      (k) => read[csvs.find((c) => name(c) === `runtime_bs_${m.batchSize}_repeat_${k}.csv`)!]!,
    );
    const medians = repeats.map((r) => r.batchSizes[String(m.batchSize)]!.p50);
    assert.equal(m.acrossProcesses.processes, 2);
    medians.forEach((v, k) => close(v, m.acrossProcesses.processMedians[k]!, `process ${k + 1} median`));
    close(Math.sqrt(medians[0]! * medians[1]!), m.acrossProcesses.median, "median across processes");
  }
});

test("a CSV of an earlier MLProf version, with '# key: value' lines, is what the original cannot read", () => {
  // the defect this shape fixes: pandas stops at the first comment line with a comma in its value
  const path = join(data.dir, "old.csv");
  writeFileSync(path, "# engine: onnxruntime\n# repeat_rows: 5,5,5\n1,0.5\n");
  assert.throws(
    () =>
      execFileSync(venv.python, ["-c", SCRIPT, path], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      }),
    /Expected 2 fields in line 2, saw 3/,
  );
});
