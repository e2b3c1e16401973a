/** The runtime plots: PlotRuntimes (one model) and PlotMultiRuntimes (models × releases × architectures). */
import { buildRuntimeFigure } from "../plot/figure.js";
import { withRendererStarted } from "../plot/render.js";
import { seriesFromCsv, summarizeRuntimeCsv } from "../report/summaries.js";
import { plainLabel, summaryTable, type SummaryEntry } from "../report/text.js";
import { defineTask } from "../framework/family.js";
import { Task, type TaskContext } from "../framework/task.js";
import { buildCurves, multiPlotOutputs, type Curve } from "./mixins/curves.js";
import {
  plotComplete,
  plotConfig,
  plotOutputs,
  renderAndView,
  plotPage,
  xAxisHint,
  type PlotConfig,
} from "./mixins/plot.js";
import { runtimeConfig, runtimeDir, type RuntimeConfig } from "./mixins/runtime.js";
import {
  BATCH_SIZES,
  CMSSW_PARAMS,
  MEASUREMENT_PARAMS,
  MODEL_PARAMS,
  MULTI_CMSSW_PARAMS,
  MULTI_MODEL_PARAMS,
  PLOT_PARAMS,
  VERSION,
  sortedBatchSizes,
} from "./params.js";
import { MergeRuntimes } from "./runtime.js";

/**
 * Legend suffixes of a curve: the batch sizes whose windows never became stable (--until-stable), whose
 * points are invalid (drawn hollow; stats/validity.ts), and for
 * tfaot the batch sizes stitched from other compiled sizes (a flat AOT curve then shows the compiled
 * sizes' cost, not the engine's scaling).
 */
export function unstableNote(entries: SummaryEntry[]): string {
  const unstable = entries.filter((e) => e.stable === false).map((e) => e.batchSize);
  const invalid = entries.filter((e) => e.validity?.valid === false).map((e) => e.batchSize);
  const stitched = entries.filter((e) => e.stitched).map((e) => e.batchSize);
  const notes = [
    ...(unstable.length ? [`not stable at batch size ${unstable.join(", ")}`] : []),
    ...(invalid.length ? [`hollow: invalid at batch size ${invalid.join(", ")}`] : []),
    ...(stitched.length
      ? [
          stitched.length > 4
            ? `${stitched.length} of ${entries.length} batch sizes stitched`
            : `stitched at ${stitched.join(", ")}`,
        ]
      : []),
  ];
  return notes.length ? ` (${notes.join("; ")})` : "";
}

/** The parameters every plot task starts with. */
const PLOT_TASK_PARAMS = { version: VERSION, batchSizes: BATCH_SIZES, ...PLOT_PARAMS, ...MEASUREMENT_PARAMS };

/** Plots the runtime of one model against the batch size: median with the 16–84 % band. */
export class PlotRuntimes extends Task {
  static readonly params = { ...PLOT_TASK_PARAMS, ...MODEL_PARAMS, ...CMSSW_PARAMS };
  static readonly family = defineTask({
    name: "PlotRuntimes",
    examples: [
      [
        "mlprof run PlotRuntimes --version v1 --batch-sizes 1,2,4,8,16,32 --x-log True",
        "runtime against batch size of the default TF DNN, log x axis",
      ],
      [
        "mlprof run PlotRuntimes --version v1 --model-file examples/dnn/model_tfaot_l10u256_bs.yaml --batch-sizes 1,2,4,8",
        "a TF-AOT model, compiled ahead of time for each batch size",
      ],
    ],
    description: "plot the runtime against the batch size: median and 16-84 % band",
    params: PlotRuntimes.params,
    create: (v) => new PlotRuntimes(runtimeConfig(v), v.batchSizes, plotConfig(v)),
  });
  readonly family = "PlotRuntimes";
  readonly batchSizes: number[];

  constructor(
    readonly cfg: RuntimeConfig,
    batchSizes: number[],
    readonly plot: PlotConfig,
  ) {
    super();
    this.batchSizes = sortedBatchSizes(batchSizes);
  }

  requires(): MergeRuntimes[] {
    return [new MergeRuntimes(this.cfg, this.batchSizes)];
  }

  outputs(): string[] {
    return plotOutputs(
      runtimeDir(this.family, this.cfg),
      `runtimes_bs_${this.batchSizes.join("_")}`,
      this.plot,
    );
  }

  reprParams(): Record<string, unknown> {
    return { version: this.cfg.version, model_file: this.cfg.model.file, batch_sizes: this.batchSizes };
  }

  override complete(): boolean {
    return plotComplete(this.outputs(), this.plot);
  }

