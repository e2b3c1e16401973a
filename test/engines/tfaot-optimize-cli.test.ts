/**
 * OptimizeBatchRules and RecommendBatchSizes end to end on the tfaot DNN example compiled for 1 and 2
 * (--compiled-sizes), with few calls: the cost measurements go through MeasureRuntime (the rule in the
 * output path), the outputs (rules, table, plot) are written, every rule written reads back through the
 * tool's own parser and checker, and the checked targets carry measured costs and their errors.
 *
 * Needs TensorFlow and the XLA AOT runtime, shared by the test files ($MLP_SOFTWARE, else
 * <tmp>/mlprof-test-software; a build of minutes the first time).
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ensureTensorflow } from "../../src/engines/tf/install.js";
import { parseBatchRules, resolveBatchRule } from "../../src/engines/tfaot/rules.js";
import { ensureXlaRuntime } from "../../src/engines/tfaot/xla-runtime.js";
import { EXAMPLES, mlprof, tempData } from "../helpers/cli.js";
import { ensureBuilt, useSharedTestSoftware } from "../helpers/software.js";

useSharedTestSoftware();
const data = tempData();
after(() => data.cleanup());

before(async () => {
  const log = (m: string) => console.log(`# ${m}`);
  await ensureXlaRuntime(await ensureTensorflow(log), log);
  ensureBuilt();
});

const DNN = join(EXAMPLES, "dnn", "model_tfaot_l10u128.yaml");
const FEW_CALLS = ["--n-calls", "3", "--n-warmup", "1", "--repeats", "1"];

/** Every file under a folder, relative paths. */
function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" });
}

