/**
 * Report: one self-contained HTML page for a set of models (or one): runtime, throughput, memory and
 * load-time plots, the summary tables, the measurements' metadata and every warning. Works offline.
 */
import { readFileSync } from "node:fs";
import { projectRevision } from "../paths.js";
import { buildRuntimeFigure, type PlotOptions } from "../plot/figure.js";
import { buildQuantityFigure, pointSeries } from "../plot/quantity.js";
import {
  plotlySource,
  reportHtml,
  type ReportFigure,
  type ReportTable,
  type WarningGroup,
} from "../report/html.js";
import { MEMORY_QUANTITIES, readMemoryCsv, type MemoryRecord } from "../report/memory.js";
import { readMergedRecord, type PartialRecord } from "../record/measurement.js";
import { seriesFromCsv, summarizeRuntimeCsv } from "../report/summaries.js";
import { distinctValues, percent, plainLabel, sig, worstWait, type SummaryEntry } from "../report/text.js";
import { DEFAULT_THRESHOLDS, MIN_N_FOR_P999 } from "../stats/summary.js";
import { writeFileAtomic } from "../util/fs.js";
import { COMPETITION_THRESHOLDS, waitFraction } from "../stats/competition.js";
import { MIN_CALLS, MIN_TIMED_MS, QUANTILE_ALPHA, validityWord } from "../stats/validity.js";
import { defineTask } from "../framework/family.js";
import { Task, type TaskContext } from "../framework/task.js";
import { buildCurves, multiPlotOutputs, type Curve } from "./mixins/curves.js";
import { MergeMemory } from "./memory.js";
import {
  BATCH_SIZES,
  MEASUREMENT_PARAMS,
  MULTI_CMSSW_PARAMS,
  MULTI_MODEL_PARAMS,
  PLOT_PARAMS,
  VERSION,
  sortedBatchSizes,
} from "./params.js";
import { MergeRuntimes } from "./runtime.js";
import { unstableNote } from "./plot.js";
import { MergeThroughput, type ThroughputRow } from "./throughput.js";
import { throughputOfRuntime } from "./throughput-params.js";
import { throughputSeries } from "./throughput-plot.js";
import { buildThroughputFigure } from "../plot/throughput-figure.js";
import { param } from "../framework/parameters.js";

/** The metadata of a measurement (the fields the report shows may be missing in older files). */
type MeasurementMeta = PartialRecord;

/** What the report knows about one curve. */
interface CurveData {
  curve: Curve;
  mergedCsv: string;
  summaries: SummaryEntry[];
  memory: MemoryRecord[];
  /** Metadata of each batch size's measurement. */
  metas: MeasurementMeta[];
}

/** Metadata rows: label and how to read the value from a measurement's metadata. */
const META_ROWS: [string, (m: MeasurementMeta) => unknown][] = [
  ["engine", (m) => m.process?.engine && `${m.process.engine.name} ${m.process.engine.version}`],
  [
    "threads (intra-op, inter-op)",
    (m) => m.process?.threads && `${m.process.threads.intraOp}, ${m.process.threads.interOp}`,
  ],
  ["model file", (m) => m.model?.file],
  ["graph sha256", (m) => m.model?.graphSha256],
  [
    "events x calls (warm-up calls)",
    (m) => m.measurement && `${m.measurement.nEvents} x ${m.measurement.nCalls} (${m.measurement.nWarmup})`,
  ],
  [
    "warm-up / min. duration (s)",
    (m) => m.measurement && `${m.measurement.warmupSeconds} / ${m.measurement.minDurationSeconds}`,
  ],
  ["input data", (m) => m.measurement?.inputData],
  ["CPU affinity", (m) => m.measurement?.cpuAffinity],
  ["CPU", (m) => m.host && `${m.host.cpuModel} (${m.host.logicalCpus} logical CPUs)`],
  ["frequency governor", (m) => m.host?.frequencyGovernor],
  ["load average at start (1, 5, 15 min)", (m) => m.host?.loadAverage?.join(", ")],
  ["host", (m) => m.host?.hostname],
  ["OS, kernel, Node.js", (m) => m.host && `${m.host.os}, ${m.host.kernel}, ${m.host.node}`],
  [
    "CMSSW release, architecture, executor",
    (m) => m.cmssw && `${m.cmssw.version}, ${m.cmssw.scramArch}, ${m.cmssw.executor}`,
  ],
  ["mlprof revision", (m) => m.mlprof?.revision],
  ["started at", (m) => m.startedAt],
];

