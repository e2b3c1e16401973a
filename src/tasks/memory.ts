/**
 * The memory chain: MeasureMemory → MergeMemory → PlotMemory / PlotMultiMemory / PlotLoadTime, with the
 * runtime chain's parameters.
 *
 * MeasureMemory does not start a process of its own: it requires the MeasureRuntime of the same
 * parameters and reads the resident memory its measurement process recorded (before loading the model,
 * after loading it, after the warm-up, after the timed calls, and the peak) and the load time. One
 * process measures both, so memory and runtime belong to the same run, nothing is measured twice, and a
 * runtime measured earlier gets its memory for free. The readings sit outside the timed calls.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { buildQuantityFigure, pointSeries } from "../plot/quantity.js";
import {
  MEMORY_QUANTITIES,
  MEMORY_STAGES,
  memoryCsv,
  memoryRecordFromMetadata,
  memoryTable,
  readMemoryCsv,
  type MemoryQuantity,
  type MemoryQuantityName,
} from "../report/memory.js";
import { cmsswPart, runParamsPart, taskDir } from "../store.js";
import { MlprofError } from "../util/errors.js";
import { writeFileAtomic } from "../util/fs.js";
import { Task, type TaskContext } from "./base.js";
import type { ParamDef } from "./params.js";
import {
  PlotMultiRuntimes,
  PlotRuntimes,
  buildCurves,
  multiPlotOutputs,
  plotConfig,
  plotOutputs,
  renderAndView,
  type Curve,
  type PlotConfig,
} from "./plot.js";
import {
  MeasureRuntime,
  MergeRuntimes,
  checkBatchSizes,
  runtimeConfig,
  type Args,
  type RuntimeConfig,
} from "./runtime.js";

/** Output folder of a memory task of one model. */
function memoryDir(family: string, cfg: RuntimeConfig): string {
  return taskDir(
    family,
    cmsswPart([cfg.cmsswVersion], [cfg.scramArch]),
    `model_${cfg.model.fullName}__${runParamsPart(cfg.run)}`,
    cfg.version,
  );
}

/** Extracts the resident memory and load time of one MeasureRuntime into memory_bs_<N>.csv. */
export class MeasureMemory extends Task {
  static readonly params: ParamDef[] = MeasureRuntime.params;
  readonly family = "MeasureMemory";

  constructor(
    readonly cfg: RuntimeConfig,
    readonly batchSize: number,
  ) {
    super();
  }

  static create(args: Args): MeasureMemory {
    return new MeasureMemory(runtimeConfig(args), args["batch-size"] as number);
  }

  requires(): MeasureRuntime[] {
    return [new MeasureRuntime(this.cfg, this.batchSize)];
  }

  outputs(): string[] {
    return [join(memoryDir(this.family, this.cfg), `memory_bs_${this.batchSize}.csv`)];
  }

  reprParams(): Record<string, unknown> {
    return { ...this.requires()[0]!.reprParams() };
  }

  override title(): string {
    return `MeasureMemory ${this.cfg.model.fullName}, batch size ${this.batchSize}`;
  }

  async run(): Promise<void> {
    const metaPath = this.requires()[0]!.outputs()[1]!;
    const meta = JSON.parse(readFileSync(metaPath, "utf8")) as {
      process?: { engine?: { name?: string; version?: string } };
      host?: { hostname?: string; cpuModel?: string };
    };
    const record = memoryRecordFromMetadata(meta, this.batchSize, metaPath);
    const header = {
      model: this.cfg.model.fullName,
      engine: `${meta.process?.engine?.name ?? "?"} ${meta.process?.engine?.version ?? "?"}`,
      cpu: meta.host?.cpuModel ?? "?",
      host: meta.host?.hostname ?? "?",
      source: metaPath,
      units: "resident set size in MiB (VmRSS, peak VmHWM), load time in ms",
    };
    writeFileAtomic(this.outputs()[0]!, memoryCsv([record], header));
  }
}