describe("OptimizeBatchRules and RecommendBatchSizes", { timeout: 30 * 60_000 }, () => {
  test("rules for targets 1-5 from sizes 1 and 2, checked at 3 and 5; then the sizes for a distribution", async () => {
    const optimize = () =>
      mlprof(
        [
          "run",
          "OptimizeBatchRules",
          "--version",
          "opt",
          "--model-file",
          DNN,
          "--compiled-sizes",
          "1,2",
          "--targets",
          "1-5",
          "--check-targets",
          "3,5",
          "--file-types",
          "png",
          ...FEW_CALLS,
        ],
        data.env,
      );
    const res = await optimize();
    assert.equal(res.code, 0, res.stdout + res.stderr);
    const all = files(data.store);
    const json = all.find(
      (f) => f.startsWith("OptimizeBatchRules/") && f.endsWith("batchrules_targets_1-5__check_3.5.json"),
    );
    assert.ok(json, all.join("\n"));
    const dir = join(data.store, json, "..");
    for (const name of [
      "batchrules_targets_1-5__check_3.5.csv",
      "batchrules_targets_1-5__check_3.5_rules.txt",
      "batchrules_targets_1-5__check_3.5.png",
    ]) {
      assert.ok(existsSync(join(dir, name)), name);
    }
    // the model compiled for 1 and 2 is a copy of the example's file among the tool-managed software, not in
    // the store (which --print-status must leave alone)
    assert.ok(!all.some((f) => f.startsWith("MeasureBatchCosts/models/")), all.join("\n"));
    const variants = join(process.env.MLP_SOFTWARE!, "tfaot", "variants");
    const variant = readdirSync(variants).find((f) => f.endsWith("_compiled_1.2.yaml"));
    assert.ok(variant, readdirSync(variants).join("\n"));
    assert.match(readFileSync(join(variants, variant), "utf8"), /batch_sizes:\n\s+- 1\n\s+- 2\n/);
    // the probes were measured with their rules, which are part of their output paths
    for (const part of ["rules_2x1.1", "rules_3x1.1.1", "rules_4x2.2"]) {
      assert.ok(
        all.some((f) => f.startsWith("MeasureRuntime/") && f.includes(part)),
        part,
      );
    }
    const out = JSON.parse(readFileSync(join(data.store, json), "utf8")) as {
      compiledSizes: number[];
      tfaotBatchRules: string;
      cmsswRules: string[];
      rows: {
        target: number;
        defaultRule: string;
        optimalRule: string;
        optimalMeasuredMs?: number;
        optimalError?: number;
        defaultError?: number;
      }[];
    };
    assert.deepEqual(out.compiledSizes, [1, 2]);
    assert.deepEqual(
      out.rows.map((r) => [r.target, r.defaultRule]),
      [
        [1, "1:1"],
        [2, "2:2"],
        [3, "3:1,1,1"],
        [4, "4:1,1,1,1"],
        [5, "5:1,1,1,1,1"],
      ],
    );
    const optimal = parseBatchRules(out.rows.map((r) => r.optimalRule).join("-"));
    for (const r of optimal) resolveBatchRule(r.target, optimal, [1, 2]);
    assert.equal(out.cmsswRules.join("-"), out.tfaotBatchRules);
    if (out.tfaotBatchRules) parseBatchRules(out.tfaotBatchRules);
    const checked = out.rows.filter((r) => r.optimalMeasuredMs !== undefined).map((r) => r.target);
    assert.deepEqual(checked, [3, 5]);
    for (const r of out.rows.filter((x) => checked.includes(x.target))) {
      assert.ok(r.optimalError! > 0 && r.defaultError! > 0);
    }
    const csv = readFileSync(join(dir, "batchrules_targets_1-5__check_3.5.csv"), "utf8").split("\n");
    assert.equal(
      csv[0],
      "target,default_rule,optimal_rule,default_predicted_ms,optimal_predicted_ms,saving,default_measured_ms,optimal_measured_ms,default_measured_over_predicted,optimal_measured_over_predicted",
    );
    assert.equal(csv.length, 7);
    assert.match(res.stdout, /--tfaot-batch-rules "/);
    assert.match(res.stdout, /average over the 2 checked targets, measured: default \d/);

    // the candidates 1 and 2 are the compilation measured above: nothing is measured again
    const dist = join(data.dir, "jets.yaml");
    writeFileSync(dist, "1: 10\n4: 30\n");
    const rec = await mlprof(
      [
        "run",
        "RecommendBatchSizes",
        "--version",
        "opt",
        "--model-file",
        DNN,
        "--distribution",
        dist,
        "--candidates",
        "1,2",
        "--k",
        "2",
        ...FEW_CALLS,
      ],
      data.env,
    );
    assert.equal(rec.code, 0, rec.stdout + rec.stderr);
    assert.doesNotMatch(rec.stdout, /MeasureRepeat/);
    assert.match(rec.stdout, /k = 2: 1, 2 .*← recommended/);
    assert.match(rec.stdout, /batch_sizes: \[1, 2\]/);
    const snippet = files(data.store).find(
      (f) => f.startsWith("RecommendBatchSizes/") && f.endsWith("__k_2_compilation.yaml"),
    );
    assert.ok(snippet);
    assert.match(
      readFileSync(join(data.store, snippet), "utf8"),
      /compilation:\n {2}batch_sizes:\n {4}- 1\n {4}- 2\n/,
    );

    // another cost model (size 1 made dear) gives other rules: their checks are measured, not taken as done
    const costsFile = join(
      data.store,
      files(data.store).find((f) => f.endsWith("batchcosts.json"))!,
    );
    const costs = JSON.parse(readFileSync(costsFile, "utf8")) as {
      sizes: { size: number; medianMs: number }[];
    };
    costs.sizes.find((c) => c.size === 1)!.medianMs = 1000;
    writeFileSync(costsFile, JSON.stringify(costs));
    for (const f of readdirSync(dir)) if (!f.includes("_checks_")) rmSync(join(dir, f));
    const again = await optimize();
    assert.equal(again.code, 0, again.stdout + again.stderr);
    const rows = (JSON.parse(readFileSync(join(data.store, json), "utf8")) as typeof out).rows;
    assert.deepEqual(
      rows.filter((r) => [3, 5].includes(r.target)).map((r) => [r.optimalRule, r.optimalMeasuredMs! > 0]),
      [
        ["3:2,2", true],
        ["5:2,2,2", true],
      ],
    );
  });

  test("a model of another engine is refused with the file named", async () => {
    const onnx = join(EXAMPLES, "dnn", "model_onnx_l10u128.yaml");
    const res = await mlprof(
      ["run", "OptimizeBatchRules", "--version", "opt", "--model-file", onnx],
      data.env,
    );
    assert.equal(res.code, 1);
    assert.match(
      res.stderr,
      new RegExp(`model file ${onnx}: expected a tfaot model, found inference_engine onnx`),
    );
  });
});