/** Report's --streams: none by default (no throughput section). */
const REPORT_STREAMS = param.ints({
  flag: "streams",
  default: [],
  defaultText: "none: no throughput section",
  significant: true,
  description:
    "add a throughput section: each model at these streams (MergeThroughput with the runtime's --threads, " +
    "--input-data, --cpu-affinity and --repeats, the throughput defaults for warm-up and window)",
});

/** Writes one HTML report of several models / releases / architectures (the curves of PlotMultiRuntimes). */
export class Report extends Task {
  static readonly family = defineTask({
    name: "Report",
    examples: [
      [
        "mlprof run Report --version v1 --model-files examples/dnn/model_{tf,onnx}_l10u128.yaml --batch-sizes 1,2,4,8",
        "one HTML page with the plots and tables of two models",
      ],
    ],
    description:
      "one offline HTML page: runtime, memory and load-time plots, summary tables, metadata, warnings",
    params: {
      version: VERSION,
      batchSizes: BATCH_SIZES,
      ...MULTI_MODEL_PARAMS,
      ...MULTI_CMSSW_PARAMS,
      ...MEASUREMENT_PARAMS,
      yLog: PLOT_PARAMS.yLog,
      xLog: PLOT_PARAMS.xLog,
      bsNormalized: PLOT_PARAMS.bsNormalized,
      errorStyle: PLOT_PARAMS.errorStyle,
      topRightLabel: PLOT_PARAMS.topRightLabel,
      streams: REPORT_STREAMS,
    },
    create: (v) =>
      new Report(
        buildCurves(v),
        v.batchSizes,
        {
          yLog: v.yLog,
          xLog: v.xLog,
          bsNormalized: v.bsNormalized,
          errorStyle: v.errorStyle as "band" | "bars",
          topRightLabel: v.topRightLabel || undefined,
        },
        v.streams,
      ),
  });
  readonly family = "Report";
  readonly batchSizes: number[];

  constructor(
    readonly curves: Curve[],
    batchSizes: number[],
    readonly options: PlotOptions,
    /** With streams: a throughput section (MergeThroughput of each model at these streams). */
    readonly streams: number[] = [],
  ) {
    super();
    this.batchSizes = sortedBatchSizes(batchSizes);
  }

  /** The throughput measurements of the report's models, when --streams asks for them. */
  throughputMerges(): MergeThroughput[] {
    if (this.streams.length === 0) return [];
    return this.curves.map(
      (c) => new MergeThroughput(throughputOfRuntime(c.cfg), this.batchSizes, this.streams),
    );
  }

  requires(): Task[] {
    return [
      ...this.curves.flatMap((c) => [
        new MergeRuntimes(c.cfg, this.batchSizes),
        new MergeMemory(c.cfg, this.batchSizes),
      ]),
      ...this.throughputMerges(),
    ];
  }

  outputs(): string[] {
    const plot = { options: this.options, fileTypes: [], postfix: "", viewCmd: "" };
    // a report with a throughput section is another report (its streams in the name)
    const stem = this.streams.length ? `report_streams_${this.streams.join("_")}` : "report";
    return multiPlotOutputs(this.family, this.curves, stem, this.batchSizes, plot);
  }

  reprParams(): Record<string, unknown> {
    return {
      version: this.curves[0]!.cfg.version,
      model_files: [...new Set(this.curves.map((c) => c.cfg.model.file))],
      batch_sizes: this.batchSizes,
    };
  }

