/**
 * An engine folder owns its measurement options and preparation facts (engines/<name>/params.ts): the
 * measurement options take them from the registry in their places, a model of another engine drops those
 * that apply to their own engine's models only, each engine says its fields of a job file and of a cmsRun
 * config, and a record's preparation facts are checked against its engine's schema.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ONNX_PARAMS } from "../../src/engines/onnx/params.js";
import {
  checkEngineSettings,
  engineConfigFields,
  engineJobFields,
  settingsForModel,
} from "../../src/engines/params.js";
import { TFAOT_PARAMS } from "../../src/engines/tfaot/params.js";
import { preparationSummary, type PartialRecord } from "../../src/record/measurement.js";
import { MEASUREMENT_PARAMS, runParamsPart } from "../../src/tasks/params.js";
import { testRun } from "../helpers/job.js";

describe("engine-owned measurement options", () => {
  test("each engine's options stand among the measurement options after the one it names", () => {
    assert.equal(MEASUREMENT_PARAMS.onnxLibrary, ONNX_PARAMS.onnxLibrary);
    assert.equal(MEASUREMENT_PARAMS.tfaotBatchRules, TFAOT_PARAMS.tfaotBatchRules);
    assert.deepEqual(
      Object.values(MEASUREMENT_PARAMS).map((p) => p.flag),
      [
        ...["n-events", "n-calls", "n-warmup", "input-data", "threads", "inter-op-threads"],
        ...["warmup-duration", "min-duration", "until-stable", "stability", "max-duration"],
        ...["engine-versions", "onnx-library", "repeats", "cpu-affinity", "tfaot-batch-rules", "executor"],
      ],
    );
  });

  test("a model of another engine drops tfaot's rules (path and measurement); onnx's library stays", () => {
    const run = testRun({ tfaotBatchRules: "4:2,2", onnxLibrary: "npm" });
    const tf = settingsForModel(run, "tf");
    assert.equal(tf.tfaotBatchRules, "");
    assert.equal(tf.onnxLibrary, "npm");
    assert.equal(run.tfaotBatchRules, "4:2,2", "the given settings are left as they are");
    assert.equal(
      runParamsPart(tf, { repeats: false }),
      "input_random__nevents_1__ncalls_5__threads_1__warmup_2__warmupsec_0__ortlib_npm",
    );
    assert.equal(
      runParamsPart(settingsForModel(run, "tfaot"), { repeats: false }),
      "input_random__nevents_1__ncalls_5__threads_1__warmup_2__warmupsec_0__rules_4x2.2__ortlib_npm",
    );
  });

  test("each engine's fields of a job file and of a cmsRun config rendered at submission", () => {
    const run = testRun({ tfaotBatchRules: "4:2,2-3:ones" });
    assert.deepEqual(engineJobFields("onnx", run), { onnxLibrary: "pypi" });
    assert.deepEqual(engineJobFields("tfaot", run), { batchRules: "4:2,2-3:ones" });
    assert.deepEqual(engineJobFields("tfaot", testRun()), {});
    assert.deepEqual(engineJobFields("tf", run), {});
    assert.deepEqual(engineJobFields("check", run), {}, "an engine MLProf does not know has none");
    assert.deepEqual(engineConfigFields("tfaot", run), { batchRules: ["4:2,2", "3:1,1,1"] });
    assert.deepEqual(engineConfigFields("onnx", run), {});
  });

  test("an engine's check refuses settings that contradict the others: one error naming both flags", () => {
    assert.throws(() => checkEngineSettings(testRun({ onnxLibrary: "npm", executor: "cmssw" })), {
      message:
        "--onnx-library npm chooses the ONNX Runtime build the local executor measures; " +
        "--executor cmssw measures the ONNX Runtime CMSSW builds",
    });
    checkEngineSettings(testRun({ onnxLibrary: "npm" }));
  });
});

describe("preparation facts", () => {
  const record = (engine: string, preparation: unknown) =>
    ({ model: { engine }, process: { preparation } }) as unknown as PartialRecord;
  const rule = (chunks: number[], padding: number) => ({
    batchRule: { target: 3, chunks, padding, source: "default" },
  });

  test("tfaot: a batch rule of several chunks, or a padded one, stitched the batch size", () => {
    assert.deepEqual(preparationSummary(record("tfaot", rule([2, 2], 1)), "m.json"), { stitched: true });
    assert.deepEqual(preparationSummary(record("tfaot", rule([4], 1)), "m.json"), { stitched: true });
    assert.deepEqual(preparationSummary(record("tfaot", rule([3], 0)), "m.json"), { stitched: false });
    assert.deepEqual(preparationSummary(record("tfaot", { compileMs: 3 }), "m.json"), {});
  });

  test("facts are checked against their engine's schema: an error names the file and the field", () => {
    assert.throws(
      () =>
        preparationSummary(
          record("tfaot", { batchRule: { target: 3, chunks: [2, 2], padding: "1" } }),
          "m.json",
        ),
      (err: Error) => {
        assert.match(
          err.message,
          /^m\.json: field process\.preparation\.batchRule\.padding: expected a finite number, found the string "1"/,
        );
        return true;
      },
    );
    assert.throws(
      () => preparationSummary(record("onnx", { onnxLibrary: { kind: "conda" } }), "m.json"),
      /^MlprofError: m\.json: field process\.preparation\.onnxLibrary\.kind: expected one of "pypi", "npm", found the string "conda"/,
    );
  });

  test("no facts, or an engine without a schema of its own: nothing to say", () => {
    assert.equal(preparationSummary(record("tfaot", undefined), "m.json"), undefined);
    assert.equal(preparationSummary(record("tf", { compileMs: 1 }), "m.json"), undefined);
    assert.equal(preparationSummary(record("check", { anything: 1 }), "m.json"), undefined);
  });
});
