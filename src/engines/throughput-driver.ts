/** The interface of an engine's throughput measurement (each engine's in engines/<name>/throughput.ts). */
import type { StreamSharing, ThroughputJob } from "../measure/throughput-job.js";
import type { ModelSpec } from "../model/spec.js";
import type { ProcessCommand, ProgressFn } from "./engine.js";

/** An engine's throughput measurement: how its streams hold the model, and its process. */
export interface ThroughputDriver {
  /** CMSSW's arrangement: one session in the GlobalCache (onnx, tf) or one model per stream (tfaot). */
  readonly sharing: StreamSharing;
  /** One line for the README and the metadata: what runs the streams. */
  readonly mechanism: string;
  /** Prepares what the process needs (venv, runner; cached) and returns its command for the job file. */
  prepare(
    job: ThroughputJob,
    spec: ModelSpec,
    progress: ProgressFn,
  ): Promise<{ command: (jobFile: string) => ProcessCommand; preparation: object }>;
}
