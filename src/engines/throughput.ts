/**
 * How each engine measures throughput: S streams calling one model concurrently in one fresh process,
 * as CMSSW's streams do (each engine's mechanism in engines/<name>/throughput.ts).
 */
import type { ThroughputJob, StreamSharing } from "../measure/throughput-job.js";
import type { ModelSpec } from "../model/spec.js";
import type { ProcessCommand, ProgressFn } from "./engine.js";
import { onnxThroughput } from "./onnx/throughput.js";

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
  ): Promise<{ command: (jobFile: string) => ProcessCommand; preparation: Record<string, unknown> }>;
}

const DRIVERS: Record<string, ThroughputDriver> = { onnx: onnxThroughput };

/** The engines that measure throughput. */
export function throughputEngines(): string[] {
  return Object.keys(DRIVERS);
}

/** The throughput driver of an engine, or undefined when it has none. */
export function throughputDriver(engine: string): ThroughputDriver | undefined {
  return DRIVERS[engine];
}