  async run(ctx: TaskContext): Promise<void> {
    const data: CurveData[] = this.curves.map((curve) => {
      const merge = new MergeRuntimes(curve.cfg, this.batchSizes);
      const [mergedCsv, mergedJson] = merge.outputs() as [string, string];
      const json = readMergedRecord(mergedJson);
      return {
        curve,
        mergedCsv,
        summaries: summarizeRuntimeCsv(mergedCsv, curve.label, this.batchSizes),
        memory: readMemoryCsv(new MergeMemory(curve.cfg, this.batchSizes).outputs()[0]!),
        metas: json.measurements.map((m) => m.metadata ?? {}),
      };
    });
    const html = reportHtml(
      {
        title: `MLProf report: ${this.curves.map((c) => plainLabel(c.label)).join(", ")}`,
        facts: reportFacts(data, this.batchSizes),
        figures: [...this.figures(data), ...this.throughputFigures()],
        tables: [
          summaryHtmlTable(data),
          competitionHtmlTable(data),
          memoryHtmlTable(data),
          ...this.throughputTables(),
          metadataTable(data),
        ],
        warnings: warningsOf(data),
        notes: methodNotes(),
      },
      plotlySource(),
    );
    writeFileAtomic(this.outputs()[0]!, html);
    ctx.log?.(`report: ${this.outputs()[0]!}`);
  }

  private figures(data: CurveData[]): ReportFigure[] {
    const opts = this.options;
    // two figures side by side in the report's width
    const sized = (f: { data: object[]; layout: object }) => ({
      data: f.data,
      layout: { ...f.layout, width: REPORT_FIGURE_WIDTH, height: REPORT_FIGURE_HEIGHT },
    });
    const points = (pick: (d: CurveData) => { x: number[]; y: number[] }) =>
      data.map((d) => {
        const { x, y } = pick(d);
        return pointSeries(d.curve.label, x, y);
      });
    const memory = (name: keyof typeof MEMORY_QUANTITIES) => {
      const q = MEMORY_QUANTITIES[name];
      return points((d) => ({ x: d.memory.map((r) => r.batchSize), y: d.memory.map((r) => q.value(r)) }));
    };
    const flat = { ...opts, errorStyle: "band" as const, bsNormalized: false };
    const figures = [
      {
        heading: "Runtime",
        figure: buildRuntimeFigure(
          data.map((d) =>
            seriesFromCsv(
              d.mergedCsv,
              d.curve.label + unstableNote(d.summaries),
              this.batchSizes,
              opts.bsNormalized,
              d.summaries,
            ),
          ),
          opts,
        ),
      },
      {
        heading: "Throughput",
        figure: buildQuantityFigure(
          points((d) => ({
            x: d.summaries.map((s) => s.batchSize),
            y: d.summaries.map((s) => s.summary.throughput),
          })),
          flat,
          { title: "Throughput [events / s]", unit: "events/s" },
        ),
      },
      {
        heading: "Peak resident memory",
        figure: buildQuantityFigure(memory("peak"), flat, {
          title: "Peak resident memory [MiB]",
          unit: "MiB",
          fit: true,
        }),
      },
      {
        heading: "Resident memory added by loading the model",
        figure: buildQuantityFigure(memory("load"), flat, {
          title: "Memory added by loading [MiB]",
          unit: "MiB",
        }),
      },
      {
        heading: "Load time, first (cold) call and median call (log scale)",
        figure: buildQuantityFigure(
          data.flatMap((d) =>
            (["load-time", "first-call", "median-call"] as const).map((name) =>
              pointSeries(
                `${d.curve.label}${d.curve.label ? ": " : ""}${MEMORY_QUANTITIES[name].label}`,
                d.memory.map((r) => r.batchSize),
                d.memory.map((r) => MEMORY_QUANTITIES[name].value(r)),
              ),
            ),
          ),
          { ...flat, yLog: true },
          { title: "Time [ms]", unit: "ms" },
        ),
      },
    ];
    return figures.map((f) => ({ heading: f.heading, figure: sized(f.figure) }));
  }

  /** The throughput figure (events/s and latency against the streams), when --streams asks for it. */
  private throughputFigures(): ReportFigure[] {
    const merges = this.throughputMerges();
    if (merges.length === 0) return [];
    const series = merges.flatMap((m, i) => throughputSeries(m, this.curves[i]!.label, true));
    const figure = buildThroughputFigure(series, {
      eventsLog: this.options.yLog,
      latencyLog: false,
      topRightLabel: this.options.topRightLabel,
    });
    return [
      {
        heading:
          "Throughput under concurrent streams (dashed: ideal linear scaling; efficiency at the points)",
        figure: {
          data: figure.data,
          layout: { ...figure.layout, width: REPORT_FIGURE_WIDTH, height: REPORT_FIGURE_HEIGHT },
        },
      },
    ];
  }

