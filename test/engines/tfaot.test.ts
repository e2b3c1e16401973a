/**
 * The tfaot engine: compilation of a SavedModel per batch size with saved_model_cli (cached; unknown XLA
 * flags named), the runner rendered from the compiled headers, outputs equal to TensorFlow Python's on the
 * same inputs for a compiled, a stitched and a padded batch size (every dtype), and tfaot examples
 * measuring through the CLI with the batch rule in the metadata and the output path.
 *
 * TensorFlow, the XLA AOT runtime (a CMake build of minutes, once per machine) and the compilations are
 * shared by the test files: $MLP_SOFTWARE when set, else <tmp>/mlprof-test-software. Where the local
 * wheel index /opt/pypi/simple exists and no index is configured, PIP_INDEX_URL points to it.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { execa } from "execa";
import { compileSavedModel } from "../../src/engines/tfaot/compile.js";
import { tfaotEngine } from "../../src/engines/tfaot/index.js";
import { ensureXlaRuntime } from "../../src/engines/tfaot/xla-runtime.js";
import { loadModelFile } from "../../src/engines/modelfile.js";
import { tfaotSpec } from "../../src/engines/tfaot/modelfile.js";
import type { DumpedTensor, MeasureJob, MeasureProcessMeta, PreparationMeta } from "../../src/measure/job.js";
import type { TfaotFacts } from "../../src/engines/tfaot/params.js";

/** A tfaot measurement process's metadata, its preparation facts typed as the tfaot engine declares them. */
type TfaotProcessMeta = MeasureProcessMeta & { preparation?: PreparationMeta & TfaotFacts };
import { softwareDir } from "../../src/paths.js";
import { ensureTensorflow, type TensorflowInstall } from "../../src/engines/tf/install.js";
import { MlprofError } from "../../src/util/errors.js";
import { mlprof, REPO, tempData } from "../helpers/cli.js";
import { testJob } from "../helpers/job.js";
import { ensureBuilt, useSharedTestSoftware } from "../helpers/software.js";

useSharedTestSoftware();

const work = mkdtempSync(join(tmpdir(), "mlprof-tfaot-engine-"));
after(() => rmSync(work, { recursive: true, force: true }));
const DNN = join(REPO, "examples/dnn/saved_model_l10u128");
let tf: TensorflowInstall;
let multi: string;

// a SavedModel with inputs of every dtype (declared in an order the compiler does not keep) and two outputs
const MULTI_MODEL = `
import sys, numpy as np, tensorflow as tf
rng = np.random.default_rng(3)
w = tf.constant(rng.normal(0, 0.5, (4, 3)).astype(np.float32))
class M(tf.Module):
    @tf.function(input_signature=[
        tf.TensorSpec([None, 4], tf.float32, name="x"),
        tf.TensorSpec([None, 3], tf.int32, name="ids"),
        tf.TensorSpec([None, 2, 2], tf.float64, name="scale"),
        tf.TensorSpec([None, 2], tf.int64, name="counts"),
        tf.TensorSpec([None, 1], tf.bool, name="flag"),
    ])
    def __call__(self, x, ids, scale, counts, flag):
        h = tf.matmul(x, w) + tf.cast(ids, tf.float32)
        h = h + tf.cast(tf.reduce_sum(counts, axis=1, keepdims=True), tf.float32)
        h = tf.where(flag, h, -h)
        s = tf.reduce_sum(scale, axis=[1, 2]) * tf.cast(tf.reduce_mean(h, axis=1), tf.float64)
        return {"probs": tf.nn.softmax(h), "aux": s}
m = M()
tf.saved_model.save(m, sys.argv[1], signatures={"serving_default": m.__call__})
`;

/** The multi-dtype SavedModel, written once per software folder (its content keys the compile cache). */
async function multiModel(): Promise<string> {
  const dir = join(
    softwareDir(),
    "test-fixtures",
    `tfaot-multi-${createHash("sha256").update(MULTI_MODEL).digest("hex").slice(0, 10)}`,
  );
  if (!existsSync(join(dir, "saved_model.pb"))) {
    rmSync(dir, { recursive: true, force: true });
    await execa(tf.venv.python, ["-c", MULTI_MODEL, dir], {
      env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: "3" },
    });
  }
  return dir;
}

