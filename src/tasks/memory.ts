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
import { join } from "node:path";
import { buildQuantityFigure, pointSeries, type QuantityAxis } from "../plot/quantity.js";
import {
  MEMORY_CSV_COLUMNS,
  MEMORY_QUANTITIES,
  MEMORY_STAGES,
  MEMORY_UNITS,
  writeMemoryPair,
  memoryRecordFromMetadata,
  memoryTable,
  readMemoryCsv,
  type MemoryQuantity,
  type MemoryQuantityName,
} from "../report/memory.js";
import { readMeasurementRecord } from "../record/measurement.js";
import { defineTask } from "../framework/family.js";
import { omit, param, type Values } from "../framework/parameters.js";
import { Task, type TaskContext } from "../framework/task.js";
import { buildCurves, multiPlotOutputs, type Curve } from "./mixins/curves.js";
import { plotComplete, plotConfig, plotOutputs, renderAndView, type PlotConfig } from "./mixins/plot.js";
import { runtimeConfig, runtimeDir, titleName, type RuntimeConfig } from "./mixins/runtime.js";
import { sortedBatchSizes } from "./params.js";
import { PlotMultiRuntimes, PlotRuntimes } from "./plot.js";
import { MeasureRuntime, MergeRuntimes } from "./runtime.js";

/** Output folder of a memory task of one model. */
const memoryDir = runtimeDir;

/** Extracts the resident memory and load time of one MeasureRuntime into memory_bs_<N>.csv. */
export class MeasureMemory extends Task {
  static readonly family = defineTask({
    name: "MeasureMemory",
    examples: [
      [
        "mlprof run MeasureMemory --version v1 --model-file examples/dnn/model_onnx_l10u256.yaml --batch-size 64",
        "resident memory and load time at batch size 64",
      ],
    ],
    description: "resident memory and load time of one MeasureRuntime (memory_bs_<N>.csv)",
    params: MeasureRuntime.params,
    create: (v) => new MeasureMemory(runtimeConfig(v), v.batchSize),
  });
  readonly family = "MeasureMemory";

  constructor(
    readonly cfg: RuntimeConfig,
    readonly batchSize: number,
  ) {
    super();
  }

  requires(): MeasureRuntime[] {
    return [new MeasureRuntime(this.cfg, this.batchSize)];
  }

  outputs(): string[] {
    const stem = join(memoryDir(this.family, this.cfg), `memory_bs_${this.batchSize}`);
    return [`${stem}.csv`, `${stem}.json`];
  }

  reprParams(): Record<string, unknown> {
    return { ...this.requires()[0]!.reprParams() };
  }

  override title(): string {
    return `MeasureMemory ${titleName(this.cfg)}, batch size ${this.batchSize}`;
  }

  async run(): Promise<void> {
    const metaPath = this.requires()[0]!.outputs()[1]!;
    const meta = readMeasurementRecord(metaPath);
    const record = memoryRecordFromMetadata(meta, this.batchSize, metaPath);
    const [csvPath, jsonPath] = this.outputs() as [string, string];
    writeMemoryPair(csvPath, jsonPath, [record], {
      model: this.cfg.model.fullName,
      batchSizes: [this.batchSize],
      sources: [metaPath],
      units: MEMORY_UNITS,
      csvColumns: MEMORY_CSV_COLUMNS,
      engine: `${meta.process.engine.name} ${meta.process.engine.version}`,
      cpu: meta.host.cpuModel,
      host: meta.host.hostname,
    });
  }
}

/** Merges the MeasureMemory CSVs of several batch sizes into memory_bs_<b1>_<b2>_....csv. */
export class MergeMemory extends Task {
  static readonly family = defineTask({
    name: "MergeMemory",
    examples: [
      [
        "mlprof run MergeMemory --version v1 --batch-sizes 1,16,256",
        "the memory of the default TF DNN at three batch sizes",
      ],
    ],
    description: "merge the memory of several batch sizes (memory_bs_<...>.csv)",
    params: MergeRuntimes.params,
    create: (v) => new MergeMemory(runtimeConfig(v), v.batchSizes),
  });
  readonly family = "MergeMemory";
  readonly batchSizes: number[];

