/**
 * The tfaot engine's closing numbers, measured in one run on this machine:
 *  - compile time of the SavedModel (writing the per-batch-size signatures, one saved_model_cli
 *    aot_compile_cpu per compiled size) cold, into an empty cache, versus cached (the lookup: hashing the
 *    SavedModel, reading the headers), for the DNN 10x128 (size 1) and the DNN 10x256 with nine sizes;
 *    the runner build cold versus cached; the XLA AOT runtime's one-time build as recorded by its cache;
 *  - per-call time of the AOT runner (tfaot::Model::run semantics: input copies, one compiled call per
 *    chunk, output copies) versus the TF runner (TF_SessionRun on the frozen graph of the same weights),
 *    one thread, interleaved rounds in the same run: the example tfaot yaml (compiled for size 1 only, so
 *    larger sizes stitch size-1 calls) and the same SavedModel compiled for the measured size.
 * TensorFlow, the runtime and the caches are those of $MLP_SOFTWARE (or <data>/software).
 * Usage: npx tsx scripts/bench-tfaot.ts [--calls 5000] [--rounds 3] [--batch-sizes 1,16,256]
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { execa } from "execa";
import type { LocalDriver } from "../src/engines/engine.js";
import { tfEngine } from "../src/engines/tf/index.js";
import { compileSavedModel } from "../src/engines/tfaot/compile.js";
import { tfaotEngine } from "../src/engines/tfaot/index.js";
import { tfaotSpec } from "../src/engines/tfaot/modelfile.js";
import { tfaotRunnerSpec, writeRunnerSource } from "../src/engines/tfaot/runner.js";
import { ensureXlaRuntime } from "../src/engines/tfaot/xla-runtime.js";
import { measureJob } from "../src/measure/job.js";
import { testRun } from "../test/helpers/job.js";
import { loadModelFile } from "../src/engines/modelfile.js";
import { INPUT_SEED } from "../src/record/measurement.js";
import { buildNative } from "../src/native/build.js";
import { ensureTensorflow } from "../src/engines/tf/install.js";
import { bandStats } from "../src/stats/stats.js";

const REPO = resolve(import.meta.dirname, "..");
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const CALLS = Number(arg("calls", "5000"));
/** One event of timed calls after 100 warm-up calls, one thread. */
const BENCH_RUN = testRun({ nCalls: CALLS, nWarmup: 100 });
const ROUNDS = Number(arg("rounds", "3"));
const BATCH_SIZES = arg("batch-sizes", "1,16,256").split(",").map(Number);
const TF_YAML = join(REPO, "examples/dnn/model_tf_l10u128.yaml");
const AOT_YAML = join(REPO, "examples/dnn/model_tfaot_l10u128.yaml");

let counter = 0;

/** Runs one measurement process through an engine driver; returns the median per-call time in µs. */
async function measure(
  driver: LocalDriver<unknown>,
  yaml: string,
  batchSize: number,
  work: string,
): Promise<number> {
  const spec = loadModelFile(yaml);
  const dir = join(work, `m${counter++}`);
  mkdirSync(dir);
  const job = measureJob({
    engine: spec.engine,
    modelPath: driver.modelPath(spec),
    modelLabel: spec.name ?? "",
    inputs: spec.inputs,
    outputs: spec.outputs.map((o) => o.name),
    batchSize,
    run: { ...BENCH_RUN, nCalls: CALLS, nWarmup: 200 },
    seed: INPUT_SEED,
    dir,
  });
  await driver.prepare?.(job, spec, () => undefined);
  writeFileSync(join(dir, "job.json"), JSON.stringify(job));
  const cmd = driver.command(join(dir, "job.json"));
  await execa(cmd.file, cmd.args, { env: cmd.env });
  const runtimes = readFileSync(job.csvPath, "utf8")
    .trim()
    .split("\n")
    .map((l) => Number(l.split(",")[1]) * 1000);
  return bandStats(runtimes).median;
}

/** A tfaot model file next to the example's SavedModel, compiled for the given sizes. */
function compiledFor(sizes: number[], work: string): string {
  const file = join(work, `aot_${sizes.join("_")}.yaml`);
  const savedModel = join(dirname(AOT_YAML), "saved_model_l10u128");
  writeFileSync(
    file,
    `model:\n  name: aot_bench\n  inference_engine: tfaot\n  saved_model: ${savedModel}\n` +
      `compilation:\n  batch_sizes: [${sizes.join(", ")}]\n`,
  );
  return file;
}

