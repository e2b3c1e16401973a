/**
 * Fidelity of the tool's engines against independent reference loops of the same engine versions, measured
 * interleaved in one run (tool variants and references in turn, each process fresh, one thread):
 * - onnx: the tool's native runner (the onnxruntime wheel, --onnx-library pypi, the default) and its
 *   onnxruntime-node path (--onnx-library npm), against
 *   - "floor": Python onnxruntime's IOBinding loop with inputs and outputs bound once
 *     (scripts/reference/onnx_loop.py, the wheel of the same version in a tool-managed venv): less per-call work
 *     than CMSSW does, so a lower bound;
 *   - "cmssw": CMSSW's per-call work (cms::Ort::ONNXRuntime::run: inputs wrapped as tensors on every call without
 *     a copy, outputs allocated by ORT and copied out), where it can be reproduced: no package MLProf can install
 *     ships ONNX Runtime's C/C++ headers, so this loop is not part of the repository; give a C++ build of it as
 *     MLPROF_ONNX_CMSSW_LOOP, run as `$MLPROF_ONNX_CMSSW_LOOP <model.onnx> <batch size> <warm-up calls>
 *     <timed calls> <out.csv>` (rows `batch_size,runtime_ms`; docs/onnx-runtime.md describes the one measured);
 * - tf: the tool's native runner vs a tf.compat.v1.Session callable loop (scripts/reference/tf_loop.py) in the
 *   tool's TensorFlow venv.
 * The tool and the Python references read the same job file, so the inputs, feeds, fetches and threads are the
 * same. Prints per model, batch size, tool variant and reference the geometric means of the process medians,
 * their ratio with a Welch 95 % interval, the between-process spread of each side and the per-call difference.
 * With --onnx-versions, onnxruntime-node versions with their own npm library are measured too.
 * Usage: npm run build && npx tsx scripts/bench-fidelity.ts [--repeats 5] [--calls 2000] [--warmup 500]
 *        [--batch-sizes 1,16] [--onnx-versions 1.14.0,1.17.3,1.20.1] [model.yaml ...]
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { onnxruntimeVenv, withLibrary } from "../src/engines/onnx/library.js";
import type { OnnxJobFields } from "../src/engines/onnx/library-kinds.js";
import { bundledPackage, ensureOnnxPackage } from "../src/engines/onnx/packages.js";
import { engineJobFields } from "../src/engines/params.js";
import { getEngine } from "../src/engines/registry.js";
import { loadModelFile } from "../src/engines/modelfile.js";
import { ensureTensorflow } from "../src/engines/tf/install.js";
import { measureJob, type MeasureJob } from "../src/measure/job.js";
import { readRuntimeCsv } from "../src/measure/csv.js";
import { writeRunnerJob } from "../src/native/jobfile.js";
import { ensureVenv } from "../src/pyenv/venv.js";
import { INPUT_SEED } from "../src/record/measurement.js";
import { compareRepeatMedians, repeatStats } from "../src/stats/repeats.js";
import { testRun } from "../test/helpers/job.js";

const REPO = resolve(import.meta.dirname, "..");
const REFERENCE = join(REPO, "scripts", "reference");
const opt = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const REPEATS = Number(opt("repeats", "5"));
const CALLS = Number(opt("calls", "2000"));
const WARMUP = Number(opt("warmup", "500"));
const BATCH_SIZES = opt("batch-sizes", "1,16").split(",").map(Number);
const ONNX_VERSIONS = opt("onnx-versions", "").split(",").filter(Boolean);
const CMSSW_LOOP = process.env.MLPROF_ONNX_CMSSW_LOOP;
const optionValues = new Set(
  ["repeats", "calls", "warmup", "batch-sizes", "onnx-versions"].map(
    (o) => process.argv.indexOf(`--${o}`) + 1,
  ),
);
const given = process.argv.slice(2).filter((a, i) => !a.startsWith("--") && !optionValues.has(i + 2));
const MODELS = given.length
  ? given.map((f) => resolve(f))
  : [
      "test/fixtures/identity.yaml",
      "examples/dnn/model_onnx_l10u128.yaml",
      "examples/cnn/model_onnx_i32c1v3l10u128.yaml",
      "examples/btag/model_onnx_deepjet_fused.yaml",
      "examples/btag/model_onnx_deepjet_loop.yaml",
      "examples/dnn/model_tf_l10u128.yaml",
      "test/fixtures/tf/model_tf1_keras.yaml",
    ].map((f) => join(REPO, f));

const log = (line: string) => process.stderr.write(`${line}\n`);
const callsOf = (csv: string) => readRuntimeCsv(csv).rows.map((r) => r.runtimeMs);

/** The Python of a reference: the onnxruntime wheel of the tool's version, or the tool's TensorFlow. */
async function referencePython(engine: string): Promise<string> {
  if (engine === "tf") return (await ensureTensorflow(log)).venv.python;
  const venv = await ensureVenv(onnxruntimeVenv(bundledPackage().version), log);
  return venv.python;
}

