/** The measurement chain of one model: MeasureRuntime (one batch size) → MergeRuntimes (several). */
import { join } from "node:path";
import { getExecutor } from "../executors/registry.js";
import { readFileSync } from "node:fs";
import { csvDataLines, readRuntimeCsv, RUNTIME_CSV_COLUMNS } from "../measure/csv.js";
import { summaryTable } from "../report/text.js";
import { COMPETITION_WARNING, recordCompetitionWarnings } from "../stats/competition.js";
import { readMeasurementRecord, readMergedRecord } from "../record/measurement.js";
import { MEDIANS_METHOD, splitSample, summarizeSample, summaryRecord } from "../report/summaries.js";
import { summaryMethod } from "../stats/summary.js";
import { validityMethod } from "../stats/validity.js";
import { writeFileAtomic, writeJsonAtomic } from "../util/fs.js";
import { defineTask } from "../framework/family.js";
import { param, positive } from "../framework/parameters.js";
import { writeRepeatedMeasurement } from "../record/repeats.js";
import { requireRows, requireStoredRows } from "../record/rows.js";
import { cmsswPart, taskDir } from "../store.js";
import { Task, type OutputProvenance, type TaskContext } from "../framework/task.js";
import {
  commonRepr,
  runtimeConfig,
  runtimeDir,
  RUNTIME_PARAMS,
  storedProvenance,
  titleName,
  type RuntimeConfig,
} from "./mixins/runtime.js";
import { BATCH_SIZE, BATCH_SIZES, runParamsPart, sortedBatchSizes } from "./params.js";

/** The output folder of a repeat: the run parameters without the number of repeats (repeat k is the same). */
function repeatDir(cfg: RuntimeConfig): string {
  return taskDir(
    "MeasureRepeat",
    cmsswPart([cfg.cmsswVersion], [cfg.scramArch]),
    `${cfg.model.storeName}__${runParamsPart(cfg.run, { repeats: false })}`,
    cfg.version,
  );
}

/**
 * One fresh measurement process of one model at one batch size: repeat k of a MeasureRuntime
 * (runtime_bs_<N>_repeat_<k>.csv plus its metadata JSON). Repeats are scheduled interleaved (round k of
 * every measurement before round k + 1), never concurrently.
 */
export class MeasureRepeat extends Task {
  static readonly params = {
    batchSize: BATCH_SIZE,
    repeat: param.int({
      flag: "repeat",
      default: 1,
      significant: true,
      description: "which repeat (1, 2, ...): each is a fresh measurement process",
      check: positive("repeat"),
    }),
    ...RUNTIME_PARAMS,
  };
  static readonly family = defineTask({
    name: "MeasureRepeat",
    examples: [
      [
        "mlprof run MeasureRepeat --version v1 --model-file examples/dnn/model_onnx_l10u128.yaml --batch-size 8 --repeat 1",
        "one measurement process (repeat 1) of the ONNX DNN at batch size 8",
      ],
    ],
    description: "one fresh measurement process of one model at one batch size (a repeat of MeasureRuntime)",
    params: MeasureRepeat.params,
    create: (v) => new MeasureRepeat(runtimeConfig(v), v.batchSize, v.repeat),
  });
  readonly family = "MeasureRepeat";

  constructor(
    readonly cfg: RuntimeConfig,
    readonly batchSize: number,
    readonly repeat: number,
  ) {
    super();
  }

  outputs(): string[] {
    const stem = `runtime_bs_${this.batchSize}_repeat_${this.repeat}`;
    return [join(repeatDir(this.cfg), `${stem}.csv`), join(repeatDir(this.cfg), `${stem}.json`)];
  }

  requires(): Task[] {
    return [];
  }

  override interleaving(): { round: number; order: number } {
    return { round: this.repeat, order: this.batchSize };
  }

  /** Its record's fingerprint against the model and settings as they are now. */
  override provenance(): OutputProvenance {
    return recordProvenance(this.cfg, this.outputs()[1]!);
  }

  reprParams(): Record<string, unknown> {
    return { ...commonRepr(this.cfg), batch_size: this.batchSize, repeat: this.repeat };
  }

  override title(): string {
    return `MeasureRepeat ${titleName(this.cfg)}, batch size ${this.batchSize}, repeat ${this.repeat} of ${this.cfg.run.repeats}`;
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
      wait: ctx.wait,
    });
    for (const w of recordCompetitionWarnings(readMeasurementRecord(metaPath)))
      ctx.warn?.(COMPETITION_WARNING, w);
  }
}

/**
 * The runtime of one model at one batch size over --repeats fresh processes: runtime_bs_<N>.csv (every
 * process's rows, in order, in the original's format) plus its metadata JSON (each process recorded).
 */
export class MeasureRuntime extends Task {
  static readonly params = { batchSize: BATCH_SIZE, ...RUNTIME_PARAMS };
  static readonly family = defineTask({
    name: "MeasureRuntime",
    examples: [
      [
        "mlprof run MeasureRuntime --version v1 --model-file examples/dnn/model_onnx_l10u128.yaml --batch-size 8",
        "measure the ONNX DNN at batch size 8 in --repeats fresh processes",
      ],
      [
        "mlprof run MeasureRuntime --version v1 --batch-size 8 --print-status -1",
        "show the task tree and which outputs exist",
      ],
    ],
    description:
      "measure the runtime of one model at one batch size in --repeats fresh processes (runtime_bs_<N>.csv)",
    params: MeasureRuntime.params,
    create: (v) => new MeasureRuntime(runtimeConfig(v), v.batchSize),
  });
  readonly family = "MeasureRuntime";

