/**
 * The throughput plots: PlotThroughput (one model, a curve per batch size) and PlotMultiThroughput (models,
 * e.g. one per engine, a curve per model and batch size): events/s against streams with the ideal and the
 * efficiency, and the latency under contention.
 */
import { readFileSync } from "node:fs";
import { defineTask } from "../framework/family.js";
import { param, type Values } from "../framework/parameters.js";
import { Task, type TaskContext } from "../framework/task.js";
import { checkFileTypes } from "../plot/formats.js";
import { withRendererStarted } from "../plot/render.js";
import { buildThroughputFigure, type ThroughputSeries } from "../plot/throughput-figure.js";
import { plainLabel } from "../report/text.js";
import { cmsswPart, taskDir } from "../store.js";
import { pathPart } from "../framework/parameters.js";
import { shortHash } from "../util/hash.js";
import { MlprofError } from "../util/errors.js";
import {
  STREAMS_LIST,
  THROUGHPUT_PARAMS,
  THROUGHPUT_SETTINGS,
  throughputConfig,
  throughputDir,
} from "./throughput-params.js";
import { defaultStreams, type ThroughputConfig } from "../throughput/settings.js";
import { plotComplete, plotOutputs, renderAndView, type PlotConfig } from "./mixins/plot.js";
import {
  BATCH_SIZES,
  CMSSW_PARAMS,
  MULTI_MODEL_PARAMS,
  PLOT_PARAMS,
  VERSION,
  sortedBatchSizes,
} from "./params.js";
import { MergeThroughput, type ThroughputRow } from "./throughput.js";

/** The plot options a throughput figure takes. */
const THROUGHPUT_PLOT_PARAMS = {
  yLog: { ...PLOT_PARAMS.yLog, description: "logarithmic events/s axis (models of very different cost)" },
  latencyLog: param.bool({
    flag: "latency-log",
    default: false,
    description: "logarithmic latency axis (p99 under contention can be far above p50)",
  }),
  palette: PLOT_PARAMS.palette,
  topRightLabel: PLOT_PARAMS.topRightLabel,
  fileTypes: PLOT_PARAMS.fileTypes,
  plotPostfix: PLOT_PARAMS.plotPostfix,
  viewCmd: PLOT_PARAMS.viewCmd,
};

/** The plot configuration of the throughput plot options (the files, and the figure's own options). */
function throughputPlotConfig(v: Values<typeof THROUGHPUT_PLOT_PARAMS>): ThroughputPlotConfig {
  return {
    latencyLog: v.latencyLog,
    options: {
      yLog: v.yLog,
      xLog: false,
      bsNormalized: false,
      errorStyle: "bars",
      palette: v.palette,
      topRightLabel: v.topRightLabel || undefined,
    },
    fileTypes: checkFileTypes(v.fileTypes),
    postfix: v.plotPostfix,
    viewCmd: v.viewCmd,
  };
}

/** A plot configuration with the throughput figure's latency axis. */
interface ThroughputPlotConfig extends PlotConfig {
  latencyLog: boolean;
}

/** The merged rows of a MergeThroughput, as curves (one per batch size) labelled with `label`. */
export function throughputSeries(
  merge: MergeThroughput,
  label: string,
  withBatchSize: boolean,
): ThroughputSeries[] {
  const json = merge.outputs()[1]!;
  const points = (JSON.parse(readFileSync(json, "utf8")) as { points?: ThroughputRow[] }).points;
  if (!Array.isArray(points)) throw new MlprofError(`${json}: field points: expected a list, found nothing`);
  return merge.batchSizes.map((b) => {
    const rows = points.filter((p) => p.batchSize === b).sort((x, y) => x.streams - y.streams);
    return {
      label: withBatchSize ? `${label}, batch size ${b}` : `batch size ${b}`,
      streams: rows.map((r) => r.streams),
      eventsPerSecond: rows.map((r) => r.eventsPerSecond),
      eventsPerSecondMin: rows.map((r) => r.eventsPerSecondMin),
      eventsPerSecondMax: rows.map((r) => r.eventsPerSecondMax),
      efficiency: rows.map((r) => r.efficiency),
      p50Ms: rows.map((r) => r.latencyMs.p50),
      p99Ms: rows.map((r) => r.latencyMs.p99),
    };
  });
}