  /** The throughput table: one row per model, batch size and streams. */
  private throughputTables(): ReportTable[] {
    const merges = this.throughputMerges();
    if (merges.length === 0) return [];
    const rows = merges.flatMap((m, i) => {
      const json = JSON.parse(readFileSync(m.outputs()[1]!, "utf8")) as { points: ThroughputRow[] };
      return json.points.map((r) => [
        plainLabel(this.curves[i]!.label),
        String(r.batchSize),
        String(r.streams),
        sig(r.eventsPerSecond, 3),
        `${sig(r.eventsPerSecondMin, 3)} – ${sig(r.eventsPerSecondMax, 3)}`,
        r.efficiency === null ? "–" : percent(r.efficiency),
        sig(r.latencyMs.p50),
        sig(r.latencyMs.p99),
        percent(r.cpuUtilisation),
        sig(r.peakRssKb / 1024, 3),
        r.oversubscribed ? "oversubscribed" : "",
      ]);
    });
    return [
      {
        heading: "Throughput under concurrent streams",
        header: [
          "model",
          "batch size",
          "streams",
          "events/s (median)",
          "min – max over processes",
          "efficiency",
          "latency p50 (ms)",
          "latency p99 (ms)",
          "CPU utilisation",
          "peak RSS (MiB)",
          "",
        ],
        rows,
        numeric: [1, 2, 3, 5, 6, 7, 8, 9],
        group: 0,
      },
    ];
  }
}

/** Size of the report's figures: two side by side in its width. */
const REPORT_FIGURE_WIDTH = 560;
const REPORT_FIGURE_HEIGHT = 430;

/** The facts under the report's title: what was measured, how, where, when, on which machine, by what. */
function reportFacts(data: CurveData[], batchSizes: number[]): [string, string][] {
  const metas = data.flatMap((d) => d.metas);
  const distinct = (read: (m: MeasurementMeta) => unknown) => distinctValues(metas, read);
  const first = data[0]!.curve.cfg;
  const started = metas
    .map((m) => m.startedAt)
    .filter((v): v is string => !!v)
    .sort();
  return [
    ["models", data.map((d) => plainLabel(d.curve.label)).join("; ")],
    ["batch sizes", batchSizes.join(", ")],
    [
      "measurement",
      `${first.run.repeats} process(es) × ${first.run.nEvents} event(s) × ${first.run.nCalls} timed calls after ` +
        `${first.run.nWarmup} warm-up calls per batch size; ${first.run.threads} intra-op / ` +
        `${first.run.interOpThreads} inter-op thread(s); input data ${first.run.inputData}`,
    ],
    ["engines", distinct((m) => m.process?.engine && `${m.process.engine.name} ${m.process.engine.version}`)],
    [
      "releases",
      distinct((m) => m.cmssw && `${m.cmssw.version} (${m.cmssw.scramArch}, ${m.cmssw.executor} executor)`),
    ],
    [
      "machine",
      distinct((m) => m.host && `${m.host.hostname}: ${m.host.cpuModel}, ${m.host.logicalCpus} logical CPUs`),
    ],
    ["measured", started.length ? `${started[0]} – ${started[started.length - 1]}` : "–"],
    ["version, generated", `${first.version}; ${new Date().toISOString()} by mlprof ${projectRevision()}`],
  ];
}

/** Instability warnings of the summaries, and conditions of the machine that make numbers less trustworthy. */
function warningsOf(data: CurveData[]): WarningGroup[] {
  const perModel = data.map((d) => ({
    group: plainLabel(d.curve.label),
    lines: d.summaries.flatMap((s) => [
      ...s.summary.warnings.map((w) => `batch size ${s.batchSize}: ${w}`),
      ...(s.validity && s.validity.valid !== true
        ? s.validity.reasons.map(
            (r) => `batch size ${s.batchSize} (${s.validity!.valid === false ? "invalid" : "unknown"}): ${r}`,
          )
        : []),
    ]),
  }));
  return [{ group: "", lines: machineWarnings(data) }, ...perModel];
}