  async run(ctx: TaskContext): Promise<void> {
    // Chromium starts while the results are read (the measurements have finished: this task runs after them)
    await withRendererStarted(() => this.draw(ctx));
  }

  private async draw(ctx: TaskContext): Promise<void> {
    const hint = xAxisHint(this.batchSizes, this.plot);
    if (hint) ctx.warn?.(hint);
    const merged = this.requires()[0]!.outputs()[0]!;
    const entries = summarizeRuntimeCsv(merged, this.cfg.model.label, this.batchSizes);
    const label = this.cfg.model.label + unstableNote(entries);
    const series = seriesFromCsv(merged, label, this.batchSizes, this.plot.options.bsNormalized, entries);
    const page = plotPage(`Runtime of ${plainLabel(this.cfg.model.label)}`, [
      merged.replace(/\.csv$/, ".json"),
    ]);
    await renderAndView(
      buildRuntimeFigure([series], this.plot.options),
      this.plot,
      this.outputs(),
      ctx,
      page,
    );
    summaryTable(entries).forEach((l) => ctx.log?.(l));
  }
}

/** Plots the runtimes of every combination of models, CMSSW releases and architectures in one figure. */
export class PlotMultiRuntimes extends Task {
  static readonly params = { ...PLOT_TASK_PARAMS, ...MULTI_MODEL_PARAMS, ...MULTI_CMSSW_PARAMS };
  static readonly family = defineTask({
    name: "PlotMultiRuntimes",
    examples: [
      [
        "mlprof run PlotMultiRuntimes --version v1 --model-files examples/dnn/model_{tf,onnx}_l10u128.yaml",
        "TensorFlow and ONNX Runtime of the same DNN in one plot",
      ],
      [
        "mlprof run PlotMultiRuntimes --version v1 --model-files examples/dnn/model_onnx_l10u128.yaml --cmssw-versions CMSSW_{13_3_1,15_0_0} --engine-versions release",
        "one model in the ONNX Runtime versions of two releases",
      ],
    ],
    description: "plot several models / releases / architectures in one figure",
    params: PlotMultiRuntimes.params,
    create: (v) => new PlotMultiRuntimes(buildCurves(v), v.batchSizes, plotConfig(v)),
  });
  readonly family = "PlotMultiRuntimes";
  readonly batchSizes: number[];

  constructor(
    readonly curves: Curve[],
    batchSizes: number[],
    readonly plot: PlotConfig,
  ) {
    super();
    this.batchSizes = sortedBatchSizes(batchSizes);
  }

  requires(): MergeRuntimes[] {
    return this.curves.map((c) => new MergeRuntimes(c.cfg, this.batchSizes));
  }

  outputs(): string[] {
    return multiPlotOutputs(this.family, this.curves, "runtimes", this.batchSizes, this.plot);
  }

  reprParams(): Record<string, unknown> {
    return {
      version: this.curves[0]!.cfg.version,
      model_files: [...new Set(this.curves.map((c) => c.cfg.model.file))],
      batch_sizes: this.batchSizes,
    };
  }

  override complete(): boolean {
    return plotComplete(this.outputs(), this.plot);
  }

  async run(ctx: TaskContext): Promise<void> {
    // Chromium starts while the results are read (the measurements have finished: this task runs after them)
    await withRendererStarted(() => this.draw(ctx));
  }

  private async draw(ctx: TaskContext): Promise<void> {
    const hint = xAxisHint(this.batchSizes, this.plot);
    if (hint) ctx.warn?.(hint);
    const merged = this.curves.map((c) => new MergeRuntimes(c.cfg, this.batchSizes).outputs()[0]!);
    const perCurve = this.curves.map((c, i) => summarizeRuntimeCsv(merged[i]!, c.label, this.batchSizes));
    const series = this.curves.map((c, i) =>
      seriesFromCsv(
        merged[i]!,
        c.label + unstableNote(perCurve[i]!),
        this.batchSizes,
        this.plot.options.bsNormalized,
        perCurve[i]!,
      ),
    );
    // a short heading (the plot keeps the page's width); the curves are listed among the facts
    const labels = this.curves.map((c) => plainLabel(c.label));
    const facts = plotPage(
      "",
      merged.map((m) => m.replace(/\.csv$/, ".json")),
    );
    const page = {
      heading:
        labels.length <= 2 ? `Runtimes of ${labels.join(", ")}` : `Runtimes of ${labels.length} curves`,
      facts:
        labels.length <= 2
          ? facts.facts
          : [["curves", labels.join("; ")] as [string, string], ...facts.facts],
    };
    await renderAndView(buildRuntimeFigure(series, this.plot.options), this.plot, this.outputs(), ctx, page);
    summaryTable(perCurve.flat()).forEach((l) => ctx.log?.(l));
  }
}
