/**
 * The throughput chain of one model: MeasureThroughputRepeat (one fresh process of S streams) →
 * MeasureThroughput (one point over --repeats processes) → MergeThroughput (batch sizes × streams, with
 * the efficiency against one stream and the memory per added stream).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { provenanceChange } from "../engines/provenance.js";
import { defineTask } from "../framework/family.js";
import { param, positive } from "../framework/parameters.js";
import { Task, type OutputProvenance, type TaskContext } from "../framework/task.js";
import { COMPETITION_WARNING } from "../stats/competition.js";
import { errorMessage } from "../util/errors.js";
import { writeFileAtomic, writeJsonAtomic } from "../util/fs.js";
import { measureThroughput, CALLS_CSV_COLUMNS } from "../throughput/local.js";
import {
  STREAMS,
  STREAMS_LIST,
  THROUGHPUT_PARAMS,
  throughputConfig,
  throughputDir,
} from "./throughput-params.js";
import { defaultStreams, throughputProvenance, type ThroughputConfig } from "../throughput/settings.js";
import {
  pointRecord,
  readPointRecord,
  readThroughputRecord,
  streamCompetitionWarnings,
  type ThroughputPointRecord,
} from "../throughput/records.js";
import { BATCH_SIZE, BATCH_SIZES, sortedBatchSizes } from "./params.js";

/** The stem of a point's files: throughput_bs_<N>_streams_<S>. */
function pointStem(batchSize: number, streams: number): string {
  return `throughput_bs_${batchSize}_streams_${streams}`;
}

/** The display parameters of a throughput task. */
function throughputRepr(cfg: ThroughputConfig): Record<string, unknown> {
  return {
    version: cfg.version,
    model_file: cfg.model.file,
    model_name: cfg.model.fullName,
    input_data: cfg.settings.inputData,
    threads: cfg.settings.threads,
    warmup_duration: cfg.settings.warmupSeconds,
    min_duration: cfg.settings.minDurationSeconds,
    min_calls: cfg.settings.minCalls,
    oversubscribe: cfg.settings.oversubscribe,
    cmssw_version: cfg.cmsswVersion,
    scram_arch: cfg.scramArch,
  };
}

/** How stored records (read by `read`, each with its label) compare with a measurement of `cfg` now. */
function throughputProvenanceOf(
  cfg: ThroughputConfig,
  read: () => { label: string; provenance: ThroughputPointRecord["provenance"] | undefined }[],
): OutputProvenance {
  let stored: ReturnType<typeof read>;
  try {
    stored = read();
  } catch (err) {
    return { state: "unknown", reason: `its record cannot be read: ${errorMessage(err)}` };
  }
  const now = throughputProvenance(cfg);
  for (const { label, provenance } of stored) {
    if (!provenance)
      return { state: "unknown", reason: `no provenance recorded${label ? ` (${label})` : ""}` };
    const change = provenanceChange(now, provenance);
    if (change) return { state: "outdated", reason: label ? `${label}: ${change}` : change };
  }
  return { state: "current" };
}

/** The streams × threads task parameters shared by the point tasks. */
const POINT_PARAMS = { batchSize: BATCH_SIZE, streams: STREAMS, ...THROUGHPUT_PARAMS };

/** One fresh process of S streams (repeat k of a MeasureThroughput). */
export class MeasureThroughputRepeat extends Task {
  static readonly params = {
    ...POINT_PARAMS,
    repeat: param.int({
      flag: "repeat",
      default: 1,
      significant: true,
      description: "which repeat (1, 2, ...): each is a fresh measurement process",
      check: positive("repeat"),
    }),
  };
  static readonly family = defineTask({
    name: "MeasureThroughputRepeat",
    examples: [
      [
        "mlprof run MeasureThroughputRepeat --version v1 --model-file examples/dnn/model_onnx_l10u128.yaml --streams 2 --repeat 1",
        "one process of two streams sharing one ONNX session (repeat 1)",
      ],
    ],
    description: "one fresh process of S streams calling one model (a repeat of MeasureThroughput)",
    params: MeasureThroughputRepeat.params,
    create: (v) => new MeasureThroughputRepeat(throughputConfig(v), v.batchSize, v.streams, v.repeat),
  });
  readonly family = "MeasureThroughputRepeat";

  constructor(
    readonly cfg: ThroughputConfig,
    readonly batchSize: number,
    readonly streams: number,
    readonly repeat: number,
  ) {
    super();
  }