/** The page facts of throughput plots: the settings, the machine and the engines of their merged records. */
function pageFacts(merges: MergeThroughput[]): [string, string][] {
  const s = merges[0]!.cfg.settings;
  const engines = new Set<string>();
  const machines = new Set<string>();
  for (const m of merges) {
    const json = JSON.parse(readFileSync(m.outputs()[1]!, "utf8")) as { model?: { engine?: string } };
    if (json.model?.engine) engines.add(json.model.engine);
    for (const t of m.requires()) {
      const point = JSON.parse(readFileSync(t.outputs()[1]!, "utf8")) as {
        processes?: { host?: { hostname?: string; cpuModel?: string; logicalCpus?: number } }[];
      };
      const host = point.processes?.[0]?.host;
      if (host) machines.add(`${host.hostname}: ${host.cpuModel}, ${host.logicalCpus} CPUs`);
    }
  }
  return [
    ["engines", [...engines].join(", ")],
    ["machine", [...machines].join("; ")],
    [
      "settings",
      `${s.repeats} process(es) per point, ${s.threads} thread(s) per stream, warm-up ${s.warmupSeconds} s, window ≥ ${s.minDurationSeconds} s and ≥ ${s.minCalls} calls`,
    ],
  ];
}

/** Plots the throughput of one model against the streams, a curve per batch size. */
export class PlotThroughput extends Task {
  static readonly params = {
    batchSizes: BATCH_SIZES,
    streams: STREAMS_LIST,
    ...THROUGHPUT_PARAMS,
    ...THROUGHPUT_PLOT_PARAMS,
  };
  static readonly family = defineTask({
    name: "PlotThroughput",
    examples: [
      [
        "mlprof run PlotThroughput --version v1 --model-file examples/dnn/model_onnx_l10u128.yaml --batch-sizes 1,16 --streams 1,2",
        "events/s and latency of the ONNX DNN against the streams",
      ],
    ],
    description:
      "plot events/s against the streams (with the ideal linear scaling and the efficiency) and the latency under contention",
    params: PlotThroughput.params,
    create: (v) => {
      const cfg = throughputConfig(v);
      return new PlotThroughput(
        cfg,
        v.batchSizes,
        v.streams.length ? v.streams : defaultStreams(cfg.settings),
        throughputPlotConfig(v),
      );
    },
  });
  readonly family = "PlotThroughput";
  readonly merge: MergeThroughput;

  constructor(
    readonly cfg: ThroughputConfig,
    batchSizes: number[],
    streams: number[],
    readonly plot: ThroughputPlotConfig,
  ) {
    super();
    this.merge = new MergeThroughput(cfg, batchSizes, streams);
  }

  requires(): MergeThroughput[] {
    return [this.merge];
  }

  outputs(): string[] {
    const stem = `throughput_bs_${this.merge.batchSizes.join("_")}_streams_${this.merge.streams.join("_")}`;
    return plotOutputs(throughputDir(this.family, this.cfg), stem, this.plot);
  }

  override complete(): boolean {
    return plotComplete(this.outputs(), this.plot);
  }

  reprParams(): Record<string, unknown> {
    return {
      version: this.cfg.version,
      model_file: this.cfg.model.file,
      batch_sizes: this.merge.batchSizes,
      streams: this.merge.streams,
    };
  }

  async run(ctx: TaskContext): Promise<void> {
    await withRendererStarted(async () => {
      const series = throughputSeries(this.merge, this.cfg.model.label, false);
      const figure = buildThroughputFigure(series, {
        palette: this.plot.options.palette,
        topRightLabel: this.plot.options.topRightLabel ?? plainLabel(this.cfg.model.label),
        eventsLog: this.plot.options.yLog,
        latencyLog: this.plot.latencyLog,
      });
      const page = {
        heading: `Throughput of ${plainLabel(this.cfg.model.label)}`,
        facts: pageFacts([this.merge]),
      };
      await renderAndView(figure, this.plot, this.outputs(), ctx, page);
    });
  }
}

