/**
 * The TensorFlow engine: the tool-managed venv, the native runner built against the wheel's C API, outputs
 * equal to TensorFlow Python's (and the ONNX engine's equal to onnxruntime's), every tf and onnx example
 * measuring through the CLI, and clear errors for bad inputs.
 *
 * The venv is shared by the test files: $MLP_SOFTWARE when set, else <tmp>/mlprof-test-software. Where the
 * local wheel index /opt/pypi/simple exists and no index is configured, PIP_INDEX_URL points to it.
 */
import assert from "node:assert/strict";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { execa } from "execa";
import { onnxEngine } from "../../src/engines/onnx/index.js";
import { tfEngine } from "../../src/engines/tf/index.js";
import { ensureTfRunner, tfRunnerSpec, type TfRunner } from "../../src/engines/tf/runner.js";
import { graphFileOf } from "../../src/engines/graph-file.js";
import { loadModelFile } from "../../src/engines/modelfile.js";
import type { DumpedTensor, MeasureJob, MeasureProcessMeta } from "../../src/measure/job.js";
import { buildKey } from "../../src/native/build.js";
import { pipEnv } from "../../src/pyenv/venv.js";
import { queryTensorflow } from "../../src/engines/tf/install.js";
import { MlprofError } from "../../src/util/errors.js";
import { mlprof, REPO, tempData } from "../helpers/cli.js";
import { testJob } from "../helpers/job.js";
import { ensureBuilt, useSharedTestSoftware } from "../helpers/software.js";

useSharedTestSoftware();

const work = mkdtempSync(join(tmpdir(), "mlprof-tf-engine-"));
let tf: TfRunner;

before(async () => {
  tf = await ensureTfRunner((m) => console.log(`# ${m}`));
  ensureBuilt();
});
after(() => rmSync(work, { recursive: true, force: true }));

type Dump = { inputs: Record<string, DumpedTensor>; outputs: Record<string, DumpedTensor> };

let counter = 0;

/** Runs an engine's measurement process on a model file with a dump, as the local executor does. */
async function measureWithDump(
  engine: typeof tfEngine,
  yaml: string,
  batchSize: number,
  over: Partial<MeasureJob> = {},
): Promise<{ dump: Dump; meta: MeasureProcessMeta; rows: number }> {
  const spec = loadModelFile(yaml);
  const dir = join(work, `m${counter++}`);
  mkdirSync(dir);
  const job = testJob(
    dir,
    {
      engine: spec.engine,
      modelPath: engine.local.modelPath(spec),
      modelLabel: "test",
      inputs: spec.inputs,
      outputs: spec.outputs.map((o) => o.name),
      batchSize,
      run: { nEvents: 2, nCalls: 5, nWarmup: 1 },
    },
    over,
  );
  await engine.local.prepare?.(job, spec, () => undefined);
  const jobFile = join(dir, "job.json");
  writeFileSync(jobFile, JSON.stringify(job));
  const cmd = engine.local.command(jobFile);
  const res = await execa(cmd.file, cmd.args, { env: cmd.env, reject: false });
  if (res.exitCode !== 0) {
    const err = existsSync(job.errorPath) ? readFileSync(job.errorPath, "utf8") : String(res.stderr);
    throw new Error(`measurement process failed (${res.exitCode}): ${err}`);
  }
  const rows = readFileSync(job.csvPath, "utf8").trim().split("\n").length;
  return {
    dump: JSON.parse(readFileSync(job.dumpPath!, "utf8")) as Dump,
    meta: JSON.parse(readFileSync(job.metaPath, "utf8")) as MeasureProcessMeta,
    rows,
  };
}