before(async () => {
  const log = (m: string) => console.log(`# ${m}`);
  tf = await ensureTensorflow(log);
  const runtime = await ensureXlaRuntime(tf, log);
  log(
    `XLA AOT runtime: ${runtime.library} (${runtime.cached ? "cached" : `built in ${runtime.seconds.toFixed(0)} s`})`,
  );
  multi = await multiModel();
  ensureBuilt();
});

let counter = 0;

/** A tfaot model file in the work folder. */
function modelFile(savedModel: string, batchSizes: number[], extra = ""): string {
  const file = join(work, `model${counter++}.yaml`);
  writeFileSync(
    file,
    `model:\n  name: test_tfaot\n  inference_engine: tfaot\n  saved_model: ${savedModel}\n${extra}` +
      `compilation:\n  batch_sizes: [${batchSizes.join(", ")}]\n  xla_flags: []\n  tf_xla_flags: []\n`,
  );
  return file;
}

type Dump = { inputs: Record<string, DumpedTensor>; outputs: Record<string, DumpedTensor> };

/** Runs the tfaot driver and runner on a model file with a dump, as the local executor does. */
async function measureWithDump(
  yaml: string,
  batchSize: number,
  batchRules = "",
): Promise<{
  dump: Dump;
  meta: MeasureProcessMeta;
  preparation: PreparationMeta & TfaotFacts;
  rows: number;
  job: MeasureJob;
}> {
  const spec = loadModelFile(yaml);
  const dir = join(work, `m${counter++}`);
  mkdirSync(dir);
  const job = testJob(dir, {
    engine: spec.engine,
    modelPath: tfaotEngine.local.modelPath(spec),
    modelLabel: "test",
    inputs: spec.inputs,
    outputs: spec.outputs.map((o) => o.name),
    batchSize,
    run: { nEvents: 2, nCalls: 5, nWarmup: 1, tfaotBatchRules: batchRules },
  });
  const preparation = (await tfaotEngine.local.prepare!(job, spec, () => undefined)) as PreparationMeta &
    TfaotFacts;
  const jobFile = join(dir, "job.json");
  writeFileSync(jobFile, JSON.stringify(job));
  const cmd = tfaotEngine.local.command(jobFile);
  const res = await execa(cmd.file, cmd.args, { env: cmd.env, reject: false });
  if (res.exitCode !== 0) {
    const err = existsSync(job.errorPath) ? readFileSync(job.errorPath, "utf8") : String(res.stderr);
    throw new Error(`measurement process failed (${res.exitCode}): ${err}`);
  }
  return {
    dump: JSON.parse(readFileSync(job.dumpPath!, "utf8")) as Dump,
    meta: JSON.parse(readFileSync(job.metaPath, "utf8")) as MeasureProcessMeta,
    preparation,
    rows: readFileSync(job.csvPath, "utf8").trim().split("\n").length,
    job,
  };
}

// feeds the dumped inputs to the SavedModel's serving signature in Python; prints the deviation per output
const REFERENCE = `
import json, os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np, tensorflow as tf
model, dump_path = sys.argv[1], sys.argv[2]
dump = json.load(open(dump_path))
f = tf.saved_model.load(model).signatures["serving_default"]
specs = f.structured_input_signature[1]
feed = {k: tf.constant(np.array(v["data"]).reshape(v["shape"]).astype(specs[k].dtype.as_numpy_dtype)) for k, v in dump["inputs"].items()}
results = f(**feed)
out = {}
for n, r in results.items():
    ref = r.numpy().astype(np.float64)
    got = np.array(dump["outputs"][n]["data"], dtype=np.float64).reshape(dump["outputs"][n]["shape"])
    out[n] = {"shape": list(ref.shape), "gotShape": dump["outputs"][n]["shape"],
              "maxAbs": float(np.max(np.abs(ref - got))), "maxRef": float(np.max(np.abs(ref)))}
print(json.dumps(out))
`;

