/**
 * TensorFlow throughput: the native TF runner (plugins/runners/tf_runner.cc, throughput mode of
 * ThroughputSupport.h) runs S threads calling TF_SessionRun on one TF_Session, which is thread-safe, as
 * CMSSW's streams call the session of the module's SessionCache.
 */
import { dirname, join } from "node:path";
import { writeThroughputRunnerJob } from "../../native/jobfile.js";
import type { ThroughputDriver } from "../throughput-driver.js";
import { ensureTfRunner } from "./runner.js";

export const tfThroughput: ThroughputDriver = {
  sharing: "shared-session",
  mechanism: "S threads of the native TensorFlow runner call TF_SessionRun on one TF_Session (C API)",
  async prepare(job, spec, progress) {
    const { tf, build } = await ensureTfRunner(progress);
    return {
      command: (jobFile) => {
        const runnerJob = join(dirname(jobFile), "job.runner");
        writeThroughputRunnerJob(runnerJob, job, spec.inputs, spec.name ?? spec.yamlPath);
        return { file: build.binary, args: [runnerJob], env: { TF_CPP_MIN_LOG_LEVEL: "2" } };
      },
      preparation: { tensorflow: tf.version, runner: build.binary },
    };
  },
};