const work = mkdtempSync(join(tmpdir(), "mlprof-fidelity-"));
const rows: string[][] = [];
try {
  for (const yaml of MODELS) {
    const spec = loadModelFile(yaml);
    const engine = getEngine(spec.engine);
    if (spec.engine !== "onnx" && spec.engine !== "tf") {
      log(`${yaml}: no reference loop for ${spec.engine}; skipped`);
      continue;
    }
    const python = await referencePython(spec.engine);
    // the tool's variants: for onnx the native runner with the wheel (the default), then onnxruntime-node with
    // its own npm library (and each asked-for onnxruntime-node version); for tf the runner
    const variants: { name: string; job: Partial<MeasureJob & OnnxJobFields>; node?: boolean }[] = [];
    if (spec.engine === "onnx") {
      variants.push({ name: "native runner, onnxruntime wheel (pypi)", job: { onnxLibrary: "pypi" } });
      const own = bundledPackage();
      // before the native runner: onnxruntime-node's binding loading the wheel's library
      const wheel = await withLibrary(own, "pypi", log);
      variants.push({
        name: `onnxruntime-node ${own.version}, wheel library`,
        job: { onnxruntimeDir: wheel.pkg.dir, onnxLibrary: "pypi", onnxLibraryPath: wheel.library.path },
        node: true,
      });
      const asked = await Promise.all(ONNX_VERSIONS.map((v) => ensureOnnxPackage(v, log)));
      for (const pkg of [own, ...asked]) {
        const linked = await withLibrary(pkg, "npm", log);
        variants.push({
          name: `onnxruntime-node ${pkg.version}, npm library`,
          job: { onnxruntimeDir: linked.pkg.dir, onnxLibrary: "npm", onnxLibraryPath: linked.library.path },
        });
      }
    } else {
      variants.push({ name: "tf runner", job: {} });
    }
    const references =
      spec.engine === "tf"
        ? ["TF Session loop"]
        : ["floor: Python IOBinding, bound once", ...(CMSSW_LOOP ? ["CMSSW's per-call work (C++)"] : [])];
    for (const batchSize of BATCH_SIZES) {
      const tool: Float64Array[][] = variants.map(() => []);
      const reference: Float64Array[][] = references.map(() => []);
      for (let r = 0; r < REPEATS; r++) {
        const dir = join(work, `${spec.name ?? "model"}-${batchSize}-${r}`);
        mkdirSync(dir, { recursive: true });
        const run = testRun({ nCalls: CALLS, nWarmup: WARMUP });
        const job = measureJob({
          engine: spec.engine,
          modelPath: engine.local.modelPath(spec),
          modelLabel: spec.label ?? "",
          inputs: spec.inputs,
          outputs: spec.outputs.map((o) => o.name),
          batchSize,
          run,
          seed: INPUT_SEED,
          dir,
          engineFields: engineJobFields(spec.engine, run),
        });
        const refJob = join(dir, spec.engine === "tf" ? "ref.runner" : "ref.json");
        if (spec.engine === "tf") writeRunnerJob(refJob, job);
        else writeFileSync(refJob, JSON.stringify(job));
        const runs: (() => Promise<void>)[] = [
          ...variants.map((variant, k) => async () => {
            const variantJob = { ...job, ...variant.job } as MeasureJob;
            if (!variant.node) await engine.local.prepare?.(variantJob, spec, log);
            const jobFile = join(dir, `job${k}.json`);
            writeFileSync(jobFile, JSON.stringify(variantJob));
            const cmd = variant.node
              ? {
                  file: process.execPath,
                  args: [join(REPO, "dist/engines/onnx/measure.js"), jobFile],
                  env: {},
                }
              : engine.local.command(jobFile);
            execFileSync(cmd.file, cmd.args, { env: { ...process.env, ...cmd.env }, stdio: "ignore" });
            tool[k]!.push(Float64Array.from(callsOf(job.csvPath)));
          }),
          ...references.map((_, k) => () => {
            const csv = join(dir, `reference${k}.csv`);
            if (k === 1) {
              const args = [job.modelPath, String(batchSize), String(WARMUP), String(CALLS), csv];
              execFileSync(CMSSW_LOOP!, args, { stdio: ["ignore", "ignore", "inherit"] });
            } else {
              const script = join(REFERENCE, spec.engine === "tf" ? "tf_loop.py" : "onnx_loop.py");
              execFileSync(python, [script, refJob, csv], {
                env: { ...process.env, PYTHONPATH: REFERENCE, TF_CPP_MIN_LOG_LEVEL: "2" },
                stdio: ["ignore", "ignore", "inherit"],
              });
            }
            reference[k]!.push(Float64Array.from(callsOf(csv)));
            return Promise.resolve();
          }),
        ];
        // each round starts with another variant, so that none always runs first
        for (let k = 0; k < runs.length; k++) await runs[(k + r) % runs.length]!();
      }
      const us = (ms: number) => (ms * 1000).toFixed(2);
      references.forEach((refName, j) => {
        const ref = repeatStats(reference[j]!);
        variants.forEach((variant, k) => {
          const t = repeatStats(tool[k]!);
          const c = compareRepeatMedians(ref.medians, t.medians); // tool / reference
          rows.push([
            spec.name ?? yaml,
            variant.name,
            refName,
            String(batchSize),
            us(t.center),
            us(ref.center),
            c.ratio.toFixed(3),
            `[${c.low.toFixed(3)}, ${c.high.toFixed(3)}]`,
            `${(100 * (t.betweenCv ?? 0)).toFixed(1)} %`,
            `${(100 * (ref.betweenCv ?? 0)).toFixed(1)} %`,
            ((t.center - ref.center) * 1000).toFixed(2),
          ]);
          log(rows.at(-1)!.join("  "));
        });
      });
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
const header = [
  "model",
  "tool",
  "reference",
  "batch",
  "tool µs",
  "reference µs",
  "tool / ref",
  "95 % CI",
  "tool between",
  "ref between",
  "tool − ref µs",
];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (r: string[]) =>
  r.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
console.log(
  `${REPEATS} fresh processes per side, ${CALLS} timed calls after ${WARMUP} warm-up calls, one thread`,
);
console.log(line(header));
rows.forEach((r) => console.log(line(r)));