async function assertMatchesTensorflow(savedModel: string, dump: Dump, outputs: string[]): Promise<void> {
  const dumpPath = join(work, `ref${counter++}.json`);
  writeFileSync(dumpPath, JSON.stringify(dump));
  const { stdout } = await execa(tf.venv.python, ["-c", REFERENCE, savedModel, dumpPath]);
  const devs = JSON.parse(stdout) as Record<
    string,
    { shape: number[]; gotShape: number[]; maxAbs: number; maxRef: number }
  >;
  assert.deepEqual(Object.keys(devs).sort(), [...outputs].sort());
  for (const [name, d] of Object.entries(devs)) {
    assert.deepEqual(d.gotShape, d.shape, `${name}: shape`);
    assert.ok(d.maxRef > 0, `${name}: non-trivial outputs`);
    assert.ok(d.maxAbs <= 1e-5 * Math.max(1, d.maxRef), `${name}: deviation ${d.maxAbs} from TensorFlow`);
  }
}

describe("compilation", () => {
  test("cold, then cached: a second compilation compiles nothing", async () => {
    const env = { ...process.env, MLP_SOFTWARE: join(work, "cold-software") };
    const spec = tfaotSpec(loadModelFile(modelFile(DNN, [4, 2])));
    const messages: string[] = [];
    const cold = await compileSavedModel(spec, tf, (m) => messages.push(m), env);
    assert.equal(cold.cached, false);
    assert.ok(cold.compileMs > 0);
    assert.ok(
      messages.some((m) => /compiled 2 batch sizes of .* in \d+:\d\d$/.test(m)),
      messages.join("\n"),
    );
    assert.deepEqual(cold.signature.batchSizes, [2, 4]);
    assert.deepEqual(cold.signature.args, [{ name: "input", dtype: "float32", shape: [64], count: 64 }]);
    assert.deepEqual(cold.signature.results, [{ name: "output", dtype: "float32", shape: [8], count: 8 }]);
    // every object file the compiler writes is linked
    assert.deepEqual(
      cold.objects.map((o) => basename(o)),
      [
        "model_bs2.o",
        "model_bs2_constants.o",
        "model_bs2_metadata.o",
        "model_bs4.o",
        "model_bs4_constants.o",
        "model_bs4_metadata.o",
      ],
    );
    const started = performance.now();
    const cached = await compileSavedModel(
      spec,
      tf,
      () => assert.fail("a cached compilation reports nothing"),
      env,
    );
    assert.equal(cached.cached, true);
    assert.equal(cached.key, cold.key);
    assert.equal(cached.compileMs, cold.compileMs);
    assert.ok(
      performance.now() - started < cold.compileMs,
      "the cache lookup is faster than the compilation",
    );
    const other = await compileSavedModel(
      tfaotSpec(loadModelFile(modelFile(DNN, [2]))),
      tf,
      () => undefined,
      env,
    );
    assert.notEqual(other.key, cold.key);
  });

  test("an unknown XLA flag is named (the spec example's --xla_cpu_use_xla_runtime=true)", async () => {
    const yaml = join(work, "flag.yaml");
    writeFileSync(
      yaml,
      `model:\n  name: f\n  inference_engine: tfaot\n  saved_model: ${DNN}\ncompilation:\n  batch_sizes: [1]\n` +
        "  xla_flags: [--xla_cpu_enable_fast_math=true, --xla_cpu_use_xla_runtime=true]\n",
    );
    await assert.rejects(
      compileSavedModel(tfaotSpec(loadModelFile(yaml)), tf, () => undefined),
      (err: unknown) =>
        err instanceof MlprofError &&
        /compilation\.xla_flags: the XLA of TensorFlow 2\.21\.0 does not know the flag --xla_cpu_use_xla_runtime=true/.test(
          err.message,
        ) &&
        /remove --xla_cpu_use_xla_runtime=true/.test(err.hint!),
    );
  });

  test("malformed flags and a missing serving key are clear errors", async () => {
    const flags = join(work, "flags.yaml");
    writeFileSync(
      flags,
      `model:\n  inference_engine: tfaot\n  saved_model: ${DNN}\ncompilation:\n  batch_sizes: [1]\n  tf_xla_flags: ["--a=1 --b=2"]\n`,
    );
    await assert.rejects(
      compileSavedModel(tfaotSpec(loadModelFile(flags)), tf, () => undefined),
      /compilation\.tf_xla_flags: '--a=1 --b=2' is not a flag/,
    );
    const key = modelFile(DNN, [1], "  serving_key: serve_me\n");
    await assert.rejects(
      compileSavedModel(tfaotSpec(loadModelFile(key)), tf, () => undefined),
      /has no serving signature 'serve_me'; it has: serving_default/,
    );
  });
});

