import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { MeasureJob } from "../../measure/job.js";
import type { ModelSpec } from "../../model/spec.js";
import { writeRunnerJob } from "../../native/jobfile.js";
import { ensureTensorflow, type TensorflowInstall } from "../tf/install.js";
import { parseBatchRules, resolveBatchRule, type ResolvedBatchRule } from "./rules.js";
import { MlprofError } from "../../util/errors.js";
import { defineEngine, type ProgressFn } from "../engine.js";
import { emulation, shippedVersion } from "../emulation.js";
import { tfaotTarget } from "./cmssw.js";
import { compileSavedModel, type CompiledModel } from "./compile.js";
import { aotInputs, aotOutputs } from "./io.js";
import { tfaotModelFile, type TfaotSection } from "./modelfile.js";
import {
  tfaotFacts,
  tfaotParams,
  type TFAOT_PARAMS,
  type TfaotFacts,
  type TfaotJobFields,
} from "./params.js";
import { ensureTfaotRunner } from "./runner.js";
import { setupTfaot } from "./setup.js";
import { ensureXlaRuntime, type XlaRuntime } from "./xla-runtime.js";

/** TensorFlow and the XLA AOT runtime, looked up (or installed and built) once per process and version. */
const toolchains = new Map<string, Promise<{ tf: TensorflowInstall; runtime: XlaRuntime }>>();
/** Compilations of this process by SavedModel and compilation settings. */
const compilations = new Map<string, Promise<CompiledModel>>();
/** What prepare() found for a job (by its CSV path), for command(). */
const prepared = new Map<string, { binary: string; rule: ResolvedBatchRule }>();

/** TensorFlow and the XLA AOT runtime of this process (a failed attempt is retried next time). */
function ensureToolchain(
  progress: ProgressFn,
  version?: string,
  release?: string,
): Promise<{ tf: TensorflowInstall; runtime: XlaRuntime }> {
  const key = version ?? "";
  let toolchain = toolchains.get(key);
  if (!toolchain) {
    toolchain = (async () => {
      const tf = await ensureTensorflow(progress, process.env, version, release);
      return { tf, runtime: await ensureXlaRuntime(tf, progress) };
    })().catch((err: unknown) => {
      toolchains.delete(key);
      throw err;
    });
    toolchains.set(key, toolchain);
  }
  return toolchain;
}

/**
 * The compilation of a model in this process (a failed attempt is retried next time); `cached` is true for
 * every measurement after the first, which found it done.
 */
async function compile(
  model: ModelSpec<TfaotSection>,
  tf: TensorflowInstall,
  progress: ProgressFn,
): Promise<CompiledModel> {
  const key = JSON.stringify([model.section.savedModel, model.section.servingKey, model.section.compilation]);
  const earlier = compilations.get(key);
  if (earlier) return { ...(await earlier), cached: true };
  const compiled = compileSavedModel(model, tf, progress).catch((err: unknown) => {
    compilations.delete(key);
    throw err;
  });
  compilations.set(key, compiled);
  return compiled;
}

/**
 * TensorFlow XLA ahead-of-time compiled models, measured as CMSSW's TensorFlowAOT runs them. prepare()
 * ensures the TensorFlow venv and the XLA AOT runtime (built once per TensorFlow version), compiles the
 * SavedModel for its compiled batch sizes (cached), takes inputs and outputs from the compiled model,
 * resolves the batch rule of the measured batch size (--tfaot-batch-rules, else CMSSW's default) and builds
 * the model's runner (cached); command() writes the runner's job file with the rule.
 */
export const tfaotEngine = defineEngine<TfaotSection, typeof TFAOT_PARAMS, TfaotFacts, TfaotJobFields>({
  name: "tfaot",
  summary: "TensorFlow XLA ahead-of-time compilation (saved_model_cli) linked into a native runner",
  modelFile: tfaotModelFile,
  local: {
    modelPath: (spec) => join(spec.section.savedModel, "saved_model.pb"),
    async prepare(job, model, progress, release) {
      // the rules are checked against the model file's batch sizes before anything is installed or compiled
      const rules = parseBatchRules(job.batchRules ?? "");
      const rule = resolveBatchRule(job.batchSize, rules, model.section.compilation.batchSizes);
      // with a release: the model compiled by that release's TensorFlow (its XLA)
      const version = release ? shippedVersion(release, "tensorflow") : undefined;
      const { tf, runtime } = await ensureToolchain(progress, version, release?.release);
      const compiled = await compile(model, tf, progress);
      const signature = compiled.signature;
      job.inputs = aotInputs(model, signature);
      job.outputs = aotOutputs(model, signature);
      const build = await ensureTfaotRunner(tf, runtime, compiled, progress);
      prepared.set(job.csvPath, { binary: build.binary, rule });
      return {
        compileMs: compiled.compileMs,
        cached: compiled.cached,
        compiledBatchSizes: signature.batchSizes,
        batchRule: { target: rule.target, chunks: rule.chunks, padding: rule.padding, source: rule.source },
        xlaFlags: model.section.compilation.xlaFlags,
        tfXlaFlags: model.section.compilation.tfXlaFlags,
        ...(release ? { engines: emulation(release, "tensorflow-xla-aot", version!, tf.version) } : {}),
      };
    },
    command(jobFile) {
      const job = JSON.parse(readFileSync(jobFile, "utf8")) as MeasureJob;
      const ready = prepared.get(job.csvPath);
      if (!ready) throw new MlprofError("internal: the tfaot engine's command() was called before prepare()");
      prepared.delete(job.csvPath);
      const runnerJob = join(dirname(jobFile), "job.runner");
      writeRunnerJob(runnerJob, job, {
        rule_chunks: ready.rule.chunks.join(","),
        rule_padding: String(ready.rule.padding),
      });
      // libtensorflow_framework logs at load time unless told not to
      return { file: ready.binary, args: [runnerJob], env: { TF_CPP_MIN_LOG_LEVEL: "2" } };
    },
  },
  setup: {
    summary: "creates the TensorFlow venv and builds the XLA AOT runtime (once, minutes)",
    run: setupTfaot,
  },
  cmssw: {
    plugin: "TFAOTInference",
    module: "tfaotInference",
    template: "tfaot_cfg.py.njk",
    target: tfaotTarget,
  },
  params: tfaotParams,
  preparation: tfaotFacts,
});