/** Plots the throughput of several models (e.g. one per engine) against the streams in one figure. */
export class PlotMultiThroughput extends Task {
  static readonly params = {
    version: VERSION,
    batchSizes: BATCH_SIZES,
    streams: STREAMS_LIST,
    ...MULTI_MODEL_PARAMS,
    ...THROUGHPUT_SETTINGS,
    ...CMSSW_PARAMS,
    ...THROUGHPUT_PLOT_PARAMS,
  };
  static readonly family = defineTask({
    name: "PlotMultiThroughput",
    examples: [
      [
        "mlprof run PlotMultiThroughput --version v1 --model-files examples/dnn/model_{onnx,tf,tfaot}_l10u128.yaml --batch-sizes 1 --streams 1,2",
        "the DNN in the three engines: events/s and latency against the streams",
      ],
    ],
    description: "plot the throughput of several models (engines) against the streams in one figure",
    params: PlotMultiThroughput.params,
    create: (v) => {
      const files = v.modelFiles;
      for (const [flag, list] of [
        ["--model-names", v.modelNames],
        ["--model-labels", v.modelLabels],
      ] as const) {
        if (list.length && list.length !== files.length)
          throw new MlprofError(
            `${flag}: expected one per model file (${files.length}), found ${list.length}`,
          );
      }
      const cfgs = files.map((modelFile, i) =>
        throughputConfig({
          ...v,
          modelFile,
          modelName: v.modelNames[i] ?? "",
          modelLabel: v.modelLabels[i] ?? "",
        }),
      );
      const streams = v.streams.length ? v.streams : defaultStreams(cfgs[0]!.settings);
      return new PlotMultiThroughput(cfgs, v.batchSizes, streams, throughputPlotConfig(v));
    },
  });
  readonly family = "PlotMultiThroughput";
  readonly merges: MergeThroughput[];

  constructor(
    readonly cfgs: ThroughputConfig[],
    batchSizes: number[],
    streams: number[],
    readonly plot: ThroughputPlotConfig,
  ) {
    super();
    this.merges = cfgs.map((c) => new MergeThroughput(c, sortedBatchSizes(batchSizes), streams));
  }

  requires(): MergeThroughput[] {
    return this.merges;
  }

  outputs(): string[] {
    const first = this.cfgs[0]!;
    const models = shortHash(this.cfgs.map((c) => c.model.storeName).join(","));
    const dir = taskDir(
      this.family,
      cmsswPart([first.cmsswVersion], [first.scramArch]),
      `models_${this.cfgs.length}_${models}__${pathPart(THROUGHPUT_SETTINGS, first.settings)}`,
      first.version,
    );
    const m = this.merges[0]!;
    return plotOutputs(
      dir,
      `throughput_bs_${m.batchSizes.join("_")}_streams_${m.streams.join("_")}`,
      this.plot,
    );
  }

  override complete(): boolean {
    return plotComplete(this.outputs(), this.plot);
  }

  reprParams(): Record<string, unknown> {
    return {
      version: this.cfgs[0]!.version,
      model_files: this.cfgs.map((c) => c.model.file),
      batch_sizes: this.merges[0]!.batchSizes,
      streams: this.merges[0]!.streams,
    };
  }

  async run(ctx: TaskContext): Promise<void> {
    await withRendererStarted(async () => {
      const series = this.merges.flatMap((m) => throughputSeries(m, m.cfg.model.label, true));
      const figure = buildThroughputFigure(series, {
        palette: this.plot.options.palette,
        topRightLabel: this.plot.options.topRightLabel,
        eventsLog: this.plot.options.yLog,
        latencyLog: this.plot.latencyLog,
      });
      const labels = this.cfgs.map((c) => plainLabel(c.model.label));
      const page = {
        heading:
          labels.length <= 2 ? `Throughput of ${labels.join(", ")}` : `Throughput of ${labels.length} models`,
        facts: [["models", labels.join("; ")] as [string, string], ...pageFacts(this.merges)],
      };
      await renderAndView(figure, this.plot, this.outputs(), ctx, page);
    });
  }
}
