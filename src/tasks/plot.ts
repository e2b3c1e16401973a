import { join } from "node:path";
import { execa } from "execa";
import { readRuntimeCsv } from "../measure/csv.js";
import { buildRuntimeFigure, type PlotOptions, type PlotSeries } from "../plot/figure.js";
import { renderFigure, type RenderTargets } from "../plot/render.js";
import { summarizeRuntimeCsv } from "../report/summaries.js";
import { summaryTable } from "../report/text.js";
import { bandStats } from "../stats/stats.js";
import { cmsswPart, runParamsPart, taskDir } from "../store.js";
import { MlprofError } from "../util/errors.js";
import { shortHash } from "../util/hash.js";
import { Task, type TaskContext } from "./base.js";
import {
  BATCH_SIZES_PARAM,
  CMSSW_PARAMS,
  MEASUREMENT_PARAMS,
  MODEL_PARAMS,
  MULTI_CMSSW_PARAMS,
  MULTI_MODEL_PARAMS,
  PLOT_PARAMS,
  VERSION_PARAM,
  type ParamDef,
} from "./params.js";
import { MergeRuntimes, checkBatchSizes, runtimeConfig, type Args, type RuntimeConfig } from "./runtime.js";

/** Plot settings shared by the plotting tasks. */
export interface PlotConfig {
  options: PlotOptions;
  fileTypes: ("pdf" | "png")[];
  postfix: string;
  viewCmd: string;
}

const FILE_TYPES = ["pdf", "png"] as const;

/** Checks and converts the plot parameters (PLOT_PARAMS). */
export function plotConfig(args: Args): PlotConfig {
  const fileTypes = [...new Set(args["file-types"] as string[])];
  for (const t of fileTypes) {
    if (!(FILE_TYPES as readonly string[]).includes(t)) {
      throw new MlprofError(
        `--file-types: expected pdf and/or png, found '${t}' (an interactive .html is always written)`,
      );
    }
  }
  if (fileTypes.length === 0) throw new MlprofError("--file-types: expected at least one of pdf, png");
  const yMin = args["y-min"] as number | undefined;
  const yMax = args["y-max"] as number | undefined;
  const yLog = args["y-log"] as boolean;
  if (yMin !== undefined && yMax !== undefined && yMin >= yMax) {
    throw new MlprofError(`--y-min (${yMin}) must be smaller than --y-max (${yMax})`);
  }
  if (yLog && ((yMin !== undefined && yMin <= 0) || (yMax !== undefined && yMax <= 0))) {
    throw new MlprofError("--y-min and --y-max must be positive with --y-log");
  }
  const postfix = String(args["plot-postfix"] ?? "");
  if (postfix && !/^[A-Za-z0-9_.+-]+$/.test(postfix)) {
    throw new MlprofError(
      `--plot-postfix: expected letters, digits, '_', '.', '+' or '-', found '${postfix}'`,
    );
  }
  return {
    options: {
      yLog,
      xLog: args["x-log"] as boolean,
      yMin,
      yMax,
      bsNormalized: args["bs-normalized"] as boolean,
      errorStyle: args["error-style"] as "band" | "bars",
      topRightLabel: String(args["top-right-label"] ?? "") || undefined,
    },
    fileTypes: fileTypes as ("pdf" | "png")[],
    postfix,
    viewCmd: String(args["view-cmd"] ?? ""),
  };
}

/** Per-batch-size median and 16/84 % quantiles of a merged runtime CSV, divided by the batch size when asked. */
export function seriesFromCsv(
  csvPath: string,
  label: string,
  batchSizes: number[],
  bsNormalized: boolean,
): PlotSeries {
  const { rows } = readRuntimeCsv(csvPath);
  const series: PlotSeries = { label, batchSizes: [], median: [], low: [], high: [] };
  for (const bs of batchSizes) {
    const values = rows
      .filter((r) => r.batchSize === bs)
      .map((r) => (bsNormalized ? r.runtimeMs / bs : r.runtimeMs));
    if (values.length === 0) throw new MlprofError(`${csvPath}: no rows for batch size ${bs}`);
    const s = bandStats(values);
    series.batchSizes.push(bs);
    series.median.push(s.median);
    series.low.push(s.p16);
    series.high.push(s.p84);
  }
  return series;
}

