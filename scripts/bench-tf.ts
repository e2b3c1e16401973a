/**
 * The TensorFlow engine's closing numbers, measured in one run on this machine:
 *  - build time of the native TF runner: cold (compile and link into an empty cache) versus cached (the
 *    lookup: hashing the sources, finding the binary), and prepare() with everything cached (venv check,
 *    asking Python for the TF installation, the lookup);
 *  - per-call time of the TF runner (TF_SessionRun, C API) versus a Python tf.compat.v1.Session loop on the
 *    same graph and the same inputs (the runner's dumped inputs), the same session settings (one intra-op
 *    thread; the ops in the calling thread, as the runner does for one inter-op thread):
 *    `sess.run(fetch, feed)` and the lean `Session._make_callable_from_options` path (TF_SessionRunCallable).
 * The venv and runner are those of `mlprof setup tf` ($MLP_SOFTWARE or <data>/software).
 * Usage: npx tsx scripts/bench-tf.ts [--calls 20000] [--batch-sizes 1,16,256]
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { execa } from "execa";
import { ensureTfRunner, tfRunnerSpec } from "../src/engines/tf/runner.js";
import { measureJob } from "../src/measure/job.js";
import { testRun } from "../test/helpers/job.js";
import { graphFileOf } from "../src/engines/graph-file.js";
import { loadModelFile } from "../src/engines/modelfile.js";
import { INPUT_SEED } from "../src/record/measurement.js";
import { buildNative } from "../src/native/build.js";
import { writeRunnerJob } from "../src/native/jobfile.js";
import { bandStats } from "../src/stats/stats.js";

const REPO = resolve(import.meta.dirname, "..");
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const CALLS = Number(arg("calls", "20000"));
/** One event of timed calls after 100 warm-up calls, one thread. */
const BENCH_RUN = testRun({ nCalls: CALLS, nWarmup: 100 });
const BATCH_SIZES = arg("batch-sizes", "1,16,256").split(",").map(Number);
const MODELS = [
  join(REPO, "examples/dnn/model_tf_l10u128.yaml"),
  join(REPO, "test/fixtures/tf/model_tf1_keras.yaml"),
];

const PYTHON_LOOP = `
import json, os, sys, time
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np
import tensorflow as tf
graph, dump_path, dtypes, outputs, calls = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4]), int(sys.argv[5])
tname = lambda n: n if ":" in n else n + ":0"
dump = json.load(open(dump_path))
gd = tf.compat.v1.GraphDef()
gd.ParseFromString(open(graph, "rb").read())
g = tf.Graph()
with g.as_default():
    tf.import_graph_def(gd, name="")
# the runner's settings: one intra-op thread, ops in the calling thread (inter-op -1, as CMSSW)
config = tf.compat.v1.ConfigProto(intra_op_parallelism_threads=1, inter_op_parallelism_threads=-1)
sess = tf.compat.v1.Session(graph=g, config=config)
names = list(dump["inputs"].keys())
values = [np.array(dump["inputs"][k]["data"], dtype=dtypes[k]).reshape(dump["inputs"][k]["shape"]) for k in names]
feed = {tname(k): v for k, v in zip(names, values)}
fetch = [tname(o) for o in outputs]
# the lean TF_SessionRunCallable path (make_callable goes through Session.run in TF 2.21: ~0.1 ms of Python
# feed conversion per call); see scripts/bench-fidelity.ts for the interleaved, repeated comparison
from tensorflow.core.protobuf import config_pb2
callable_ = sess._make_callable_from_options(config_pb2.CallableOptions(feed=[tname(k) for k in names], fetch=fetch))
def loop(f):
    for _ in range(100):
        f()
    t = np.empty(calls)
    for i in range(calls):
        a = time.perf_counter_ns()
        f()
        t[i] = time.perf_counter_ns() - a
    return float(np.median(t)) / 1e3
print(json.dumps({"run": loop(lambda: sess.run(fetch, feed)), "callable": loop(lambda: callable_(*values))}))
`;

function fmt(us: number): string {
  return `${us.toFixed(1).padStart(9)} µs`;
}

async function main(): Promise<void> {
  const { tf, build } = await ensureTfRunner((m) => console.log(`  ${m}`));
  console.log(`TensorFlow ${tf.version} (${tf.venv.dir}); runner ${build.binary}`);
  const work = mkdtempSync(join(tmpdir(), "mlprof-bench-tf-"));
  try {
    // build time: cold into an empty cache, then the cached lookup, then prepare() with everything cached
    const cacheDir = join(work, "native");
    const cold = await buildNative(tfRunnerSpec(tf), { cacheDir });
    const cached = await buildNative(tfRunnerSpec(tf), { cacheDir });
    const t0 = Date.now();
    await ensureTfRunner(() => undefined);
    const prepareMs = Date.now() - t0;
    console.log("\nTF runner build");
    console.log(`  cold (compile 3 sources in parallel, link):  ${cold.seconds.toFixed(2)} s`);
    console.log(`  cached (hash sources, find binary):          ${(cached.seconds * 1000).toFixed(2)} ms`);
    console.log(`  prepare() with venv and runner cached:       ${prepareMs} ms`);

    console.log(
      `\nper-call time, median of ${CALLS} calls, 1 intra-op thread, ops in the calling thread, same inputs, same run`,
    );
    console.log(
      `  ${"model".padEnd(22)} ${"bs".padStart(4)} ${"TF runner".padStart(12)} ${"py run()".padStart(12)} ${"py callable".padStart(12)}  runner/callable`,
    );
    for (const yaml of MODELS) {
      const spec = loadModelFile(yaml);
      for (const batchSize of BATCH_SIZES) {
        const dir = join(work, `${spec.name}-${batchSize}`);
        mkdirSync(dir);
        const job = measureJob({
          engine: "tf",
          modelPath: graphFileOf(spec),
          modelLabel: spec.name ?? "",
          inputs: spec.inputs,
          outputs: spec.outputs.map((o) => o.name),
          batchSize,
          run: { ...BENCH_RUN, nCalls: CALLS },
          seed: INPUT_SEED,
          dir,
          dump: true,
        });
        const jobFile = join(dir, "job.runner");
        writeRunnerJob(jobFile, job);
        await execa(build.binary, [jobFile], { env: { TF_CPP_MIN_LOG_LEVEL: "3" } });
        const runtimes = readFileSync(job.csvPath, "utf8")
          .trim()
          .split("\n")
          .map((l) => Number(l.split(",")[1]) * 1000);
        const runner = bandStats(runtimes).median;
        const dtypes = Object.fromEntries(spec.inputs.map((i) => [i.name, i.dtype]));
        const py = JSON.parse(
          (
            await execa(tf.venv.python, [
              "-c",
              PYTHON_LOOP,
              graphFileOf(spec),
              job.dumpPath!,
              JSON.stringify(dtypes),
              JSON.stringify(job.outputs),
              String(CALLS),
            ])
          ).stdout,
        ) as { run: number; callable: number };
        console.log(
          `  ${(spec.name ?? "").padEnd(22)} ${String(batchSize).padStart(4)} ${fmt(runner)} ${fmt(py.run)} ${fmt(py.callable)}  ${(runner / py.callable).toFixed(2)}`,
        );
      }
    }
    writeFileSync(join(work, "done"), "");
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