  constructor(
    readonly cfg: RuntimeConfig,
    batchSizes: number[],
  ) {
    super();
    this.batchSizes = sortedBatchSizes(batchSizes);
  }

  requires(): MeasureMemory[] {
    return this.batchSizes.map((b) => new MeasureMemory(this.cfg, b));
  }

  outputs(): string[] {
    const stem = join(memoryDir(this.family, this.cfg), `memory_bs_${this.batchSizes.join("_")}`);
    return [`${stem}.csv`, `${stem}.json`];
  }

  reprParams(): Record<string, unknown> {
    return { ...new MergeRuntimes(this.cfg, this.batchSizes).reprParams() };
  }

  override title(): string {
    return `MergeMemory ${titleName(this.cfg)}, batch sizes ${this.batchSizes.join(",")}`;
  }

  async run(ctx: TaskContext): Promise<void> {
    const inputs = this.requires().map((t) => t.outputs()[0]!);
    const records = inputs.flatMap((p) => readMemoryCsv(p));
    const [csvPath, jsonPath] = this.outputs() as [string, string];
    writeMemoryPair(csvPath, jsonPath, records, {
      model: this.cfg.model.fullName,
      batchSizes: this.batchSizes,
      sources: inputs,
      units: MEMORY_UNITS,
      csvColumns: MEMORY_CSV_COLUMNS,
    });
    memoryTable(records.map((record) => ({ label: this.cfg.model.label, record }))).forEach((l) =>
      ctx.log?.(l),
    );
  }
}

/** Plot parameters that make no sense for memory plots (their values are not runtimes). */
const RUNTIME_ONLY_PLOT_PARAMS = ["bsNormalized", "errorStyle"] as const;
const PLOT_MEMORY_PARAMS = omit(PlotRuntimes.params, RUNTIME_ONLY_PLOT_PARAMS);
const PLOT_MULTI_MEMORY_PARAMS = omit(PlotMultiRuntimes.params, RUNTIME_ONLY_PLOT_PARAMS);

/** The plot configuration of a memory plot: one value per batch size, no band. */
function memoryPlotConfig(
  v: Values<typeof PLOT_MEMORY_PARAMS> | Values<typeof PLOT_MULTI_MEMORY_PARAMS>,
): PlotConfig {
  return plotConfig({ ...v, bsNormalized: false, errorStyle: "band" });
}

/** The y axis of a quantity. */
function axisOf(quantity: MemoryQuantity): QuantityAxis {
  return quantity.unit === "ms"
    ? { title: "Load time, first and median call [ms]", unit: "ms" }
    : { title: "Resident memory [MiB]", unit: "MiB", fit: true };
}

/** Plots the resident memory of one model against the batch size, one line per stage. */
export class PlotMemory extends Task {
  static readonly family = defineTask({
    name: "PlotMemory",
    examples: [
      [
        "mlprof run PlotMemory --version v1 --model-file examples/dnn/model_onnx_l10u256.yaml --batch-sizes 1,16,256",
        "the memory stages of one model against the batch size",
      ],
    ],
    description: "plot the resident memory of one model against the batch size, one line per stage",
    params: PLOT_MEMORY_PARAMS,
    create: (v) => new PlotMemory(runtimeConfig(v), v.batchSizes, memoryPlotConfig(v)),
  });
  readonly family = "PlotMemory";
  readonly batchSizes: number[];

