import { join } from "node:path";
import { getExecutor } from "../executors/index.js";
import { Model } from "../model/model.js";
import { csvMetaLines, readRuntimeCsv } from "../measure/csv.js";
import { cmsswPart, runParamsPart, taskDir, type RunParts } from "../store.js";
import { MlprofError } from "../util/errors.js";
import { writeFileAtomic, writeJsonAtomic } from "../util/fs.js";
import { readFileSync } from "node:fs";
import { summaryTable } from "../report/text.js";
import { summarize, summaryMethod } from "../stats/summary.js";
import { Task, type TaskContext } from "./base.js";
import {
  BATCH_SIZE_PARAM,
  BATCH_SIZES_PARAM,
  CMSSW_PARAMS,
  MEASUREMENT_PARAMS,
  MODEL_PARAMS,
  VERSION_PARAM,
  requireNonNegative,
  requirePositive,
  resolveModelFile,
  type ParamDef,
} from "./params.js";

/** Parameters shared by the runtime tasks of one model. */
export interface RuntimeConfig {
  version: string;
  model: Model;
  run: RunParts;
  cmsswVersion: string;
  scramArch: string;
}

/** Converted command-line arguments, keyed by the dashed parameter names. */
export type Args = Record<string, unknown>;

/** Builds and checks the shared runtime configuration from converted arguments. */
export function runtimeConfig(
  args: Args,
  modelFile?: string,
  modelName?: string,
  modelLabel?: string,
): RuntimeConfig {
  const run: RunParts = {
    inputData: String(args["input-data"]),
    nEvents: args["n-events"] as number,
    nCalls: args["n-calls"] as number,
    nWarmup: args["n-warmup"] as number,
    threads: args["threads"] as number,
    interOpThreads: args["inter-op-threads"] as number,
    warmupSeconds: args["warmup-duration"] as number,
    minDurationSeconds: args["min-duration"] as number,
    cpuAffinity: String(args["cpu-affinity"] ?? ""),
    tfaotBatchRules: String(args["tfaot-batch-rules"] ?? ""),
    executor: String(args["executor"]),
  };
  requirePositive("n-events", run.nEvents);
  requirePositive("n-calls", run.nCalls);
  requireNonNegative("n-warmup", run.nWarmup);
  requirePositive("threads", run.threads);
  requirePositive("inter-op-threads", run.interOpThreads);
  for (const [flag, v] of [
    ["warmup-duration", run.warmupSeconds],
    ["min-duration", run.minDurationSeconds],
  ] as const) {
    if (!(v >= 0)) throw new MlprofError(`--${flag}: expected a number of seconds >= 0, found ${v}`);
  }
  if (run.cpuAffinity && !/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(run.cpuAffinity)) {
    throw new MlprofError(
      `--cpu-affinity: expected a CPU list such as 0 or 0-3 or 1,3, found '${run.cpuAffinity}'`,
    );
  }
  const version = String(args["version"] ?? "");
  if (!/^[A-Za-z0-9_.+-]+$/.test(version)) {
    throw new MlprofError(
      `--version: expected a name of letters, digits, '_', '.', '+' or '-', found '${version}'`,
    );
  }
  const file = resolveModelFile(modelFile ?? String(args["model-file"]));
  const name = modelName ?? String(args["model-name"] ?? "");
  if (name && !/^[A-Za-z0-9_.+-]+$/.test(name)) {
    throw new MlprofError(
      `--model-name: expected a name of letters, digits, '_', '.', '+' or '-', found '${name}'`,
    );
  }
  return {
    version,
    model: new Model(file, name || undefined, (modelLabel ?? String(args["model-label"] ?? "")) || undefined),
    run,
    cmsswVersion: String(args["cmssw-version"]),
    scramArch: String(args["scram-arch"]),
  };
}

/** The <model identifier>__<run parameters> component of a runtime task's output path. */
function modelRunPart(cfg: RuntimeConfig): string {
  return `model_${cfg.model.fullName}__${runParamsPart(cfg.run)}`;
}

/** Display parameters common to the runtime tasks. */
function commonRepr(cfg: RuntimeConfig): Record<string, unknown> {
  return {
    version: cfg.version,
    model_file: cfg.model.file,
    model_name: cfg.model.fullName,
    n_events: cfg.run.nEvents,
    n_calls: cfg.run.nCalls,
    input_data: cfg.run.inputData,
    threads: cfg.run.threads,
    cmssw_version: cfg.cmsswVersion,
    scram_arch: cfg.scramArch,
  };
}

const RUNTIME_PARAMS: ParamDef[] = [VERSION_PARAM, ...MODEL_PARAMS, ...MEASUREMENT_PARAMS, ...CMSSW_PARAMS];

/** Measures the runtime of one model at one batch size: runtime_bs_<N>.csv plus its metadata JSON. */
export class MeasureRuntime extends Task {
  static readonly params: ParamDef[] = [BATCH_SIZE_PARAM, ...RUNTIME_PARAMS];
  readonly family = "MeasureRuntime";

  constructor(
    readonly cfg: RuntimeConfig,
    readonly batchSize: number,
  ) {
    super();
    requirePositive("batch-size", batchSize);
  }

  static create(args: Args): MeasureRuntime {
    return new MeasureRuntime(runtimeConfig(args), args["batch-size"] as number);
  }