describe("outputs equal TensorFlow's on the same inputs", () => {
  test("DNN 10x128 compiled for 2 and 4: compiled, stitched and padded batch sizes", async () => {
    const yaml = modelFile(DNN, [2, 4]);
    for (const [batchSize, rules, chunks, padding, source] of [
      [4, "", [4], 0, "default"],
      [6, "6:4,2", [4, 2], 0, "--tfaot-batch-rules"],
      [3, "", [2, 2], 1, "default"],
      [5, "5:4,2-3:2,2", [4, 2], 1, "--tfaot-batch-rules"],
    ] as const) {
      const { dump, meta, preparation, rows } = await measureWithDump(yaml, batchSize, rules);
      assert.equal(rows, 10);
      assert.deepEqual(dump.inputs.input!.shape, [batchSize, 64]);
      assert.deepEqual(preparation.batchRule, { target: batchSize, chunks, padding, source });
      assert.deepEqual(preparation.compiledBatchSizes, [2, 4]);
      assert.equal(meta.engine.name, "tensorflow-xla-aot");
      assert.equal(meta.engine.version, "2.21.0");
      assert.equal(
        meta.engine.batchRule,
        `${batchSize}:${chunks.join(",")} (last chunk padded by ${padding})`,
      );
      await assertMatchesTensorflow(DNN, dump, ["output"]);
    }
  });

  test("every dtype, arguments in the compiler's order, two outputs: compiled, stitched, padded", async () => {
    const yaml = modelFile(multi, [1, 2]);
    for (const [batchSize, rules] of [
      [2, ""],
      [3, ""],
      [3, "3:2,2"],
    ] as const) {
      const { dump, job } = await measureWithDump(yaml, batchSize, rules);
      assert.deepEqual(job.inputs.map((i) => i.name).sort(), ["counts", "flag", "ids", "scale", "x"]);
      assert.deepEqual(dump.inputs.scale!.shape, [batchSize, 2, 2]);
      assert.ok((dump.inputs.flag!.data as number[]).every((v) => v === 0 || v === 1));
      assert.ok((dump.inputs.ids!.data as number[]).every((v) => Number.isInteger(v) && v >= 0 && v < 10));
      assert.deepEqual(dump.outputs.aux!.shape, [batchSize]);
      await assertMatchesTensorflow(multi, dump, ["probs", "aux"]);
    }
  });

  test("declared inputs are checked against the compiled model", async () => {
    const yaml = modelFile(DNN, [2, 4], "  inputs:\n    - name: input\n      shape: [32]\n");
    await assert.rejects(
      measureWithDump(yaml, 2),
      /declared input 'input' \(float32, \[32\]\) does not match input \(float32, \[64\] per batch element\)/,
    );
    await assert.rejects(
      measureWithDump(modelFile(DNN, [2, 4]), 2, "2:1,1"),
      /uses batch size 1, but the model is compiled for 2, 4 only/,
    );
  });
});