// feeds the dumped inputs to the model in Python and prints, per output, the largest deviation
const REFERENCE = `
import json, os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np
engine, model, dump_path, dtypes = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
dump = json.load(open(dump_path))
feed = {k: np.array(v["data"], dtype=dtypes[k]).reshape(v["shape"]) for k, v in dump["inputs"].items()}
names = list(dump["outputs"].keys())
if engine == "tf":
    import tensorflow as tf
    tname = lambda n: n if ":" in n else n + ":0"
    gd = tf.compat.v1.GraphDef()
    gd.ParseFromString(open(model, "rb").read())
    g = tf.Graph()
    with g.as_default():
        tf.import_graph_def(gd, name="")
    with tf.compat.v1.Session(graph=g) as s:
        results = s.run([tname(n) for n in names], {tname(k): v for k, v in feed.items()})
else:
    import onnxruntime as ort
    s = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    results = s.run(names, feed)
out = {}
for n, r in zip(names, results):
    ref = np.asarray(r, dtype=np.float64)
    got = np.array(dump["outputs"][n]["data"], dtype=np.float64).reshape(dump["outputs"][n]["shape"])
    out[n] = {"shape": list(ref.shape), "gotShape": dump["outputs"][n]["shape"],
              "maxAbs": float(np.max(np.abs(ref - got))), "maxRef": float(np.max(np.abs(ref))), "size": int(ref.size)}
print(json.dumps(out))
`;

interface Deviation {
  shape: number[];
  gotShape: number[];
  maxAbs: number;
  maxRef: number;
  size: number;
}

async function reference(
  engine: "tf" | "onnx",
  yaml: string,
  dump: Dump,
): Promise<Record<string, Deviation>> {
  const spec = loadModelFile(yaml);
  const dtypes = Object.fromEntries(spec.inputs.map((i) => [i.name, i.dtype]));
  const dumpPath = join(work, `ref${counter++}.json`);
  writeFileSync(dumpPath, JSON.stringify(dump));
  const { stdout } = await execa(tf.tf.venv.python, [
    "-c",
    REFERENCE,
    engine,
    graphFileOf(spec),
    dumpPath,
    JSON.stringify(dtypes),
  ]);
  return JSON.parse(stdout) as Record<string, Deviation>;
}

function assertClose(devs: Record<string, Deviation>, outputs: string[]): void {
  assert.deepEqual(Object.keys(devs).sort(), [...outputs].sort());
  for (const [name, d] of Object.entries(devs)) {
    assert.deepEqual(d.gotShape, d.shape, `${name}: shape`);
    assert.ok(d.size > 0 && d.maxRef > 0, `${name}: non-trivial outputs`);
    assert.ok(d.maxAbs <= 1e-5 * Math.max(1, d.maxRef), `${name}: deviation ${d.maxAbs} from the reference`);
  }
}

describe("outputs equal the references on the same inputs", () => {
  test("TF runner = TensorFlow Python: DNN 10x128 example", async () => {
    const yaml = join(REPO, "examples/dnn/model_tf_l10u128.yaml");
    const { dump, meta, rows } = await measureWithDump(tfEngine, yaml, 3);
    assert.equal(rows, 10);
    assert.deepEqual(dump.inputs.input!.shape, [3, 64]);
    assert.equal(meta.engine.name, "tensorflow");
    assert.equal(meta.engine.version, "2.21.0");
    assert.equal(meta.engine.binding, "C API");
    assertClose(await reference("tf", yaml, dump), ["Identity"]);
  });

  test("TF runner = TensorFlow Python: TF1 Keras-style graph (every dtype, unknown shapes, learning phase)", async () => {
    const yaml = join(REPO, "test/fixtures/tf/model_tf1_keras.yaml");
    for (const batchSize of [1, 5]) {
      const { dump } = await measureWithDump(tfEngine, yaml, batchSize);
      assert.deepEqual(dump.inputs.keras_learning_phase, { shape: [], data: [0] });
      assert.deepEqual(dump.inputs.scale!.shape, [batchSize, 2, 2]);
      assert.ok((dump.inputs.ids!.data as number[]).every((v) => Number.isInteger(v) && v >= 0 && v < 5));
      assertClose(await reference("tf", yaml, dump), ["ID_pred/Softmax", "aux/Sum:0"]);
    }
  });

  test("TF runner with several intra-op threads still matches", async () => {
    const yaml = join(REPO, "examples/cnn/model_tf_i32c1v3l10u128.yaml");
    const { dump, meta } = await measureWithDump(tfEngine, yaml, 4, { threads: 2, interOpThreads: 2 });
    assert.deepEqual(meta.threads, { intraOp: 2, interOp: 2 });
    assertClose(await reference("tf", yaml, dump), ["Identity"]);
  });

  test("ONNX engine = onnxruntime Python: DNN 10x128 example", async () => {
    const probe = await execa(tf.tf.venv.python, ["-c", "import onnxruntime"], { reject: false });
    if (probe.exitCode !== 0) {
      await execa(tf.tf.venv.python, ["-m", "pip", "install", "--no-input", "onnxruntime==1.30.0"], {
        env: pipEnv(),
      });
    }
    const yaml = join(REPO, "examples/dnn/model_onnx_l10u128.yaml");
    const { dump } = await measureWithDump(onnxEngine, yaml, 3);
    assertClose(await reference("onnx", yaml, dump), ["output"]);
  });
});

