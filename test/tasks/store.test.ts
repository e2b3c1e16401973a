import assert from "node:assert/strict";
import { relative } from "node:path";
import { test } from "node:test";
import { TASKS } from "../../src/tasks/registry.js";
import type { Task } from "../../src/framework/task.js";
import { EXAMPLES, FIXTURES } from "../helpers/cli.js";

const STORE = "/tmp/mlprof-store-paths";
process.env.MLP_STORE = STORE;

function task(name: string, raw: Record<string, unknown>): Task {
  const family = TASKS.find((t) => t.name === name)!;
  return family.create({ version: "v1", ...raw });
}

const rel = (paths: string[]) => paths.map((p) => relative(STORE, p));
const dnnOnnx = `${EXAMPLES}/dnn/model_onnx_l10u128.yaml`;

test("MeasureRuntime paths follow <Task>/<cmssw>__<arch>/<model>__<run params>/<version>/runtime_bs_<N>.csv", () => {
  assert.deepEqual(rel(task("MeasureRuntime", { "model-name": "dnn", "batch-size": "8" }).outputs()), [
    "MeasureRuntime/CMSSW_14_1_0_pre4__el9_amd64_gcc12/model_dnn__input_random__nevents_1__ncalls_100__threads_1/v1/runtime_bs_8.csv",
    "MeasureRuntime/CMSSW_14_1_0_pre4__el9_amd64_gcc12/model_dnn__input_random__nevents_1__ncalls_100__threads_1/v1/runtime_bs_8.json",
  ]);
  const t = task("MeasureRuntime", {
    "model-name": "dnn",
    "cmssw-version": "CMSSW_13_3_1",
    "scram-arch": "el8_amd64_gcc11",
    "input-data": "zeros",
    "n-events": "3",
    "n-calls": "500",
    threads: "2",
    "n-warmup": "0",
  });
  assert.equal(
    rel(t.outputs())[0],
    "MeasureRuntime/CMSSW_13_3_1__el8_amd64_gcc11/model_dnn__input_zeros__nevents_3__ncalls_500__threads_2__warmup_0/v1/runtime_bs_1.csv",
  );
});

test("without --model-name the path holds the yaml's name and a hash of its path", () => {
  const a = rel(task("MeasureRuntime", { "model-file": dnnOnnx }).outputs())[0]!;
  assert.match(a, /^MeasureRuntime\/[^/]+\/model_onnx_l10u128_[0-9a-f]{8}__input_random/);
  const b = rel(task("MeasureRuntime", { "model-file": `${FIXTURES}/identity.yaml` }).outputs())[0]!;
  assert.notEqual(a.split("/")[2], b.split("/")[2]);
});

test("MergeRuntimes and PlotRuntimes name their files after the sorted batch sizes, postfix and file types", () => {
  const merge = task("MergeRuntimes", { "model-name": "dnn", "batch-sizes": "4,1,2,2" });
  assert.deepEqual(
    rel(merge.outputs()).map((p) => p.split("/").slice(-2).join("/")),
    ["v1/runtimes_bs_1_2_4.csv", "v1/runtimes_bs_1_2_4.json"],
  );
  assert.deepEqual(
    merge.requires().map((r) => rel(r.outputs())[0]!.split("/").pop()),
    ["runtime_bs_1.csv", "runtime_bs_2.csv", "runtime_bs_4.csv"],
  );
  const plot = task("PlotRuntimes", {
    "model-name": "dnn",
    "batch-sizes": "1,2",
    "file-types": "pdf,png",
    "plot-postfix": "log",
  });
  assert.deepEqual(rel(plot.outputs()), [
    "PlotRuntimes/CMSSW_14_1_0_pre4__el9_amd64_gcc12/model_dnn__input_random__nevents_1__ncalls_100__threads_1/v1/runtimes_bs_1_2__log.pdf",
    "PlotRuntimes/CMSSW_14_1_0_pre4__el9_amd64_gcc12/model_dnn__input_random__nevents_1__ncalls_100__threads_1/v1/runtimes_bs_1_2__log.png",
    "PlotRuntimes/CMSSW_14_1_0_pre4__el9_amd64_gcc12/model_dnn__input_random__nevents_1__ncalls_100__threads_1/v1/runtimes_bs_1_2__log.html",
  ]);
});

test("PlotMultiRuntimes expands braces, requires one merge per combination and names the plot after them", () => {
  const plot = task("PlotMultiRuntimes", {
    "model-files": `${EXAMPLES}/dnn/model_onnx_l{10u128,10u256}.yaml`,
    "model-names": "small,large",
    "batch-sizes": "1,2",
  });
  assert.deepEqual(rel(plot.outputs()), [
    "PlotMultiRuntimes/CMSSW_14_1_0_pre4__el9_amd64_gcc12/model_small__model_large__input_random__nevents_1__ncalls_100__threads_1/v1/runtimes_small_large_bs_1_2.pdf",
    "PlotMultiRuntimes/CMSSW_14_1_0_pre4__el9_amd64_gcc12/model_small__model_large__input_random__nevents_1__ncalls_100__threads_1/v1/runtimes_small_large_bs_1_2.html",
  ]);
  assert.deepEqual(
    plot.requires().map((r) => rel(r.outputs())[0]!.split("/")[2]),
    [
      "model_small__input_random__nevents_1__ncalls_100__threads_1",
      "model_large__input_random__nevents_1__ncalls_100__threads_1",
    ],
  );
});

test("MLP_STORE moves the root of every output", () => {
  process.env.MLP_STORE = "/tmp/elsewhere";
  try {
    assert.ok(
      task("MeasureRuntime", { "model-name": "dnn" })
        .outputs()[0]!
        .startsWith("/tmp/elsewhere/MeasureRuntime/"),
    );
  } finally {
    process.env.MLP_STORE = STORE;
  }
});

test("--tfaot-batch-rules are part of the paths of tfaot models only (other engines ignore them)", () => {
  const rules = { "model-name": "m", "tfaot-batch-rules": "4:ones-2:1,1" };
  const tfaot = task("MeasureRuntime", {
    ...rules,
    "model-file": `${EXAMPLES}/dnn/model_tfaot_l10u128.yaml`,
  });
  assert.match(rel(tfaot.outputs())[0]!, /__threads_1__rules_4xones-2x1\.1\/v1\//);
  const onnx = task("MeasureRuntime", { ...rules, "model-file": dnnOnnx });
  assert.equal(
    rel(onnx.outputs())[0],
    "MeasureRuntime/CMSSW_14_1_0_pre4__el9_amd64_gcc12/model_m__input_random__nevents_1__ncalls_100__threads_1/v1/runtime_bs_1.csv",
  );
  assert.throws(
    () => task("MeasureRuntime", { "tfaot-batch-rules": "x" }),
    /--tfaot-batch-rules: 'x' is not a rule/,
  );
});