/** Output paths of a plot: one per file type plus the interactive HTML. */
export function plotOutputs(dir: string, stem: string, plot: PlotConfig): string[] {
  const base = plot.postfix ? `${stem}__${plot.postfix}` : stem;
  return [...plot.fileTypes.map((t) => join(dir, `${base}.${t}`)), join(dir, `${base}.html`)];
}

/** Renders a figure to the plot's outputs and runs --view-cmd on the PDF/PNG files. */
export async function renderAndView(
  figure: { data: object[]; layout: object },
  plot: PlotConfig,
  outputs: string[],
  ctx: TaskContext,
): Promise<void> {
  const targets: RenderTargets = {};
  for (const out of outputs) {
    const ext = out.slice(out.lastIndexOf(".") + 1) as keyof RenderTargets;
    targets[ext] = out;
  }
  ctx.progress("rendering the plot in Chromium");
  await renderFigure(figure, targets);
  if (plot.viewCmd) {
    for (const out of outputs.filter((o) => !o.endsWith(".html"))) {
      const [cmd, ...cmdArgs] = plot.viewCmd.trim().split(/\s+/) as [string, ...string[]];
      await execa(cmd, [...cmdArgs, out], { stdio: "inherit", reject: false });
    }
  }
}

const PLOT_TASK_PARAMS: ParamDef[] = [
  VERSION_PARAM,
  BATCH_SIZES_PARAM,
  ...PLOT_PARAMS,
  ...MEASUREMENT_PARAMS,
];

/** Plots the runtime of one model against the batch size: median with the 16–84 % band. */
export class PlotRuntimes extends Task {
  static readonly params: ParamDef[] = [...PLOT_TASK_PARAMS, ...MODEL_PARAMS, ...CMSSW_PARAMS];
  readonly family = "PlotRuntimes";
  readonly batchSizes: number[];

  constructor(
    readonly cfg: RuntimeConfig,
    batchSizes: number[],
    readonly plot: PlotConfig,
  ) {
    super();
    this.batchSizes = checkBatchSizes(batchSizes);
  }

  static create(args: Args): PlotRuntimes {
    return new PlotRuntimes(runtimeConfig(args), args["batch-sizes"] as number[], plotConfig(args));
  }

  requires(): MergeRuntimes[] {
    return [new MergeRuntimes(this.cfg, this.batchSizes)];
  }

  outputs(): string[] {
    const dir = taskDir(
      this.family,
      cmsswPart([this.cfg.cmsswVersion], [this.cfg.scramArch]),
      `model_${this.cfg.model.fullName}__${runParamsPart(this.cfg.run)}`,
      this.cfg.version,
    );
    return plotOutputs(dir, `runtimes_bs_${this.batchSizes.join("_")}`, this.plot);
  }

  reprParams(): Record<string, unknown> {
    return { version: this.cfg.version, model_file: this.cfg.model.file, batch_sizes: this.batchSizes };
  }

  async run(ctx: TaskContext): Promise<void> {
    const merged = this.requires()[0]!.outputs()[0]!;
    const series = seriesFromCsv(
      merged,
      this.cfg.model.label,
      this.batchSizes,
      this.plot.options.bsNormalized,
    );
    await renderAndView(buildRuntimeFigure([series], this.plot.options), this.plot, this.outputs(), ctx);
    summaryTable(summarizeRuntimeCsv(merged, this.cfg.model.label, this.batchSizes)).forEach((l) =>
      ctx.log?.(l),
    );
  }
}

/** One curve of a multi plot: a model in a release on an architecture. */
export interface Curve {
  cfg: RuntimeConfig;
  label: string;
}

/**
 * The curves of a multi-model task: every combination of --model-files, --cmssw-versions and
 * --scram-archs, labelled by the parameters that vary.
 */