describe("every tf and onnx example measures through the CLI", () => {
  const data = tempData();
  after(() => data.cleanup());
  const yamls = ["dnn", "cnn"].flatMap((family) =>
    readdirSync(join(REPO, "examples", family))
      .filter((f) => /^model_(tf|onnx)_.*\.yaml$/.test(f))
      .map((f) => join("examples", family, f)),
  );

  test("the examples exist", () => assert.ok(yamls.length >= 18, yamls.join(", ")));

  for (const yaml of yamls) {
    test(yaml, async () => {
      const args = ["run", "MeasureRuntime", "--version", "ex", "--model-file", yaml, "--batch-size", "2"];
      const res = await mlprof([...args, "--n-calls", "3", "--n-warmup", "1", "--repeats", "1"], data.env);
      assert.equal(res.code, 0, res.stderr + res.stdout);
      const csv = res.stdout
        .split("\n")
        .find((l) => l.trim().endsWith("runtime_bs_2.csv"))!
        .trim();
      const rows = readFileSync(csv, "utf8")
        .split("\n")
        .filter((l) => /^\d/.test(l));
      assert.equal(rows.length, 3);
      assert.ok(rows.every((r) => r.startsWith("2,") && Number(r.split(",")[1]) > 0));
      const meta = JSON.parse(readFileSync(csv.replace(/\.csv$/, ".json"), "utf8")) as {
        process: MeasureProcessMeta;
      };
      assert.equal(meta.process.engine.name, yaml.includes("_tf_") ? "tensorflow" : "onnxruntime");
      assert.ok(meta.process.timings.firstCallMs! > 0, "the first (cold) call is recorded on its own");
    });
  }
});