const fmt = (us: number) => `${us.toFixed(1).padStart(9)} µs`;
const median = (xs: number[]) => bandStats(xs).median;

async function main(): Promise<void> {
  const log = (m: string) => console.log(`  ${m}`);
  const tf = await ensureTensorflow(log);
  const runtime = await ensureXlaRuntime(tf, log);
  const record = JSON.parse(readFileSync(join(dirname(runtime.library), "build.json"), "utf8")) as {
    buildSeconds?: number;
    builtAt: string;
  };
  console.log(`TensorFlow ${tf.version} (${tf.venv.dir})`);
  console.log(
    `XLA AOT runtime: ${runtime.library}\n  one-time build: ${record.buildSeconds?.toFixed(0) ?? "?"} s (${record.builtAt}); ` +
      `cached lookup now: ${(runtime.seconds * 1000).toFixed(1)} ms`,
  );
  const work = mkdtempSync(join(tmpdir(), "mlprof-bench-tfaot-"));
  try {
    console.log("\ncompile time of the SavedModel (cold: an empty cache; cached: the lookup)");
    const coldEnv = { ...process.env, MLP_SOFTWARE: join(work, "software") };
    for (const yaml of [AOT_YAML, join(REPO, "examples/dnn/model_tfaot_l10u256_bs.yaml")]) {
      const spec = tfaotSpec(loadModelFile(yaml));
      const cold = await compileSavedModel(spec, tf, () => undefined, coldEnv);
      const t0 = performance.now();
      const cached = await compileSavedModel(spec, tf, () => undefined, coldEnv);
      const lookupMs = performance.now() - t0;
      if (cold.cached || !cached.cached)
        throw new Error("the cold compilation was cached, or the second was not");
      console.log(
        `  ${yaml.slice(REPO.length + 1).padEnd(42)} sizes ${spec.section.compilation.batchSizes.join(",").padEnd(26)} ` +
          `cold ${(cold.compileMs / 1000).toFixed(1).padStart(5)} s   cached ${lookupMs.toFixed(1).padStart(6)} ms`,
      );
      if (yaml === AOT_YAML) {
        const cacheDir = join(work, "native");
        const spec = tfaotRunnerSpec(tf, runtime, cold, writeRunnerSource(cold, tf));
        const coldBuild = await buildNative(spec, { cacheDir });
        const cachedBuild = await buildNative(spec, { cacheDir });
        console.log(
          `  runner build (render, compile 3 sources, link the model and the runtime): cold ${coldBuild.seconds.toFixed(1)} s, ` +
            `cached ${(cachedBuild.seconds * 1000).toFixed(1)} ms`,
        );
      }
    }

    console.log(
      `\nper-call time, DNN 10x128, median of ${CALLS} calls per process, median over ${ROUNDS} interleaved rounds, one thread`,
    );
    console.log(
      `  ${"bs".padStart(4)} ${"TF runner".padStart(12)} ${"AOT (bs 1)".padStart(12)} ${"AOT (bs)".padStart(12)}  TF/AOT(bs)  rule of the example yaml`,
    );
    for (const batchSize of BATCH_SIZES) {
      const own = compiledFor(batchSize === 1 ? [1] : [1, batchSize], work);
      const times = { tf: [] as number[], stitched: [] as number[], compiled: [] as number[] };
      for (let r = 0; r < ROUNDS; r++) {
        times.tf.push(await measure(tfEngine.local, TF_YAML, batchSize, work));
        times.stitched.push(await measure(tfaotEngine.local, AOT_YAML, batchSize, work));
        times.compiled.push(await measure(tfaotEngine.local, own, batchSize, work));
      }
      const [t, s, c] = [median(times.tf), median(times.stitched), median(times.compiled)];
      const rule = batchSize === 1 ? "1:1" : `${batchSize}:1 x ${batchSize}`;
      console.log(
        `  ${String(batchSize).padStart(4)} ${fmt(t)} ${fmt(s)} ${fmt(c)}  ${(t / c).toFixed(2).padStart(9)}  ${rule}`,
      );
    }
  } finally {
    if (existsSync(work)) rmSync(work, { recursive: true, force: true });
  }
}

await main();
