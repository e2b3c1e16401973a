/** The memory chain end to end: MeasureMemory → MergeMemory → PlotMultiMemory / PlotMemory / PlotLoadTime. */
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { readMemoryCsv, type MemoryRecord } from "../../src/report/memory.js";
import { EXAMPLES, listFiles, mlprof, tempData } from "../helpers/cli.js";

const data = tempData();
after(() => data.cleanup());

/** The DNN and CNN ONNX examples, with the size of their graphs (their weights). */
const MODELS = [
  { name: "dnn_l10u128", yaml: "dnn/model_onnx_l10u128.yaml", graph: "dnn/onnx_graph_l10u128.onnx" },
  { name: "dnn_l20u256", yaml: "dnn/model_onnx_l20u256.yaml", graph: "dnn/onnx_graph_l20u256.onnx" },
  {
    name: "cnn_c1v3",
    yaml: "cnn/model_onnx_i32c1v3l10u128.yaml",
    graph: "cnn/onnx_graph_i32c1v3l10u128.onnx",
  },
  {
    name: "cnn_c1v1",
    yaml: "cnn/model_onnx_i32c1v1l10u128.yaml",
    graph: "cnn/onnx_graph_i32c1v1l10u128.onnx",
  },
].map((m) => ({ ...m, bytes: statSync(join(EXAMPLES, m.graph)).size }));

const common = (family: string) => [
  "run",
  family,
  "--version",
  "mem",
  "--model-files",
  MODELS.map((m) => join(EXAMPLES, m.yaml)).join(","),
  "--model-names",
  MODELS.map((m) => m.name).join(","),
  "--batch-sizes",
  "1,2",
  "--n-calls",
  "20",
  "--file-types",
  "png",
];

function outputsOf(stdout: string): string[] {
  return stdout
    .split("\n")
    .filter((l) => l.startsWith("  /"))
    .map((l) => l.trim());
}

/** The merged memory records of a model. */
function merged(name: string): MemoryRecord[] {
  const csv = listFiles(data.store).filter(
    (f) => f.startsWith("MergeMemory") && f.includes(`model_${name}__`) && f.endsWith(".csv"),
  );
  assert.equal(csv.length, 1, `one merged memory CSV of ${name}: ${csv.join(", ")}`);
  const path = join(data.store, csv[0]!);
  assert.match(
    readFileSync(path, "utf8"),
    /^batch_size,rss_before_load_mib,/,
    "a header row, no comment lines",
  );
  const facts = JSON.parse(readFileSync(path.replace(/\.csv$/, ".json"), "utf8")) as { batchSizes: number[] };
  assert.deepEqual(facts.batchSizes, [1, 2], "the facts in the JSON beside it");
  return readMemoryCsv(path);
}

test("load memory grows with the model size for the DNN and CNN ONNX examples", async () => {
  const res = await mlprof([...common("PlotMultiMemory"), "--memory-stage", "load"], data.env);
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /resident memory \(MiB\), load time, first \(cold\) and median call:/);
  assert.match(res.stdout, /ONNX 32x1⊛1→10x128/, "labels as in the plots");
  const [png, html] = outputsOf(res.stdout);
  assert.match(png!, /PlotMultiMemory\/.*memory_load_dnn_l10u128_dnn_l20u256_cnn_c1v3_cnn_c1v1_bs_1_2\.png$/);
  assert.deepEqual([...readFileSync(png!).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
  assert.match(readFileSync(html!, "utf8"), /Memory added by loading|Resident memory added by loading/);

  const load = new Map(MODELS.map((m) => [m.name, merged(m.name)]));
  for (const [name, records] of load) {
    assert.deepEqual(
      records.map((r) => r.batchSize),
      [1, 2],
      name,
    );
    for (const r of records) {
      assert.ok(r.rssBeforeLoadMib > 10, `${name}: a Node.js process takes some memory before loading`);
      assert.ok(r.rssAfterLoadMib > r.rssBeforeLoadMib, `${name}: loading adds memory`);
      assert.ok(r.peakRssMib >= r.rssAfterWarmupMib && r.peakRssMib >= r.rssAfterTimingMib, `${name}: peak`);
      assert.ok(r.loadMs > 0, `${name}: load time`);
    }
  }
  // RSS moves by a few hundred kB between runs (allocator arenas, page granularity): the ordering is
  // asserted for every pair whose graphs differ in size by more than a factor of 2
  let pairs = 0;
  for (const small of MODELS) {
    for (const big of MODELS) {
      if (big.bytes <= 2 * small.bytes) continue;
      pairs++;
      for (const bs of [0, 1]) {
        const added = (name: string) => {
          const r = load.get(name)![bs]!;
          return r.rssAfterLoadMib - r.rssBeforeLoadMib;
        };
        assert.ok(
          added(small.name) < added(big.name),
          `${small.name} (${small.bytes} B) adds ${added(small.name)} MiB, ${big.name} (${big.bytes} B) ${added(big.name)} MiB`,
        );
      }
    }
  }
  assert.equal(pairs, 4, "dnn_l10u128 and cnn_c1v3 against dnn_l20u256 and cnn_c1v1");
});

test("PlotMemory draws the stages of one model, PlotLoadTime the load times, both from the same measurements", async () => {
  const one = [
    "run",
    "PlotMemory",
    "--version",
    "mem",
    "--model-file",
    join(EXAMPLES, MODELS[0]!.yaml),
    "--model-name",
    MODELS[0]!.name,
    "--batch-sizes",
    "1,2",
    "--n-calls",
    "20",
    "--file-types",
    "png",
  ];
  const res = await mlprof(one, data.env);
  assert.equal(res.code, 0, res.stderr);
  const [, html] = outputsOf(res.stdout);
  const page = readFileSync(html!, "utf8");
  for (const stage of ["before loading", "after loading", "after warm-up", "peak"]) {
    assert.ok(page.includes(`"name":"${stage}"`), `trace '${stage}'`);
  }
  const loadTime = await mlprof(common("PlotLoadTime"), data.env);
  assert.equal(loadTime.code, 0, loadTime.stderr);
  assert.match(outputsOf(loadTime.stdout)[0]!, /PlotLoadTime\/.*\/loadtime_dnn_l10u128_.*_bs_1_2\.png$/);
  const loadPage = readFileSync(outputsOf(loadTime.stdout)[1]!, "utf8");
  assert.match(loadPage, /Load time, first and median call \[ms\]/);
  for (const what of ["load time", "first call", "median call"]) {
    assert.ok(loadPage.includes(`: ${what}"`), `a '${what}' trace per model`);
  }
  const records = merged(MODELS[0]!.name);
  for (const r of records) {
    assert.ok(
      r.firstCallMs > r.medianCallMs,
      `the cold first call (${r.firstCallMs} ms) is slower than the median`,
    );
    assert.ok(r.loadMs > r.firstCallMs, "loading takes longer than a call");
  }
  const measured = listFiles(data.store).filter((f) => f.startsWith("MeasureRuntime") && f.endsWith(".csv"));
  assert.equal(measured.length, MODELS.length * 2, "memory and load time come from the runtime measurements");
});