  outputs(): string[] {
    const dir = throughputDir(this.family, this.cfg, { repeats: false });
    const stem = `${pointStem(this.batchSize, this.streams)}_repeat_${this.repeat}`;
    return [join(dir, `${stem}.csv`), join(dir, `${stem}.json`)];
  }

  requires(): Task[] {
    return [];
  }

  override interleaving(): { round: number; order: number } {
    return { round: this.repeat, order: this.batchSize * 10000 + this.streams };
  }

  override provenance(): OutputProvenance {
    return throughputProvenanceOf(this.cfg, () => [
      { label: "", provenance: readThroughputRecord(this.outputs()[1]!).provenance },
    ]);
  }

  reprParams(): Record<string, unknown> {
    return {
      ...throughputRepr(this.cfg),
      batch_size: this.batchSize,
      streams: this.streams,
      repeat: this.repeat,
    };
  }

  override title(): string {
    return `MeasureThroughputRepeat ${this.cfg.model.fullName}, batch size ${this.batchSize}, ${this.streams} streams x ${this.cfg.settings.threads} threads, repeat ${this.repeat} of ${this.cfg.settings.repeats}`;
  }

  async run(ctx: TaskContext): Promise<void> {
    const [csvPath, metaPath] = this.outputs() as [string, string];
    const record = await measureThroughput({
      cfg: this.cfg,
      batchSize: this.batchSize,
      streams: this.streams,
      csvPath,
      metaPath,
      progress: ctx.progress,
      signal: ctx.signal,
      wait: ctx.wait,
    });
    for (const w of streamCompetitionWarnings(record))
      ctx.warn?.(COMPETITION_WARNING, `${this.title()}: ${w}`);
  }
}

/**
 * The throughput of one model at one batch size and S streams over --repeats fresh processes:
 * throughput_bs_<N>_streams_<S>.csv (every call: repeat,stream,start_ns,end_ns) and its JSON (medians over
 * the processes, their spread, each process's record).
 */
export class MeasureThroughput extends Task {
  static readonly params = POINT_PARAMS;
  static readonly family = defineTask({
    name: "MeasureThroughput",
    examples: [
      [
        "mlprof run MeasureThroughput --version v1 --model-file examples/dnn/model_onnx_l10u128.yaml --batch-size 1 --streams 2",
        "two streams sharing one ONNX session, in --repeats fresh processes",
      ],
    ],
    description:
      "measure the throughput (events/s) and latency under contention of S streams calling one model, in --repeats fresh processes",
    params: POINT_PARAMS,
    create: (v) => new MeasureThroughput(throughputConfig(v), v.batchSize, v.streams),
  });
  readonly family = "MeasureThroughput";

  constructor(
    readonly cfg: ThroughputConfig,
    readonly batchSize: number,
    readonly streams: number,
  ) {
    super();
  }

  outputs(): string[] {
    const dir = throughputDir(this.family, this.cfg);
    const stem = pointStem(this.batchSize, this.streams);
    return [join(dir, `${stem}.csv`), join(dir, `${stem}.json`)];
  }

  requires(): MeasureThroughputRepeat[] {
    return Array.from(
      { length: this.cfg.settings.repeats },
      (_, k) => new MeasureThroughputRepeat(this.cfg, this.batchSize, this.streams, k + 1),
    );
  }

  override provenance(): OutputProvenance {
    return throughputProvenanceOf(this.cfg, () =>
      readPointRecord(this.outputs()[1]!).processes.map((p, k) => ({
        label: `repeat ${k + 1}`,
        provenance: p.provenance,
      })),
    );
  }

  reprParams(): Record<string, unknown> {
    return {
      ...throughputRepr(this.cfg),
      batch_size: this.batchSize,
      streams: this.streams,
      repeats: this.cfg.settings.repeats,
    };
  }

  override title(): string {
    return `MeasureThroughput ${this.cfg.model.fullName}, batch size ${this.batchSize}, ${this.streams} streams x ${this.cfg.settings.threads} threads, ${this.cfg.settings.repeats} processes`;
  }

