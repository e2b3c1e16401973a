/**
 * Constant inputs of TF1 Keras graphs (issue 13, item 9): `{name: keras_learning_phase, dtype: bool,
 * value: false}` without a shape is a scalar without batch dimension and measures; a learning phase fed
 * with a batch dimension that the graph does not check fails at run time with an error naming the input
 * and what to declare, and leaves nothing in the store.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { loadModelFile } from "../../src/engines/modelfile.js";
import { ensureTfRunner } from "../../src/engines/tf/runner.js";
import { FIXTURES, listFiles, mlprof, tempData } from "../helpers/cli.js";
import { ensureBuilt, useSharedTestSoftware } from "../helpers/software.js";

useSharedTestSoftware();
const data = tempData();
const work = mkdtempSync(join(tmpdir(), "mlprof-tf-constants-"));
const yaml = join(FIXTURES, "tf", "model_tf1_learning_phase.yaml");
before(async () => {
  await ensureTfRunner((m) => console.log(`# ${m}`));
  ensureBuilt();
});
after(() => {
  data.cleanup();
  rmSync(work, { recursive: true, force: true });
});

/** The learning-phase model file with another second input. */
const model = (input: string) =>
  readFileSync(yaml, "utf8")
    .replace("./tf1_learning_phase.pb", join(FIXTURES, "tf", "tf1_learning_phase.pb"))
    .replace(/^ {4}- \{ ?name: keras_learning_phase.*$/m, `    - ${input}`);

const measure = (file: string) =>
  mlprof(
    [
      "run",
      "MeasureRuntime",
      "--version",
      "v1",
      "--model-file",
      file,
      "--n-calls",
      "5",
      "--repeats",
      "1",
      "--batch-size",
      "3",
    ],
    data.env,
  );

test("a constant without shape is a scalar without batch dimension; one with a shape keeps its batch dimension", () => {
  const spec = loadModelFile(yaml);
  const lp = spec.inputs.find((i) => i.name === "keras_learning_phase")!;
  assert.deepEqual(lp, {
    name: "keras_learning_phase",
    shape: [],
    dtype: "bool",
    batched: false,
    value: false,
  });
  const other = join(work, "shaped.yaml");
  writeFileSync(other, model("{name: flag, dtype: float32, value: 1, shape: [2]}"));
  assert.equal(loadModelFile(other).inputs.find((i) => i.name === "flag")!.batched, true);
});

test("the TF1 Keras learning phase written without shape measures", async () => {
  const res = await measure(yaml);
  assert.equal(res.code, 0, res.stderr);
  const csv = listFiles(data.store).find((f) => f.startsWith("MeasureRuntime/") && f.endsWith(".csv"))!;
  assert.equal(
    readFileSync(join(data.store, csv), "utf8")
      .split("\n")
      .filter((l) => l.startsWith("3,")).length,
    5,
  );
});

test("a learning phase fed with a batch dimension: the run-time error names the input and what to declare", async () => {
  const before = listFiles(data.store);
  const bad = join(work, "batched.yaml");
  writeFileSync(bad, model("{name: keras_learning_phase, dtype: bool, value: false, batched: true}"));
  const res = await measure(bad);
  assert.equal(res.code, 1, res.stderr);
  assert.match(
    res.stderr,
    /failed \(first call\): TF_SessionRun failed at batch size 3: The second input must be a scalar/,
  );
  assert.match(
    res.stderr,
    /input 'keras_learning_phase' was fed as \[3\] and the graph does not fix its rank: declare its shape without the batch dimension, e\.g\. 'shape: \[\]' for a scalar, and 'batched: false'/,
  );
  assert.deepEqual(listFiles(data.store), before, "nothing new in the store");
});