/** Merges the MeasureMemory CSVs of several batch sizes into memory_bs_<b1>_<b2>_....csv. */
export class MergeMemory extends Task {
  static readonly params: ParamDef[] = MergeRuntimes.params;
  readonly family = "MergeMemory";
  readonly batchSizes: number[];

  constructor(
    readonly cfg: RuntimeConfig,
    batchSizes: number[],
  ) {
    super();
    this.batchSizes = checkBatchSizes(batchSizes);
  }

  static create(args: Args): MergeMemory {
    return new MergeMemory(runtimeConfig(args), args["batch-sizes"] as number[]);
  }

  requires(): MeasureMemory[] {
    return this.batchSizes.map((b) => new MeasureMemory(this.cfg, b));
  }

  outputs(): string[] {
    return [join(memoryDir(this.family, this.cfg), `memory_bs_${this.batchSizes.join("_")}.csv`)];
  }

  reprParams(): Record<string, unknown> {
    return { ...new MergeRuntimes(this.cfg, this.batchSizes).reprParams() };
  }

  override title(): string {
    return `MergeMemory ${this.cfg.model.fullName}, batch sizes ${this.batchSizes.join(",")}`;
  }

  async run(ctx: TaskContext): Promise<void> {
    const inputs = this.requires().map((t) => t.outputs()[0]!);
    const records = inputs.flatMap((p) => readMemoryCsv(p));
    const header = {
      model: this.cfg.model.fullName,
      batch_sizes: this.batchSizes.join(","),
      merged_from: inputs.join(" "),
    };
    writeFileAtomic(this.outputs()[0]!, memoryCsv(records, header));
    memoryTable(records.map((record) => ({ label: this.cfg.model.label, record }))).forEach((l) =>
      ctx.log?.(l),
    );
  }
}

/** Plot parameters that make no sense for memory plots (their values are not runtimes). */
const RUNTIME_ONLY_PLOT_PARAMS = new Set(["bs-normalized", "error-style"]);
const withoutRuntimeOnly = (params: ParamDef[]) =>
  params.filter((p) => !RUNTIME_ONLY_PLOT_PARAMS.has(p.name));

/** The plot configuration of a memory plot: one value per batch size, no band. */
function memoryPlotConfig(args: Args): PlotConfig {
  const plot = plotConfig(args);
  return { ...plot, options: { ...plot.options, bsNormalized: false, errorStyle: "band" } };
}

/** The y axis of a quantity. */
function axisOf(quantity: MemoryQuantity): { title: string; unit: string } {
  return quantity.unit === "ms"
    ? { title: "Load time [ms]", unit: "ms" }
    : { title: "Resident memory [MiB]", unit: "MiB" };
}

/** Plots the resident memory of one model against the batch size, one line per stage. */
export class PlotMemory extends Task {
  static readonly params: ParamDef[] = withoutRuntimeOnly(PlotRuntimes.params);
  readonly family = "PlotMemory";
  readonly batchSizes: number[];

  constructor(
    readonly cfg: RuntimeConfig,
    batchSizes: number[],
    readonly plot: PlotConfig,
  ) {
    super();
    this.batchSizes = checkBatchSizes(batchSizes);
  }

  static create(args: Args): PlotMemory {
    return new PlotMemory(runtimeConfig(args), args["batch-sizes"] as number[], memoryPlotConfig(args));
  }

  requires(): MergeMemory[] {
    return [new MergeMemory(this.cfg, this.batchSizes)];
  }

  outputs(): string[] {
    return plotOutputs(memoryDir(this.family, this.cfg), `memory_bs_${this.batchSizes.join("_")}`, this.plot);
  }

  reprParams(): Record<string, unknown> {
    return { version: this.cfg.version, model_file: this.cfg.model.file, batch_sizes: this.batchSizes };
  }