  async run(): Promise<void> {
    const [csvPath, metaPath] = this.outputs() as [string, string];
    const parts = this.requires().map((t) => {
      const [csv, json] = t.outputs() as [string, string];
      return { repeat: t.repeat, csv, record: readThroughputRecord(json) };
    });
    const warnings = parts.flatMap((p) => {
      return streamCompetitionWarnings(p.record).map((w) => `repeat ${p.repeat}: ${w}`);
    });
    const body = parts
      .map((p) =>
        readFileSync(p.csv, "utf8")
          .split("\n")
          .filter((l) => l !== "")
          .map((l) => `${p.repeat},${l}\n`)
          .join(""),
      )
      .join("");
    writeJsonAtomic(metaPath, {
      ...pointRecord(
        parts.map((p) => p.record),
        warnings,
      ),
      csvColumns: `repeat,${CALLS_CSV_COLUMNS}`,
    });
    writeFileAtomic(csvPath, body);
  }
}

/** One row of MergeThroughput's table. */
export interface ThroughputRow {
  batchSize: number;
  streams: number;
  eventsPerSecond: number;
  eventsPerSecondMin: number;
  eventsPerSecondMax: number;
  /** throughput(S) / (S × throughput(1)) at the same batch size; null without a 1-stream point. */
  efficiency: number | null;
  latencyMs: { p50: number; p90: number; p99: number };
  cpuUtilisation: number;
  peakRssKb: number;
  /** (peak RSS(S) − peak RSS(1)) / (S − 1): what each added stream costs; null for S = 1 or without S = 1. */
  rssPerAddedStreamKb: number | null;
  oversubscribed: boolean;
  json: string;
}

/** The header of MergeThroughput's CSV. */
export const THROUGHPUT_TABLE_COLUMNS =
  "batch_size,streams,events_per_s,events_per_s_min,events_per_s_max,efficiency,latency_p50_ms,latency_p90_ms,latency_p99_ms,cpu_utilisation,peak_rss_mb,rss_per_added_stream_mb,oversubscribed";

/** The rows of points (the efficiency and memory per stream against each batch size's 1-stream point). */
export function throughputRows(points: { json: string; record: ThroughputPointRecord }[]): ThroughputRow[] {
  const one = new Map(
    points.filter((p) => p.record.point.streams === 1).map((p) => [p.record.point.batchSize, p.record]),
  );
  return points.map(({ json, record }) => {
    const { batchSize, streams } = record.point;
    const base = one.get(batchSize);
    const r = record.result;
    return {
      batchSize,
      streams,
      eventsPerSecond: r.eventsPerSecond,
      eventsPerSecondMin: r.eventsPerSecondMin,
      eventsPerSecondMax: r.eventsPerSecondMax,
      efficiency: base ? r.eventsPerSecond / (streams * base.result.eventsPerSecond) : null,
      latencyMs: r.latencyMs,
      cpuUtilisation: r.cpuUtilisation,
      peakRssKb: r.peakRssKb,
      rssPerAddedStreamKb: base && streams > 1 ? (r.peakRssKb - base.result.peakRssKb) / (streams - 1) : null,
      oversubscribed: record.point.oversubscribed,
      json,
    };
  });
}

/** The CSV line of a row. */
function rowLine(r: ThroughputRow): string {
  const f = (v: number | null, digits: number) => (v === null ? "" : v.toFixed(digits));
  return (
    [
      r.batchSize,
      r.streams,
      f(r.eventsPerSecond, 2),
      f(r.eventsPerSecondMin, 2),
      f(r.eventsPerSecondMax, 2),
      f(r.efficiency, 4),
      f(r.latencyMs.p50, 6),
      f(r.latencyMs.p90, 6),
      f(r.latencyMs.p99, 6),
      f(r.cpuUtilisation, 4),
      f(r.peakRssKb / 1024, 2),
      f(r.rssPerAddedStreamKb === null ? null : r.rssPerAddedStreamKb / 1024, 2),
      r.oversubscribed ? 1 : 0,
    ].join(",") + "\n"
  );
}

/** Merges the points of several batch sizes and streams into throughput_bs_<...>_streams_<...>.csv/.json. */
export class MergeThroughput extends Task {
  static readonly params = { batchSizes: BATCH_SIZES, streams: STREAMS_LIST, ...THROUGHPUT_PARAMS };
  static readonly family = defineTask({
    name: "MergeThroughput",
    examples: [
      [
        "mlprof run MergeThroughput --version v1 --model-file examples/dnn/model_onnx_l10u128.yaml --batch-sizes 1,16 --streams 1,2",
        "events/s, efficiency and latency of the ONNX DNN with 1 and 2 streams",
      ],
    ],
    description:
      "measure and merge the throughput of several batch sizes and streams (efficiency against 1 stream, memory per added stream)",
    params: MergeThroughput.params,
    create: (v) => {
      const cfg = throughputConfig(v);
      return new MergeThroughput(
        cfg,
        v.batchSizes,
        v.streams.length ? v.streams : defaultStreams(cfg.settings),
      );
    },
  });
  readonly family = "MergeThroughput";
  readonly batchSizes: number[];
  readonly streams: number[];

