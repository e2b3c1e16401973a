/** The measurement chain of one model: MeasureRuntime (one batch size) → MergeRuntimes (several). */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { getExecutor } from "../executors/registry.js";
import { csvMetaLines, readRuntimeCsv } from "../measure/csv.js";
import { summaryTable } from "../report/text.js";
import { summarize, summaryMethod } from "../stats/summary.js";
import { MlprofError } from "../util/errors.js";
import { writeFileAtomic, writeJsonAtomic } from "../util/fs.js";
import { defineTask } from "../framework/family.js";
import { Task, type TaskContext } from "../framework/task.js";
import {
  commonRepr,
  runtimeConfig,
  runtimeDir,
  RUNTIME_PARAMS,
  type RuntimeConfig,
} from "./mixins/runtime.js";
import { BATCH_SIZE, BATCH_SIZES, sortedBatchSizes } from "./params.js";

/** Measures the runtime of one model at one batch size: runtime_bs_<N>.csv plus its metadata JSON. */
export class MeasureRuntime extends Task {
  static readonly params = { batchSize: BATCH_SIZE, ...RUNTIME_PARAMS };
  static readonly family = defineTask({
    name: "MeasureRuntime",
    description: "measure the runtime of one model at one batch size (runtime_bs_<N>.csv)",
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

/** Merges the MeasureRuntime CSVs of several batch sizes into runtimes_bs_<b1>_<b2>_....csv. */
export class MergeRuntimes extends Task {
  static readonly params = { batchSizes: BATCH_SIZES, ...RUNTIME_PARAMS };
  static readonly family = defineTask({
    name: "MergeRuntimes",
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
