/**
 * tfaot throughput: the model's runner (plugins/runners/tfaot_runner.cc.njk, throughput mode of
 * ThroughputSupport.h) gives each of S threads a model instance of its own, as CMSSW holds one
 * tfaot::Model per stream (its run is not thread-safe). The model is compiled and the runner built as for a
 * latency measurement (the engine's own prepare, with --tfaot-batch-rules or CMSSW's default rule), then the
 * runner job gets the throughput extras.
 */
import { appendFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { renderRunnerExtras, throughputExtras, throughputMeasureJob } from "../../native/jobfile.js";
import type { ThroughputDriver } from "../throughput-driver.js";
import { tfaotEngine } from "./index.js";

export const tfaotThroughput: ThroughputDriver = {
  sharing: "instance-per-stream",
  mechanism: "S threads of the model's native tfaot runner, each calling a model instance of its own",
  async prepare(job, spec, progress) {
    const latency = {
      ...throughputMeasureJob(job, spec.inputs, spec.name ?? spec.yamlPath),
      ...(job.batchRules ? { batchRules: job.batchRules } : {}),
    };
    const preparation = (await tfaotEngine.local.prepare?.(latency, spec, progress)) ?? {};
    return {
      command: (jobFile) => {
        // the engine's command writes job.runner (with the batch rule) next to the latency job
        const latencyFile = join(dirname(jobFile), "latency-job.json");
        writeFileSync(latencyFile, JSON.stringify(latency));
        const cmd = tfaotEngine.local.command(latencyFile);
        appendFileSync(join(dirname(jobFile), "job.runner"), renderRunnerExtras(throughputExtras(job)));
        return cmd;
      },
      preparation: { ...preparation },
    };
  },
};
