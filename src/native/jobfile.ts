import { writeFileSync } from "node:fs";
import type { InputKind, MeasureJob } from "../measure/job.js";
import type { ThroughputJob } from "../measure/throughput-job.js";
import type { InputSpec } from "../model/spec.js";
import { MlprofError } from "../util/errors.js";

/** First line of a native runner's job file (plugins/runners/RunnerSupport.h describes the format). */
export const RUNNER_JOB_HEADER = "mlprof-runner-job 1";

function clean(value: string, what: string, allowTab = false): string {
  if (/[\n\r]/.test(value) || (!allowTab && value.includes("\t"))) {
    throw new MlprofError(
      `${what} '${value}' contains a line break or tab, which native runners cannot take`,
    );
  }
  return value;
}

/**
 * Renders a MeasureJob as the line-based job file of the native runners: `key=value` lines, one
 * `input=` line per input (name, dtype, batched, dims, constant value, integer range; tab-separated,
 * `-` for none) and one `output=` line per output; `extra` entries become `x.<key>=<value>` lines.
 */
export function renderRunnerJob(job: MeasureJob, extra: Record<string, string> = {}): string {
  const lines = [RUNNER_JOB_HEADER];
  const put = (key: string, value: string | number) => lines.push(`${key}=${clean(String(value), key)}`);
  put("engine", job.engine);
  put("model_path", job.modelPath);
  put("model_label", job.modelLabel);
  put("batch_size", job.batchSize);
  put("n_events", job.nEvents);
  put("n_calls", job.nCalls);
  put("n_warmup", job.nWarmup);
  put("warmup_ms", job.warmupMs ?? 0);
  put("min_duration_ms", job.minDurationMs ?? 0);
  if (job.untilStable) {
    put("until_stable", 1);
    put("stability", job.stability ?? 0.02);
    put("max_duration_ms", job.maxDurationMs ?? 60000);
  }
  put("input_data", job.inputData);
  put("seed", job.seed);
  put("threads", job.threads);
  put("inter_op_threads", job.interOpThreads ?? 1);
  put("csv_path", job.csvPath);
  put("meta_path", job.metaPath);
  put("error_path", job.errorPath);
  if (job.dumpPath) put("dump_path", job.dumpPath);
  for (const inp of job.inputs) {
    const value =
      inp.value === undefined ? "-" : String(typeof inp.value === "boolean" ? Number(inp.value) : inp.value);
    const range = inp.range ? inp.range.join(",") : "-";
    const fields = [
      clean(inp.name, "input name"),
      inp.dtype,
      inp.batched ? "1" : "0",
      inp.shape.join(","),
      value,
      range,
    ];
    lines.push(`input=${fields.join("\t")}`);
  }
  for (const out of job.outputs) lines.push(`output=${clean(out, "output name")}`);
  for (const [key, value] of Object.entries(extra)) put(`x.${clean(key, "key")}`, value);
  return lines.join("\n") + "\n";
}

/** Writes the runner job file of a job. */
export function writeRunnerJob(path: string, job: MeasureJob, extra: Record<string, string> = {}): void {
  writeFileSync(path, renderRunnerJob(job, extra));
}

/**
 * The latency-job form of a throughput job, as a native runner reads it: the declared inputs (which the
 * runner draws itself as the tool does), the warm-up, and the window as min_duration_ms.
 */
export function throughputMeasureJob(job: ThroughputJob, inputs: InputSpec[], label: string): MeasureJob {
  return {
    engine: job.engine,
    modelPath: job.modelPath,
    modelLabel: label,
    inputs,
    outputs: job.outputs,
    batchSize: job.batchSize,
    nEvents: 1,
    nCalls: job.minCalls,
    nWarmup: job.nWarmup,
    warmupMs: job.warmupMs,
    minDurationMs: job.minDurationMs,
    inputData: job.inputData as InputKind,
    seed: job.seed,
    threads: job.threads,
    interOpThreads: 1,
    csvPath: job.callsPath,
    metaPath: job.metaPath,
    errorPath: job.errorPath,
  };
}

/** The extras that make a runner job a throughput job (plugins/runners/ThroughputSupport.h). */
export function throughputExtras(job: ThroughputJob): Record<string, string> {
  return {
    mode: "throughput",
    streams: String(job.streams),
    min_calls: String(job.minCalls),
    max_duration_ms: String(Math.round(job.maxDurationMs)),
  };
}

/** The `x.<key>=<value>` lines of extras, to append to a runner job file. */
export function renderRunnerExtras(extra: Record<string, string>): string {
  return Object.entries(extra)
    .map(([key, value]) => `x.${clean(key, "key")}=${clean(value, key)}\n`)
    .join("");
}

/**
 * Writes the runner job file of a throughput job: its latency-job form, the engine's extras and the
 * throughput extras.
 */
export function writeThroughputRunnerJob(
  path: string,
  job: ThroughputJob,
  inputs: InputSpec[],
  label: string,
  extra: Record<string, string> = {},
): void {
  writeRunnerJob(path, throughputMeasureJob(job, inputs, label), { ...extra, ...throughputExtras(job) });
}
