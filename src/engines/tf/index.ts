import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { MeasureJob } from "../../measure/job.js";
import { writeRunnerJob } from "../../native/jobfile.js";
import { MlprofError } from "../../util/errors.js";
import { defineEngine } from "../engine.js";
import { graphFileSection, graphFileTarget, type GraphFile } from "../graph-file.js";
import { ensureTfRunner, type TfRunner } from "./runner.js";
import { setupTf } from "./setup.js";

let runnerBinary: string | undefined;
/** The venv check and runner lookup of this process, done once (a failed attempt is retried next time). */
let ready: Promise<TfRunner> | undefined;

/**
 * TensorFlow through its C API: a native runner (plugins/runners/tf_runner.cc) built against the
 * tensorflow-cpu wheel of a tool-managed venv measures a frozen GraphDef in a fresh process.
 * prepare() creates the venv and builds the runner on first use; command() turns the job.json into the
 * runner's line-based job file (job.runner next to it) and runs the runner on it. In CMSSW: TFInference.
 */
export const tfEngine = defineEngine<GraphFile>({
  name: "tf",
  summary: "TensorFlow's C API (tensorflow-cpu wheel in a tool-managed venv) in a native runner",
  modelFile: graphFileSection("tf model file"),
  local: {
    modelPath: (spec) => spec.section.file,
    async prepare(_job, _spec, progress) {
      ready ??= ensureTfRunner(progress).catch((err: unknown) => {
        ready = undefined;
        throw err;
      });
      runnerBinary = (await ready).build.binary;
    },
    command(jobFile) {
      if (!runnerBinary)
        throw new MlprofError("internal: the tf engine's command() was called before prepare()");
      const job = JSON.parse(readFileSync(jobFile, "utf8")) as MeasureJob;
      const runnerJob = join(dirname(jobFile), "job.runner");
      writeRunnerJob(runnerJob, job);
      return { file: runnerBinary, args: [runnerJob], env: { TF_CPP_MIN_LOG_LEVEL: "2" } };
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