/** Conditions of the machine that make the numbers less trustworthy. */
function machineWarnings(data: CurveData[]): string[] {
  const warnings: string[] = [];
  const metas = data.flatMap((d) => d.metas);
  const governors = new Set(
    metas.map((m) => m.host?.frequencyGovernor).filter((g) => g && g !== "unknown" && g !== "performance"),
  );
  if (governors.size > 0) {
    warnings.push(
      `CPU frequency governor ${[...governors].join(", ")}: clock speeds change with the load; 'performance' gives steadier timings`,
    );
  }
  const hosts = new Set(metas.map((m) => `${m.host?.hostname} (${m.host?.cpuModel})`));
  if (hosts.size > 1) warnings.push(`measured on ${hosts.size} different hosts: ${[...hosts].join(", ")}`);
  return warnings;
}

/** The largest share of a process's timed calls it waited for a CPU; "–" when no process recorded it. */
function worstWaitCell(competition: SummaryEntry["competition"]): string {
  const w = worstWait(competition);
  return w === null ? "–" : percent(w);
}

/**
 * What competed with each process's timed calls: the timed window, the wait for a CPU (and its share), the
 * involuntary context switches (and the share of the process's calls they may have preempted), the host's
 * steal, and the thread's minor and major page faults.
 */
function competitionHtmlTable(data: CurveData[]): ReportTable {
  const rows = data.flatMap((d) =>
    d.summaries.flatMap((e) =>
      (e.competition ?? []).map((c, k) => {
        const calls = e.processCalls?.[k] ?? 0;
        return [
          plainLabel(d.curve.label),
          String(e.batchSize),
          String(k + 1),
          c ? sig(c.windowMs, 3) : "–",
          c ? `${sig(c.runQueueWaitMs, 2)} (${percent(waitFraction(c))})` : "–",
          c ? `${c.involuntarySwitches} (${percent(calls > 0 ? c.involuntarySwitches / calls : 0)})` : "–",
          c ? sig(c.stealMs, 2) : "–",
          c ? `${c.minorFaults} / ${c.majorFaults}` : "–",
        ];
      }),
    ),
  );
  return {
    heading: "Competition during the timed calls (per process)",
    header: [
      "model",
      "batch size",
      "process",
      "timed window (ms)",
      "waited for a CPU (ms)",
      "involuntary switches (share of calls)",
      "host steal (ms)",
      "page faults minor / major",
    ],
    rows,
    numeric: [1, 2, 3, 4, 5, 6, 7],
    group: 0,
  };
}

function summaryHtmlTable(data: CurveData[]): ReportTable {
  const rows = data.flatMap((d) =>
    d.summaries.map(({ batchSize, summary: s, repeats: r, stable, competition, validity }) => [
      plainLabel(d.curve.label) + (stable === false ? " (not stable)" : ""),
      String(batchSize),
      `${r?.n ?? 1} × ${s.n / (r?.n ?? 1)}`,
      sig(s.median),
      sig(s.median / batchSize),
      r?.interval ? `${sig(r.interval.low)} – ${sig(r.interval.high)}` : "–",
      `${sig(s.p16)} – ${sig(s.p84)}`,
      s.p95 === null ? "–" : sig(s.p95),
      s.p999 === null ? "–" : sig(s.p999),
      percent(s.robustCv),
      `${r?.betweenCv === null || r?.betweenCv === undefined ? "–" : percent(r.betweenCv)} / ${r ? percent(r.withinCv) : "–"}`,
      s.drift ? percent(s.drift.relative) : "–",
      `${s.outliers.low} / ${s.outliers.high}`,
      sig(s.throughput, 3),
      worstWaitCell(competition),
      validityWord(validity),
    ]),
  );
  return {
    heading: "Runtime per call (ms)",
    header: [
      "model",
      "batch size",
      "processes × calls",
      "median (pooled calls)",
      "per event",
      "95 % CI across processes",
      "p16 – p84",
      "p95",
      "p99.9",
      "robust CV",
      "between / within processes",
      "drift",
      "outliers low / high",
      "events/s",
      "CPU wait",
      "valid",
    ],
    rows,
    numeric: Array.from({ length: 14 }, (_, i) => i + 1),
    group: 0,
  };
}

