/**
 * ONNX throughput: the native ONNX runner (plugins/runners/onnx_runner.cc, throughput mode of
 * ThroughputSupport.h) runs S threads on one InferenceSession of the onnxruntime wheel (the version of the
 * bundled onnxruntime-node), embedded: each thread calls the wheel's run_with_iobinding, which releases the
 * GIL around ORT's Run, as CMSSW's streams call the ONNXRuntime of the GlobalCache. onnxruntime-node cannot
 * do it: its run is synchronous on the JS thread and a session cannot be shared with worker threads.
 */
import { dirname, join } from "node:path";
import { writeThroughputRunnerJob } from "../../native/jobfile.js";
import type { ThroughputDriver } from "../throughput-driver.js";
import { bundledPackage } from "./packages.js";
import { ensureOnnxRunner } from "./runner.js";

export const onnxThroughput: ThroughputDriver = {
  sharing: "shared-session",
  mechanism:
    "S threads of the native ONNX runner call run_with_iobinding on one InferenceSession of the embedded onnxruntime wheel",
  async prepare(job, spec, progress) {
    const runner = await ensureOnnxRunner(bundledPackage().version, progress);
    return {
      command: (jobFile) => {
        const runnerJob = join(dirname(jobFile), "job.runner");
        writeThroughputRunnerJob(runnerJob, job, spec.inputs, spec.name ?? spec.yamlPath, {
          python: runner.python.python,
          helper_dir: runner.helperDir,
          library: runner.library.path,
        });
        return { file: runner.build.binary, args: [runnerJob] };
      },
      preparation: { onnxLibrary: runner.library, runner: runner.build.binary },
    };
  },
};