  constructor(
    readonly cfg: ThroughputConfig,
    batchSizes: number[],
    streams: number[],
  ) {
    super();
    this.batchSizes = sortedBatchSizes(batchSizes);
    this.streams = sortedBatchSizes(streams);
  }

  outputs(): string[] {
    const dir = throughputDir(this.family, this.cfg);
    const stem = `throughput_bs_${this.batchSizes.join("_")}_streams_${this.streams.join("_")}`;
    return [join(dir, `${stem}.csv`), join(dir, `${stem}.json`)];
  }

  requires(): MeasureThroughput[] {
    return this.batchSizes.flatMap((b) => this.streams.map((s) => new MeasureThroughput(this.cfg, b, s)));
  }

  override provenance(): OutputProvenance {
    return throughputProvenanceOf(this.cfg, () =>
      (
        JSON.parse(readFileSync(this.outputs()[1]!, "utf8")) as {
          points: { batchSize: number; streams: number; provenance?: ThroughputPointRecord["provenance"] }[];
        }
      ).points.map((p) => ({
        label: `batch size ${p.batchSize}, ${p.streams} streams`,
        provenance: p.provenance,
      })),
    );
  }

  reprParams(): Record<string, unknown> {
    return { ...throughputRepr(this.cfg), batch_sizes: this.batchSizes, streams: this.streams };
  }

  override title(): string {
    return `MergeThroughput ${this.cfg.model.fullName}, batch sizes ${this.batchSizes.join(",")}, streams ${this.streams.join(",")}`;
  }

  async run(ctx: TaskContext): Promise<void> {
    const [csvPath, metaPath] = this.outputs() as [string, string];
    const points = this.requires().map((t) => {
      const json = t.outputs()[1]!;
      return { json, record: readPointRecord(json) };
    });
    const rows = throughputRows(points);
    const warnings = points.flatMap((p) =>
      p.record.warnings.map(
        (w) => `batch size ${p.record.point.batchSize}, ${p.record.point.streams} streams: ${w}`,
      ),
    );
    if (!this.streams.includes(1))
      warnings.push("no 1-stream point: the efficiency and the memory per added stream are left out");
    for (const r of rows)
      if (r.oversubscribed)
        warnings.push(
          `batch size ${r.batchSize}, ${r.streams} streams: oversubscribed (streams x threads > CPUs)`,
        );
    writeJsonAtomic(metaPath, {
      kind: "throughput-merged",
      model: points[0]!.record.model,
      batchSizes: this.batchSizes,
      streams: this.streams,
      threadsPerStream: this.cfg.settings.threads,
      csvColumns: THROUGHPUT_TABLE_COLUMNS,
      warnings,
      points: rows.map((r, k) => ({ ...r, provenance: points[k]!.record.provenance })),
    });
    writeFileAtomic(csvPath, THROUGHPUT_TABLE_COLUMNS + "\n" + rows.map(rowLine).join(""));
    ctx.log?.(`${this.cfg.model.label}: streams x ${this.cfg.settings.threads} threads`);
    ctx.log?.("  batch  streams    events/s (min-max)            eff.   p50 ms   p99 ms  CPU util.");
    for (const r of rows) {
      ctx.log?.(
        `  ${String(r.batchSize).padStart(5)}  ${String(r.streams).padStart(7)}  ${r.eventsPerSecond.toFixed(1).padStart(10)} ` +
          `(${r.eventsPerSecondMin.toFixed(1)}-${r.eventsPerSecondMax.toFixed(1)})`.padEnd(20) +
          `  ${r.efficiency === null ? "   -  " : r.efficiency.toFixed(3)}  ${r.latencyMs.p50.toFixed(4).padStart(7)}  ` +
          `${r.latencyMs.p99.toFixed(4).padStart(7)}  ${(100 * r.cpuUtilisation).toFixed(0).padStart(6)} %` +
          (r.oversubscribed ? "  oversubscribed" : ""),
      );
    }
  }
}

/** The throughput tasks of `mlprof run`. */
export const THROUGHPUT_TASKS = [
  MeasureThroughput.family,
  MeasureThroughputRepeat.family,
  MergeThroughput.family,
];