export function buildCurves(args: Args): Curve[] {
  const files = args["model-files"] as string[];
  const names = args["model-names"] as string[];
  const labels = args["model-labels"] as string[];
  const versions = args["cmssw-versions"] as string[];
  const archs = args["scram-archs"] as string[];
  if (files.length === 0) throw new MlprofError("--model-files: expected at least one model file");
  for (const [flag, list] of [
    ["model-names", names],
    ["model-labels", labels],
  ] as const) {
    if (list.length > 0 && list.length !== files.length) {
      throw new MlprofError(
        `--${flag}: expected one entry per model file (${files.length}: ${files.join(", ")}), found ${list.length}`,
      );
    }
  }
  if (versions.length === 0 || archs.length === 0)
    throw new MlprofError("--cmssw-versions and --scram-archs must not be empty");
  if (args["executor"] === "local" && (versions.length > 1 || archs.length > 1)) {
    throw new MlprofError(
      `the local executor measures the engines installed on this machine whatever --cmssw-version says, so ` +
        `${[...versions, ...archs].join(", ")} measured locally would show identical engines as a release comparison`,
      "compare releases with measurements made in CMSSW (mlprof submit, then mlprof collect); locally, compare models or engines",
    );
  }
  const curves: Curve[] = [];
  files.forEach((file, i) => {
    for (const cmsswVersion of versions) {
      for (const scramArch of archs) {
        const cfg = runtimeConfig(
          { ...args, "cmssw-version": cmsswVersion, "scram-arch": scramArch },
          file,
          names[i] ?? "",
          labels[i] ?? "",
        );
        curves.push({ cfg, label: "" });
      }
    }
  });
  // legend labels from the parameters that vary, as the original
  for (const curve of curves) {
    const parts: string[] = [];
    if (files.length > 1 || (versions.length === 1 && archs.length === 1)) parts.push(curve.cfg.model.label);
    if (versions.length > 1) parts.push(curve.cfg.cmsswVersion);
    if (archs.length > 1) parts.push(curve.cfg.scramArch);
    curve.label = parts.join(", ");
  }
  return curves;
}

/**
 * Outputs of a plot of several curves: <family>/<releases>__<archs>/<models>__<run parameters>/<version>/
 * <prefix>_<models, and releases / archs when several>_bs_<...>, hashed when too long.
 */
export function multiPlotOutputs(
  family: string,
  curves: Curve[],
  prefix: string,
  batchSizes: number[],
  plot: PlotConfig,
): string[] {
  const first = curves[0]!.cfg;
  const models = [...new Set(curves.map((c) => c.cfg.model.fullName))];
  const versions = [...new Set(curves.map((c) => c.cfg.cmsswVersion))];
  const archs = [...new Set(curves.map((c) => c.cfg.scramArch))];
  const dir = taskDir(
    family,
    cmsswPart(versions, archs),
    `${models.map((m) => `model_${m}`).join("__")}__${runParamsPart(first.run)}`,
    first.version,
  );
  const params = [...models, ...(versions.length > 1 ? versions : []), ...(archs.length > 1 ? archs : [])];
  const stem = `${prefix}_${params.join("_")}_bs_${batchSizes.join("_")}`;
  const short = `${prefix}_${params.length}curves_${shortHash(params.join("_"), 8)}_bs_${batchSizes.join("_")}`;
  return plotOutputs(dir, stem.length > 150 ? short : stem, plot);
}

/** Plots the runtimes of every combination of models, CMSSW releases and architectures in one figure. */
export class PlotMultiRuntimes extends Task {
  static readonly params: ParamDef[] = [...PLOT_TASK_PARAMS, ...MULTI_MODEL_PARAMS, ...MULTI_CMSSW_PARAMS];
  readonly family = "PlotMultiRuntimes";
  readonly batchSizes: number[];
  readonly curves: Curve[];

  constructor(
    args: Args,
    readonly plot: PlotConfig,
  ) {
    super();
    this.batchSizes = checkBatchSizes(args["batch-sizes"] as number[]);
    this.curves = buildCurves(args);
  }

  static create(args: Args): PlotMultiRuntimes {
    return new PlotMultiRuntimes(args, plotConfig(args));
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

  async run(ctx: TaskContext): Promise<void> {
    const merged = this.curves.map((c) => new MergeRuntimes(c.cfg, this.batchSizes).outputs()[0]!);
    const series = this.curves.map((c, i) =>
      seriesFromCsv(merged[i]!, c.label, this.batchSizes, this.plot.options.bsNormalized),
    );
    await renderAndView(buildRuntimeFigure(series, this.plot.options), this.plot, this.outputs(), ctx);
    const entries = this.curves.flatMap((c, i) => summarizeRuntimeCsv(merged[i]!, c.label, this.batchSizes));
    summaryTable(entries).forEach((l) => ctx.log?.(l));
  }
}