describe("bad inputs give clear errors", () => {
  const data = tempData();
  after(() => data.cleanup());
  const model = (name: string, body: string) => {
    const dir = join(data.dir, "models");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, `model:\n  inference_engine: tf\n${body}`);
    return file;
  };
  const run = (yaml: string) =>
    mlprof(["run", "MeasureRuntime", "--version", "bad", "--model-file", yaml, "--n-calls", "2"], data.env);
  const graph = join(REPO, "examples/dnn/frozen_graph_l10u128.pb");

  test("a declared input that is not in the graph lists the graph's placeholders", async () => {
    const yaml = model(
      "wrong_input",
      `  file: ${graph}\n  inputs:\n    - name: nope\n      shape: [64]\n  outputs:\n    - name: Identity\n`,
    );
    const res = await run(yaml);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /declared input 'nope' is not an input of the model/);
    assert.match(res.stderr, /model input 'input' is not declared in the model file/);
    assert.match(res.stderr, /the model's inputs are: input \(float32, \[\?, 64\]\)/);
  });

  test("wrong dtype, rank and a missing output are named", async () => {
    const yaml = model(
      "wrong_all",
      `  file: ${graph}\n  inputs:\n    - name: "input:0"\n      shape: [8, 8]\n      dtype: float64\n  outputs:\n    - name: NoSuchOutput\n`,
    );
    const res = await run(yaml);
    assert.equal(res.code, 1);
    assert.match(
      res.stderr,
      /declared output 'NoSuchOutput' not found; the model's outputs are: Identity \(float32, \[\?, 8\]\)/,
    );
    const yaml2 = model(
      "wrong_types",
      `  file: ${graph}\n  inputs:\n    - name: "input:0"\n      shape: [8, 8]\n      dtype: float64\n  outputs:\n    - name: Identity\n`,
    );
    const res2 = await run(yaml2);
    assert.match(res2.stderr, /input 'input:0' is declared as float64 but the model expects float32/);
    assert.match(
      res2.stderr,
      /input 'input:0' has rank 3 at batch size 1 \(\[1, 8, 8\]\) but the model expects rank 2/,
    );
  });

  test("a learning-phase flag left undeclared is named", async () => {
    const fixture = readFileSync(join(REPO, "test/fixtures/tf/model_tf1_keras.yaml"), "utf8");
    const body = fixture
      .replace(
        /^[\s\S]*? {2}file: \.\/tf1_keras\.pb\n/,
        `  file: ${join(REPO, "test/fixtures/tf/tf1_keras.pb")}\n`,
      )
      .replace(/ {4}- name: keras_learning_phase[\s\S]*?batched: false\n/, "");
    const res = await run(model("no_flag", body));
    assert.equal(res.code, 1);
    assert.match(res.stderr, /model input 'keras_learning_phase' is not declared in the model file/);
    assert.match(res.stderr, /keras_learning_phase \(bool, \[\]\)/);
  });

  test("a corrupt .pb is refused by TensorFlow with the file named", async () => {
    const pb = join(data.dir, "corrupt.pb");
    // a GraphDef whose one node is garbage: past the content check, refused by TensorFlow
    writeFileSync(pb, Buffer.from([0x0a, 0x03, 0xff, 0xff, 0xff]));
    const yaml = model(
      "corrupt",
      `  file: ${pb}\n  inputs:\n    - name: input\n      shape: [64]\n  outputs:\n    - name: Identity\n`,
    );
    const res = await run(yaml);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /TensorFlow cannot import .*corrupt\.pb as a frozen GraphDef/);
  });

  test("a file that is no protobuf message is refused before TensorFlow sees it", async () => {
    const pb = join(data.dir, "garbage.pb");
    writeFileSync(pb, Buffer.from("this is not a GraphDef \x00\x01\x02 at all"));
    const yaml = model(
      "garbage",
      `  file: ${pb}\n  inputs:\n    - name: input\n      shape: [64]\n  outputs:\n    - name: Identity\n`,
    );
    const res = await run(yaml);
    assert.equal(res.code, 1);
    assert.match(
      res.stderr,
      /field 'model\.file': expected a TensorFlow frozen graph \(a GraphDef\) for the tf engine, found neither an ONNX model nor a TensorFlow graph \(not a protobuf message\): '.*garbage\.pb'/,
    );
  });

  test("missing TensorFlow headers or libraries are clear errors", async () => {
    const fake = join(data.dir, "fakevenv");
    const pkg = join(fake, "tensorflow");
    mkdirSync(join(fake, "bin"), { recursive: true });
    mkdirSync(pkg, { recursive: true });
    const python = join(fake, "bin", "python");
    writeFileSync(python, `#!/bin/sh\necho '{"dir": "${pkg}", "version": "2.21.0"}'\n`);
    chmodSync(python, 0o755);
    await assert.rejects(
      queryTensorflow({ dir: fake, python }),
      (err: unknown) => err instanceof MlprofError && /C API headers are missing/.test(err.message),
    );
    mkdirSync(join(pkg, "include", "tensorflow", "c"), { recursive: true });
    writeFileSync(join(pkg, "include", "tensorflow", "c", "c_api.h"), "");
    await assert.rejects(
      queryTensorflow({ dir: fake, python }),
      /libtensorflow_cc\.so\.2, libtensorflow_framework\.so\.2 are missing/,
    );
  });

  test("the runner's cache key follows the TensorFlow version", () => {
    const spec = tfRunnerSpec(tf.tf);
    assert.notEqual(buildKey(tfRunnerSpec({ ...tf.tf, version: "2.22.0" })), buildKey(spec));
    assert.equal(buildKey(tfRunnerSpec(tf.tf)), buildKey(spec));
  });
});