describe("tfaot examples measure through the CLI", () => {
  const data = tempData();
  after(() => data.cleanup());
  const measure = (yaml: string, batchSize: number, extra: string[] = []) =>
    mlprof(
      [
        "run",
        "MeasureRuntime",
        "--version",
        "aot",
        "--model-file",
        yaml,
        "--batch-size",
        String(batchSize),
        "--n-calls",
        "3",
        "--n-warmup",
        "1",
        "--repeats",
        "1",
        ...extra,
      ],
      data.env,
    );

  for (const [yaml, batchSize, chunks] of [
    ["examples/dnn/model_tfaot_l10u128.yaml", 3, [1, 1, 1]],
    ["examples/cnn/model_tfaot_i32c1v3l10u128_opt.yaml", 2, [1, 1]],
  ] as const) {
    test(`${yaml} at batch size ${batchSize}: the default rule stitches compiled size 1`, async () => {
      const res = await measure(yaml, batchSize);
      assert.equal(res.code, 0, res.stderr + res.stdout);
      const csv = res.stdout
        .split("\n")
        .find((l) => l.trim().endsWith(`runtime_bs_${batchSize}.csv`))!
        .trim();
      const rows = readFileSync(csv, "utf8")
        .split("\n")
        .filter((l) => /^\d/.test(l));
      assert.equal(rows.length, 3);
      assert.ok(rows.every((r) => r.startsWith(`${batchSize},`) && Number(r.split(",")[1]) > 0));
      const meta = JSON.parse(readFileSync(csv.replace(/\.csv$/, ".json"), "utf8")) as {
        process: TfaotProcessMeta;
        model: { engine: string };
      };
      assert.equal(meta.model.engine, "tfaot");
      assert.equal(meta.process.engine.name, "tensorflow-xla-aot");
      assert.ok(meta.process.timings.firstCallMs! > 0, "the first (cold) call is recorded on its own");
      const prep = meta.process.preparation!;
      assert.ok(typeof prep.compileMs === "number" && prep.compileMs > 0);
      assert.equal(typeof prep.cached, "boolean");
      assert.deepEqual(prep.batchRule, { target: batchSize, chunks, padding: 0, source: "default" });
      if (yaml.endsWith("_opt.yaml")) assert.deepEqual(prep.xlaFlags, ["--xla_cpu_enable_fast_math=true"]);
    });
  }

  test("a rule in effect goes into the output path and the metadata", async () => {
    const yaml = "examples/dnn/model_tfaot_l10u128.yaml";
    const res = await measure(yaml, 4, ["--tfaot-batch-rules", "4:ones"]);
    assert.equal(res.code, 0, res.stderr + res.stdout);
    const csv = res.stdout
      .split("\n")
      .find((l) => l.trim().endsWith("runtime_bs_4.csv"))!
      .trim();
    assert.match(csv, /__rules_4xones(__repeats_1)?\//);
    const meta = JSON.parse(readFileSync(csv.replace(/\.csv$/, ".json"), "utf8")) as {
      process: TfaotProcessMeta;
    };
    assert.deepEqual(meta.process.preparation!.batchRule, {
      target: 4,
      chunks: [1, 1, 1, 1],
      padding: 0,
      source: "--tfaot-batch-rules",
    });
  });

  test("invalid rules are refused before anything is measured", async () => {
    const yaml = "examples/dnn/model_tfaot_l10u128.yaml";
    const short = await measure(yaml, 5, ["--tfaot-batch-rules", "5:2,2"]);
    assert.equal(short.code, 1);
    assert.match(
      short.stderr,
      /--tfaot-batch-rules: in the rule '5:2,2' the sizes sum to 4, less than the target batch size 5/,
    );
    const uncompiled = await measure(yaml, 5, ["--tfaot-batch-rules", "1:1-5:twos"]);
    assert.equal(uncompiled.code, 1);
    assert.match(
      uncompiled.stderr,
      /the rule '5:2,2,2' uses batch size 2, but the model is compiled for 1 only/,
    );
  });
});