function memoryHtmlTable(data: CurveData[]): ReportTable {
  const q = MEMORY_QUANTITIES;
  const rows = data.flatMap((d) =>
    d.memory.map((r) => [
      plainLabel(d.curve.label),
      String(r.batchSize),
      ...[q["before-load"], q["after-load"], q["after-warmup"], q["after-timing"], q.peak, q.load].map((x) =>
        x.value(r).toFixed(1),
      ),
      sig(r.loadMs, 3),
      Number.isFinite(r.firstCallMs) ? sig(r.firstCallMs, 3) : "–",
      Number.isFinite(r.medianCallMs) ? sig(r.medianCallMs, 3) : "–",
    ]),
  );
  return {
    heading: "Resident memory (MiB), load time, first (cold) and median call",
    header: [
      "model",
      "batch size",
      "before load",
      "after load",
      "after warm-up",
      "after timing",
      "peak",
      "added by loading",
      "load time (ms)",
      "first call (ms)",
      "median call (ms)",
    ],
    rows,
    numeric: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    group: 0,
  };
}

/** Metadata, one column per curve; values that differ between batch sizes are joined with " | ". */
function metadataTable(data: CurveData[]): ReportTable {
  const rows = META_ROWS.map(([label, read]) => [
    label,
    ...data.map((d) => {
      const values = [
        ...new Set(
          d.metas
            .map((m) => read(m))
            .filter((v) => v !== undefined && v !== null)
            .map(String),
        ),
      ];
      return values.length > 0 ? values.join(" | ") : "–";
    }),
  ]);
  return { heading: "Metadata", header: ["", ...data.map((d) => plainLabel(d.curve.label))], rows };
}

function methodNotes(): string[] {
  const t = DEFAULT_THRESHOLDS;
  const c = COMPETITION_THRESHOLDS;
  return [
    "Each measurement is a fresh process (as a cmsRun job): the engine loads the model, the first call is timed " +
      "on its own (cold start), warm-up calls follow, then only the inference call is timed, with a monotonic " +
      "nanosecond clock; inputs are prepared before the clock.",
    "The process is the unit of replication: the median of a batch size is the geometric mean of its processes' " +
      "medians, and its 95 % interval is a Student-t interval of their logarithms (n − 1 degrees of freedom), so " +
      "it includes the process-to-process variance. With one process the interval is left out.",
    "Between processes: the standard deviation of the log medians (about the CV of the process medians); within " +
      "a process: the median relative standard error of one process's median, 1.2533 (p84 − p16) / 2 / √n / median. " +
      "When between exceeds what within explains, the processes differ.",
    "Quantiles interpolate linearly between the closest ranks (as numpy); p95 needs at least 130 calls and " +
      `p99.9 ${MIN_N_FOR_P999} (LoadGen's binomial rule), else '–'. The robust CV is (p84 − p16) / (2 median); the throughput is the batch size ` +
      "divided by the median in seconds.",
    `Warnings: a robust CV above ${percent(t.robustCv)} (wide spread), the medians of the two halves of the ` +
      `calls more than ${percent(t.drift)} apart (drift: warm up longer), processes that differ, measurements ` +
      "that never became stable (--until-stable), competition measured in the measurement process over its timed " +
      `calls (its thread waited for a CPU, or the hypervisor stole the host's CPUs, more than ${percent(c.waitFraction)} ` +
      "of the time; a major page fault), a frequency-scaling machine. Outliers (Tukey fences, 1.5 IQR) are counted, never dropped.",
    `Validity: a point is valid with at least ${MIN_CALLS} calls (for p16/p84 by LoadGen's binomial rule, max(q, 1 − q)^n ≤ ` +
      `${QUANTILE_ALPHA}), at least ${MIN_TIMED_MS} ms of timed calls per process, stable windows (--until-stable), ` +
      "at most 0.5 / √n of a process's n calls preempted (involuntary context switches / calls: less than the " +
      "median's rank standard error) " +
      `and at most ${percent(c.stealFraction)} steal; points measured before MLProf recorded competition are ` +
      "'unknown'. Invalid points are drawn hollow in the plots; CompareRuntimes gives them no verdict.",
    "Memory: the resident set size of the measurement process (VmRSS, peak VmHWM) from /proc/self/status, read " +
      "outside the timed calls; 1 MiB = 1024 kB. Load time: loading the model into the engine (session creation " +
      "or graph import) in the measurement process.",
  ];
}
