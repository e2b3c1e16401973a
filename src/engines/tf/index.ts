import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { MeasureJob } from "../../measure/job.js";
import { writeRunnerJob } from "../../native/jobfile.js";
import { MlprofError } from "../../util/errors.js";
import { defineEngine, type ProgressFn } from "../engine.js";
import { graphFileSection, graphFileTarget, type GraphFile } from "../graph-file.js";
import { emulation, shippedVersion } from "../emulation.js";
import { ensureTfRunner, type TfRunner } from "./runner.js";
import { setupTf } from "./setup.js";

/** The runner each job is run with (by its CSV path), and whether it runs a release's TensorFlow. */
const prepared = new Map<string, { binary: string; release: boolean }>();
/** The venv check and runner lookup of this process, once per TensorFlow version (a failure is retried). */
const ready = new Map<string, Promise<TfRunner>>();

/** The runner of a TensorFlow version (the tool's by default), looked up once per process. */
function runnerFor(progress: ProgressFn, version?: string, release?: string): Promise<TfRunner> {
  const key = version ?? "";
  let promise = ready.get(key);
  if (!promise) {
    promise = ensureTfRunner(progress, process.env, version, release).catch((err: unknown) => {
      ready.delete(key);
      throw err;
    });
    ready.set(key, promise);
  }
  return promise;
}

/**
 * TensorFlow through its C API: a native runner (plugins/runners/tf_runner.cc) built against the
 * tensorflow-cpu wheel of a tool-managed venv measures a frozen GraphDef in a fresh process.
 * prepare() creates the venv and builds the runner on first use; command() turns the job.json into the
 * runner's line-based job file (job.runner next to it) and runs the runner on it. In CMSSW: TFInference.
 */
export const tfEngine = defineEngine<GraphFile>({
  name: "tf",
  summary: "TensorFlow's C API (tensorflow-cpu wheel in a tool-managed venv) in a native runner",
  modelFile: graphFileSection("tf model file", "graphdef"),
  local: {
    modelPath: (spec) => spec.section.file,
    async prepare(job, _spec, progress, release) {
      const version = release ? shippedVersion(release, "tensorflow") : undefined;
      const { tf, build } = await runnerFor(progress, version, release?.release);
      prepared.set(job.csvPath, { binary: build.binary, release: release !== undefined });
      // CMSSW builds TensorFlow without oneDNN (TF_NEED_MKL=0); the wheel enables it on x86
      return release
        ? { engines: emulation(release, "tensorflow", version!, tf.version, ["oneDNN off"]) }
        : undefined;
    },
    command(jobFile) {
      const job = JSON.parse(readFileSync(jobFile, "utf8")) as MeasureJob;
      const runner = prepared.get(job.csvPath);
      if (!runner) throw new MlprofError("internal: the tf engine's command() was called before prepare()");
      const runnerJob = join(dirname(jobFile), "job.runner");
      writeRunnerJob(runnerJob, job);
      const env: Record<string, string> = { TF_CPP_MIN_LOG_LEVEL: "2" };
      if (runner.release) env.TF_ENABLE_ONEDNN_OPTS = "0";
      return { file: runner.binary, args: [runnerJob], env };
    },
  },
  setup: {
    summary: "creates the TensorFlow venv and builds the native runner",
    run: setupTf,
  },
  cmssw: {
    plugin: "TFInference",
    module: "tfInference",
    template: "tf_cfg.py.njk",
    target: graphFileTarget,
  },
});
