/** The one place tests build measurement jobs, settings and requests (through the tool's own builders). */
import { join } from "node:path";
import { Model } from "../../src/engines/model.js";
import { engineJobFields } from "../../src/engines/params.js";
import type { MeasurementRequest } from "../../src/executors/executor.js";
import { measureJob, type JobParts, type MeasureJob } from "../../src/measure/job.js";
import type { RunSettings } from "../../src/measure/run.js";
import { INPUT_SEED } from "../../src/record/measurement.js";

/** Measurement settings for tests: 1 event of 5 calls after 2 warm-up calls, one thread, unless given. */
export function testRun(over: Partial<RunSettings> = {}): RunSettings {
  return {
    inputData: "random",
    nEvents: 1,
    nCalls: 5,
    nWarmup: 2,
    threads: 1,
    interOpThreads: 1,
    warmupSeconds: 0,
    minDurationSeconds: 0,
    untilStable: false,
    stability: 0.02,
    maxDurationSeconds: 60,
    engineVersions: "installed",
    onnxLibrary: "pypi",
    repeats: 1,
    cpuAffinity: "",
    tfaotBatchRules: "",
    executor: "local",
    ...over,
  };
}

/**
 * A job writing into `dir` (with a dump): by default of a synthetic engine "check" with one float32 input
 * [3] at batch size 2; `parts` and `over` replace what a test needs.
 */
export function testJob(
  dir: string,
  parts: Partial<Omit<JobParts, "run">> & { run?: Partial<RunSettings> } = {},
  over: Partial<MeasureJob> = {},
): MeasureJob {
  const run = testRun(parts.run);
  const engine = parts.engine ?? "check";
  return {
    ...measureJob({
      engine,
      modelPath: "/dev/null",
      modelLabel: "check",
      inputs: [{ name: "x", shape: [3], dtype: "float32", batched: true }],
      outputs: [],
      batchSize: 2,
      seed: INPUT_SEED,
      dump: true,
      engineFields: engineJobFields(engine, run),
      ...parts,
      run,
      dir,
    }),
    ...over,
  };
}

/** A measurement request of a model file writing into `out` (runtime_bs_<N>.csv/.json). */
export function testRequest(
  yaml: string,
  out: string,
  batchSize: number,
  run: Partial<RunSettings> = {},
  over: Partial<MeasurementRequest> = {},
): MeasurementRequest {
  return {
    model: new Model(yaml),
    batchSize,
    run: testRun(run),
    cmsswVersion: "CMSSW_14_1_0_pre4",
    scramArch: "el9_amd64_gcc12",
    csvPath: join(out, `runtime_bs_${batchSize}.csv`),
    metaPath: join(out, `runtime_bs_${batchSize}.json`),
    progress: () => undefined,
    signal: new AbortController().signal,
    ...over,
  };
}