  constructor(
    readonly cfg: RuntimeConfig,
    readonly batchSize: number,
  ) {
    super();
  }

  get dir(): string {
    return runtimeDir(this.family, this.cfg);
  }

  outputs(): string[] {
    return [
      join(this.dir, `runtime_bs_${this.batchSize}.csv`),
      join(this.dir, `runtime_bs_${this.batchSize}.json`),
    ];
  }

  requires(): MeasureRepeat[] {
    return Array.from(
      { length: this.cfg.run.repeats },
      (_, k) => new MeasureRepeat(this.cfg, this.batchSize, k + 1),
    );
  }

  reprParams(): Record<string, unknown> {
    return { ...commonRepr(this.cfg), batch_size: this.batchSize, repeats: this.cfg.run.repeats };
  }

  /** Its record's fingerprint (that of the repeats it joined) against the model and settings now. */
  override provenance(): OutputProvenance {
    return recordProvenance(this.cfg, this.outputs()[1]!);
  }

  override title(): string {
    return `MeasureRuntime ${titleName(this.cfg)}, batch size ${this.batchSize}, ${this.cfg.run.repeats} x ${this.cfg.run.nEvents} x ${this.cfg.run.nCalls} calls`;
  }

  async run(): Promise<void> {
    const [csvPath, metaPath] = this.outputs() as [string, string];
    const repeats = this.requires().map((t) => {
      const [csv, json] = t.outputs() as [string, string];
      requireRows(csv, this.batchSize, this.cfg.run, `repeat ${t.repeat} (${csv})`);
      return { csv, json };
    });
    writeRepeatedMeasurement(csvPath, metaPath, repeats);
  }
}

/** Merges the MeasureRuntime CSVs of several batch sizes into runtimes_bs_<b1>_<b2>_....csv. */
export class MergeRuntimes extends Task {
  static readonly params = { batchSizes: BATCH_SIZES, ...RUNTIME_PARAMS };
  static readonly family = defineTask({
    name: "MergeRuntimes",
    examples: [
      [
        "mlprof run MergeRuntimes --version v1 --batch-sizes 1,2,4,8,16",
        "measure the default TF DNN at five batch sizes and merge them",
      ],
    ],
    description: "merge the measurements of several batch sizes (runtimes_bs_<...>.csv)",
    params: MergeRuntimes.params,
    create: (v) => new MergeRuntimes(runtimeConfig(v), v.batchSizes),
  });
  readonly family = "MergeRuntimes";
  readonly batchSizes: number[];

  constructor(
    readonly cfg: RuntimeConfig,
    batchSizes: number[],
  ) {
    super();
    this.batchSizes = sortedBatchSizes(batchSizes);
  }

  get dir(): string {
    return runtimeDir(this.family, this.cfg);
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

  /** The fingerprint of each merged measurement against the model and settings now. */
  override provenance(): OutputProvenance {
    return storedProvenance(this.cfg, () =>
      readMergedRecord(this.outputs()[1]!).measurements.map((m) => ({
        label: `batch size ${m.batchSize}`,
        provenance: m.metadata?.provenance,
      })),
    );
  }

  override title(): string {
    return `MergeRuntimes ${titleName(this.cfg)}, batch sizes ${this.batchSizes.join(",")}`;
  }

  async run(ctx: TaskContext): Promise<void> {
    const [csvPath, metaPath] = this.outputs() as [string, string];
    const inputs = this.requires().map((t) => {
      const [csv, meta] = t.outputs() as [string, string];
      // the one check of every measurement entering a result (as collect and the executors check): the
      // record's schema and batch size, the rows, and the rows the record gives its processes
      const record = requireStoredRows(csv, meta, t.batchSize, this.cfg.run, this.cfg.run.repeats);
      return { batchSize: t.batchSize, csv, parsed: readRuntimeCsv(csv), meta: record };
    });
    const body = inputs.flatMap((i) => csvDataLines(readFileSync(i.csv, "utf8"))).join("");
    const summaries = inputs.map((i) =>
      summarizeSample(
        this.cfg.model.label,
        i.batchSize,
        splitSample(
          Float64Array.from(i.parsed.rows, (r) => r.runtimeMs),
          i.meta,
          i.csv,
        ),
      ),
    );
    writeJsonAtomic(metaPath, {
      batchSizes: this.batchSizes,
      csvColumns: RUNTIME_CSV_COLUMNS,
      statistics: { ...summaryMethod(), medians: MEDIANS_METHOD, validity: validityMethod() },
      warnings: summaries.flatMap((e) => e.summary.warnings.map((w) => `batch size ${e.batchSize}: ${w}`)),
      measurements: inputs.map((i, k) => ({
        batchSize: i.batchSize,
        csv: i.csv,
        ...summaryRecord(summaries[k]!),
        metadata: i.meta,
      })),
    });
    writeFileAtomic(csvPath, body);
    summaryTable(summaries).forEach((line) => ctx.log?.(line));
  }
}

/** The fingerprint of one measurement record (`json`) against a measurement of `cfg` now (storedProvenance). */
function recordProvenance(cfg: RuntimeConfig, json: string): OutputProvenance {
  return storedProvenance(cfg, () => [{ label: "", provenance: readMeasurementRecord(json).provenance }]);
}