  constructor(
    readonly cfg: RuntimeConfig,
    batchSizes: number[],
    readonly plot: PlotConfig,
  ) {
    super();
    this.batchSizes = sortedBatchSizes(batchSizes);
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

  override complete(): boolean {
    return plotComplete(this.outputs(), this.plot);
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
    const figure = buildQuantityFigure(series, this.plot.options, {
      ...axisOf(MEMORY_QUANTITIES.peak),
      legendTitle: this.cfg.model.label,
    });
    await renderAndView(figure, this.plot, this.outputs(), ctx);
    memoryTable(records.map((record) => ({ label: this.cfg.model.label, record }))).forEach((l) =>
      ctx.log?.(l),
    );
  }
}

const MEMORY_STAGE = param.string({
  flag: "memory-stage",
  default: "peak",
  choices: Object.entries(MEMORY_QUANTITIES)
    .filter(([, q]) => q.unit === "MiB")
    .map(([k]) => k),
  description:
    "what to plot: the resident memory before-load, after-load, after-warmup, after-timing, its peak, " +
    "or load (after-load minus before-load: the memory the model adds)",
});

/** Plots one memory quantity of several models / releases / architectures against the batch size. */
export class PlotMultiMemory extends Task {
  static readonly family = defineTask({
    name: "PlotMultiMemory",
    examples: [
      [
        "mlprof run PlotMultiMemory --version v1 --model-files examples/dnn/model_{tf,onnx}_l10u256.yaml --batch-sizes 1,16,256",
        "the peak memory of TensorFlow and ONNX Runtime",
      ],
    ],
    description: "plot one memory stage (default: the peak) of several models / releases / architectures",
    params: { ...PLOT_MULTI_MEMORY_PARAMS, memoryStage: MEMORY_STAGE },
    create: (v) =>
      new PlotMultiMemory(
        buildCurves(v),
        v.batchSizes,
        memoryPlotConfig(v),
        v.memoryStage as MemoryQuantityName,
      ),
  });
  readonly family: string = "PlotMultiMemory";
  readonly batchSizes: number[];

  constructor(
    readonly curves: Curve[],
    batchSizes: number[],
    readonly plot: PlotConfig,
    readonly quantity: MemoryQuantityName,
  ) {
    super();
    this.batchSizes = sortedBatchSizes(batchSizes);
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

  /** The quantities drawn, one series per curve each (PlotLoadTime: load, first call, median call). */
  protected quantities(): MemoryQuantityName[] {
    return [this.quantity];
  }

  override complete(): boolean {
    return plotComplete(this.outputs(), this.plot);
  }

  async run(ctx: TaskContext): Promise<void> {
    const q = MEMORY_QUANTITIES[this.quantity];
    const perCurve = this.requires().map((t) => readMemoryCsv(t.outputs()[0]!));
    const names = this.quantities();
    const series = this.curves.flatMap((c, i) =>
      names.map((name) =>
        pointSeries(
          names.length > 1 ? `${c.label}${c.label ? ": " : ""}${MEMORY_QUANTITIES[name].label}` : c.label,
          perCurve[i]!.map((r) => r.batchSize),
          perCurve[i]!.map((r) => MEMORY_QUANTITIES[name].value(r)),
        ),
      ),
    );
    const axis = {
      ...axisOf(q),
      ...(q.unit === "MiB" && { title: `Resident memory ${q.label} [MiB]` }),
    };
    await renderAndView(buildQuantityFigure(series, this.plot.options, axis), this.plot, this.outputs(), ctx);
    const entries = this.curves.flatMap((c, i) => perCurve[i]!.map((record) => ({ label: c.label, record })));
    memoryTable(entries).forEach((l) => ctx.log?.(l));
  }
}

/** Plots the model load time (session creation, graph import) of several models against the batch size. */
export class PlotLoadTime extends PlotMultiMemory {
  static override readonly family = defineTask({
    name: "PlotLoadTime",
    examples: [
      [
        "mlprof run PlotLoadTime --version v1 --model-files examples/dnn/model_{tf,onnx}_l10u128.yaml",
        "load time, first call and median call of two engines",
      ],
    ],
    description:
      "plot the model load time, the first (cold) call and the median call of several models / releases / architectures",
    params: { ...PLOT_MULTI_MEMORY_PARAMS, yLog: { ...PLOT_MULTI_MEMORY_PARAMS.yLog, default: true } },
    create: (v) => new PlotLoadTime(buildCurves(v), v.batchSizes, memoryPlotConfig(v), "load-time"),
  });
  override readonly family: string = "PlotLoadTime";

  protected override quantities(): MemoryQuantityName[] {
    return ["load-time", "first-call", "median-call"];
  }
}