  get dir(): string {
    return taskDir(
      this.family,
      cmsswPart([this.cfg.cmsswVersion], [this.cfg.scramArch]),
      modelRunPart(this.cfg),
      this.cfg.version,
    );
  }

  outputs(): string[] {
    return [
      join(this.dir, `runtime_bs_${this.batchSize}.csv`),
      join(this.dir, `runtime_bs_${this.batchSize}.json`),
    ];
  }

  requires(): Task[] {
    return [];
  }

  reprParams(): Record<string, unknown> {
    return { ...commonRepr(this.cfg), batch_size: this.batchSize };
  }

  override title(): string {
    return `MeasureRuntime ${this.cfg.model.fullName}, batch size ${this.batchSize}, ${this.cfg.run.nEvents} x ${this.cfg.run.nCalls} calls`;
  }

  async run(ctx: TaskContext): Promise<void> {
    const [csvPath, metaPath] = this.outputs() as [string, string];
    await getExecutor(this.cfg.run.executor).measure({
      model: this.cfg.model,
      batchSize: this.batchSize,
      run: this.cfg.run,
      cmsswVersion: this.cfg.cmsswVersion,
      scramArch: this.cfg.scramArch,
      csvPath,
      metaPath,
      progress: ctx.progress,
      signal: ctx.signal,
    });
  }
}

/** Parses and checks a list of batch sizes: positive, unique, sorted ascending (as law's CSVParameter with sort). */
export function checkBatchSizes(sizes: number[]): number[] {
  sizes.forEach((b) => requirePositive("batch-sizes", b));
  return [...new Set(sizes)].sort((a, b) => a - b);
}

/** Merges the MeasureRuntime CSVs of several batch sizes into runtimes_bs_<b1>_<b2>_....csv. */
export class MergeRuntimes extends Task {
  static readonly params: ParamDef[] = [BATCH_SIZES_PARAM, ...RUNTIME_PARAMS];
  readonly family = "MergeRuntimes";
  readonly batchSizes: number[];

  constructor(
    readonly cfg: RuntimeConfig,
    batchSizes: number[],
  ) {
    super();
    this.batchSizes = checkBatchSizes(batchSizes);
  }

  static create(args: Args): MergeRuntimes {
    return new MergeRuntimes(runtimeConfig(args), args["batch-sizes"] as number[]);
  }

  get dir(): string {
    return taskDir(
      this.family,
      cmsswPart([this.cfg.cmsswVersion], [this.cfg.scramArch]),
      modelRunPart(this.cfg),
      this.cfg.version,
    );
  }

  outputs(): string[] {
    const bs = this.batchSizes.join("_");
    return [join(this.dir, `runtimes_bs_${bs}.csv`), join(this.dir, `runtimes_bs_${bs}.json`)];
  }

  requires(): MeasureRuntime[] {
    return this.batchSizes.map((b) => new MeasureRuntime(this.cfg, b));
  }

  reprParams(): Record<string, unknown> {
    return { ...commonRepr(this.cfg), batch_sizes: this.batchSizes };
  }

  override title(): string {
    return `MergeRuntimes ${this.cfg.model.fullName}, batch sizes ${this.batchSizes.join(",")}`;
  }

  async run(ctx: TaskContext): Promise<void> {
    const [csvPath, metaPath] = this.outputs() as [string, string];
    const inputs = this.requires().map((t) => {
      const [csv, meta] = t.outputs() as [string, string];
      const parsed = readRuntimeCsv(csv);
      if (parsed.rows.some((r) => r.batchSize !== t.batchSize)) {
        throw new MlprofError(`${csv}: rows of another batch size than ${t.batchSize}`);
      }
      return { batchSize: t.batchSize, csv, parsed, meta: JSON.parse(readFileSync(meta, "utf8")) as unknown };
    });
    const first = inputs[0]!.parsed.meta;
    const common: Record<string, string> = {};
    for (const [k, v] of Object.entries(first)) {
      if (k !== "batch_size" && inputs.every((i) => i.parsed.meta[k] === v)) common[k] = v;
    }
    const header = csvMetaLines({
      ...common,
      batch_sizes: this.batchSizes.join(","),
      merged_from: inputs.map((i) => i.csv).join(" "),
    });
    const body = inputs
      .flatMap((i) => i.parsed.rows.map((r) => `${r.batchSize},${r.runtimeMs.toFixed(6)}\n`))
      .join("");
    const summaries = inputs.map((i) => ({
      label: this.cfg.model.label,
      batchSize: i.batchSize,
      summary: summarize(
        Float64Array.from(i.parsed.rows, (r) => r.runtimeMs),
        i.batchSize,
      ),
    }));
    writeJsonAtomic(metaPath, {
      batchSizes: this.batchSizes,
      statistics: summaryMethod(),
      warnings: summaries.flatMap((e) => e.summary.warnings.map((w) => `batch size ${e.batchSize}: ${w}`)),
      measurements: inputs.map((i, k) => ({
        batchSize: i.batchSize,
        csv: i.csv,
        summary: summaries[k]!.summary,
        metadata: i.meta,
      })),
    });
    writeFileAtomic(csvPath, header + body);
    summaryTable(summaries).forEach((line) => ctx.log?.(line));
  }
}
