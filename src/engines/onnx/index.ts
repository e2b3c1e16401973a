import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { MeasureJob } from "../../measure/job.js";
import { writeRunnerJob } from "../../native/jobfile.js";
import { MlprofError } from "../../util/errors.js";
import { defineEngine } from "../engine.js";
import { emulation, shippedVersion } from "../emulation.js";
import { graphFileSection, graphFileTarget, type GraphFile } from "../graph-file.js";
import type { OnnxJobFields } from "./library-kinds.js";
import { withLibrary, type OnnxLibraryKind } from "./library.js";
import { bundledPackage, ensureOnnxPackage } from "./packages.js";
import { ensureOnnxRunner, type OnnxRunner } from "./runner.js";
import { lineSink, progressMode, type ProgressSink } from "../../util/progress.js";
import { onnxFacts, onnxParams, type OnnxFacts, type ONNX_PARAMS } from "./params.js";

/** The native runner each pypi job runs with (by its CSV path). */
const prepared = new Map<string, OnnxRunner>();
/** The runner of each wheel version, looked up once per process (a failure is tried again). */
const runners = new Map<string, Promise<OnnxRunner>>();

function runnerFor(version: string, progress: ProgressSink, release?: string): Promise<OnnxRunner> {
  let promise = runners.get(version);
  if (!promise) {
    promise = ensureOnnxRunner(version, progress, process.env, release).catch((err: unknown) => {
      runners.delete(version);
      throw err;
    });
    runners.set(version, promise);
  }
  return promise;
}

/**
 * ONNX Runtime. --onnx-library pypi (the default): the native runner (plugins/runners/onnx_runner.cc) with
 * the onnxruntime wheel's Python extension embedded, in a fresh process; --onnx-library npm: onnxruntime-node's
 * binding in a fresh Node.js process (measure.ts). In CMSSW: the ONNXInference plugin.
 */
export const onnxEngine = defineEngine<GraphFile, typeof ONNX_PARAMS, OnnxFacts, OnnxJobFields>({
  name: "onnx",
  summary: "ONNX Runtime: the onnxruntime wheel in a native runner (pypi), or onnxruntime-node (npm)",
  modelFile: graphFileSection("onnx model file", "onnx"),
  local: {
    modelPath: (spec) => spec.section.file,
    async prepare(job, _spec, progress, release) {
      // the release's ONNX Runtime: its onnxruntime-node (or the nearest published patch), installed once
      const shipped = release ? shippedVersion(release, "onnxruntime") : undefined;
      const pkg = shipped ? await ensureOnnxPackage(shipped, progress) : bundledPackage();
      const kind = (job.onnxLibrary ?? "pypi") as OnnxLibraryKind;
      const engines =
        release && shipped ? { engines: emulation(release, "onnxruntime", shipped, pkg.version) } : {};
      if (kind === "pypi") {
        const runner = await runnerFor(pkg.version, progress, release?.release);
        prepared.set(job.csvPath, runner);
        job.onnxLibraryPath = runner.library.path;
        return { onnxLibrary: runner.library, ...engines };
      }
      const linked = await withLibrary(pkg, kind, progress, process.env, release?.release);
      job.onnxruntimeDir = linked.pkg.dir;
      job.onnxLibraryPath = linked.library.path;
      return { onnxLibrary: linked.library, ...engines };
    },
    command(jobFile) {
      const job = JSON.parse(readFileSync(jobFile, "utf8")) as MeasureJob & OnnxJobFields;
      if ((job.onnxLibrary ?? "pypi") === "pypi") {
        const runner = prepared.get(job.csvPath);
        if (!runner)
          throw new MlprofError("internal: the onnx engine's command() was called before prepare()");
        const runnerJob = join(dirname(jobFile), "job.runner");
        writeRunnerJob(runnerJob, job, {
          python: runner.python.python,
          helper_dir: runner.helperDir,
          library: job.onnxLibraryPath ?? runner.library.path,
        });
        return { file: runner.build.binary, args: [runnerJob] };
      }
      // under tsx (tests, development) this module is a .ts file, and so is its measurement script
      const ext = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
      const script = fileURLToPath(new URL(`./measure${ext}`, import.meta.url));
      return { file: process.execPath, args: [...process.execArgv, script, jobFile] };
    },
  },
  setup: {
    summary:
      "installs the onnxruntime wheel and builds the native runner that embeds it (--onnx-library pypi)",
    async run(print, env = process.env) {
      const started = Date.now();
      const sink = lineSink(print, progressMode(env));
      const pkg = bundledPackage();
      const runner = await ensureOnnxRunner(pkg.version, (m, live) => sink(`  ${m}`, live), env).finally(() =>
        sink.clear(),
      );
      print(`onnxruntime wheel ${pkg.version} in Python ${runner.python.version}: ${runner.python.python}`);
      print(`ONNX Runtime build: ${runner.library.path} (${runner.library.build ?? "no build info"})`);
      print(`runner: ${runner.build.binary}${runner.build.cached ? " (cached)" : ""}`);
      print(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    },
  },
  cmssw: {
    plugin: "ONNXInference",
    module: "onnxInference",
    template: "onnx_cfg.py.njk",
    target: graphFileTarget,
  },
  params: onnxParams,
  preparation: onnxFacts,
});