  async run(ctx: TaskContext): Promise<void> {
    const records = readMemoryCsv(this.requires()[0]!.outputs()[0]!);
    const series = MEMORY_STAGES.map((name) => {
      const q = MEMORY_QUANTITIES[name];
      return pointSeries(
        q.label,
        records.map((r) => r.batchSize),
        records.map((r) => q.value(r)),
      );
    });
    const opts = { ...this.plot.options, title: this.cfg.model.label };
    const figure = buildQuantityFigure(series, opts, axisOf(MEMORY_QUANTITIES.peak));
    await renderAndView(figure, this.plot, this.outputs(), ctx);
    memoryTable(records.map((record) => ({ label: this.cfg.model.label, record }))).forEach((l) =>
      ctx.log?.(l),
    );
  }
}

const MEMORY_STAGE_PARAM: ParamDef = {
  name: "memory-stage",
  type: "string",
  default: "peak",
  choices: Object.keys(MEMORY_QUANTITIES).filter((k) => k !== "load-time"),
  description:
    "what to plot: the resident memory before-load, after-load, after-warmup, after-timing, its peak, " +
    "or load (after-load minus before-load: the memory the model adds)",
};

/** Plots one memory quantity of several models / releases / architectures against the batch size. */
export class PlotMultiMemory extends Task {
  static readonly params: ParamDef[] = [...withoutRuntimeOnly(PlotMultiRuntimes.params), MEMORY_STAGE_PARAM];
  readonly family: string = "PlotMultiMemory";
  readonly batchSizes: number[];
  readonly curves: Curve[];

  constructor(
    args: Args,
    readonly plot: PlotConfig,
    readonly quantity: MemoryQuantityName,
  ) {
    super();
    this.batchSizes = checkBatchSizes(args["batch-sizes"] as number[]);
    this.curves = buildCurves(args);
  }

  static create(args: Args): PlotMultiMemory {
    const stage = String(args["memory-stage"]);
    if (!(stage in MEMORY_QUANTITIES)) throw new MlprofError(`--memory-stage: unknown stage '${stage}'`);
    return new PlotMultiMemory(args, memoryPlotConfig(args), stage as MemoryQuantityName);
  }

  requires(): MergeMemory[] {
    return this.curves.map((c) => new MergeMemory(c.cfg, this.batchSizes));
  }

  outputs(): string[] {
    const prefix = this.quantity === "load-time" ? "loadtime" : `memory_${this.quantity.replace(/-/g, "")}`;
    return multiPlotOutputs(this.family, this.curves, prefix, this.batchSizes, this.plot);
  }

  reprParams(): Record<string, unknown> {
    return {
      version: this.curves[0]!.cfg.version,
      model_files: [...new Set(this.curves.map((c) => c.cfg.model.file))],
      batch_sizes: this.batchSizes,
      quantity: this.quantity,
    };
  }

  async run(ctx: TaskContext): Promise<void> {
    const q = MEMORY_QUANTITIES[this.quantity];
    const perCurve = this.requires().map((t) => readMemoryCsv(t.outputs()[0]!));
    const series = this.curves.map((c, i) =>
      pointSeries(
        c.label,
        perCurve[i]!.map((r) => r.batchSize),
        perCurve[i]!.map((r) => q.value(r)),
      ),
    );
    const opts = { ...this.plot.options, title: q.unit === "MiB" ? `Resident memory ${q.label}` : undefined };
    await renderAndView(buildQuantityFigure(series, opts, axisOf(q)), this.plot, this.outputs(), ctx);
    const entries = this.curves.flatMap((c, i) => perCurve[i]!.map((record) => ({ label: c.label, record })));
    memoryTable(entries).forEach((l) => ctx.log?.(l));
  }
}

/** Plots the model load time (session creation, graph import) of several models against the batch size. */
export class PlotLoadTime extends PlotMultiMemory {
  static override readonly params: ParamDef[] = withoutRuntimeOnly(PlotMultiRuntimes.params);
  override readonly family: string = "PlotLoadTime";

  static override create(args: Args): PlotLoadTime {
    return new PlotLoadTime(args, memoryPlotConfig(args), "load-time");
  }
}
