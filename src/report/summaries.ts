import type { PlotSeries } from "../plot/figure.js";
import { bandStats } from "../stats/stats.js";
import { summarize } from "../stats/summary.js";
import { existsSync } from "node:fs";
import { preparationSummary, readMergedRecord, type PartialRecord } from "../record/measurement.js";
import { repeatRowCounts } from "../record/repeats.js";
import { repeatStats, repeatWarnings } from "../stats/repeats.js";
import { MlprofError } from "../util/errors.js";
import { MAX_RUNTIME_MS, readRuntimeCsv } from "../measure/csv.js";
import { plainLabel, type SummaryEntry } from "./text.js";
import { PAIR_MISMATCH_HINT } from "../record/repeats.js";
import type { CompetitionRecord } from "../measure/competition.js";
import { processCompetition, competitionWarnings } from "../stats/competition.js";
import { validityOf } from "../stats/validity.js";

/** The runtimes of one batch size: all calls in order, and the calls of each process. */
export interface BatchSample {
  all: Float64Array;
  repeats: Float64Array[];
  /** With --until-stable: whether every event of every process reached stable windows. */
  stable?: boolean;
  /** tfaot: whether the batch size was composed of other compiled sizes (a batch rule of several chunks). */
  stitched?: boolean;
  /**
   * What competed with each process's timed calls, in process order (undefined where the record has none:
   * older records, or no record at all), with the label of its warnings ("repeat k: " when several).
   */
  competition: { label: string; competition: CompetitionRecord | undefined }[];
}

/**
 * The runtimes of each batch size of a merged runtime CSV, split into its processes by the measurements'
 * records in the JSON beside it (runtimes_bs_….json, checked against its schema; one process when there is
 * none). Rows of a batch size the JSON does not hold, or row counts other than its records give, are an
 * error naming the files.
 */
export function runtimeSamples(csvPath: string, batchSizes: number[]): Map<number, BatchSample> {
  const { rows } = readRuntimeCsv(csvPath);
  const jsonPath = csvPath.replace(/\.csv$/, ".json");
  const merged = jsonPath !== csvPath && existsSync(jsonPath) ? readMergedRecord(jsonPath) : undefined;
  if (merged) {
    const other = rows.find((r) => !merged.batchSizes.includes(r.batchSize));
    if (other) {
      throw new MlprofError(
        `${csvPath}, line ${other.line}: a row of batch size ${other.batchSize}, but ${jsonPath} holds batch sizes ${merged.batchSizes.join(",")}`,
        PAIR_MISMATCH_HINT,
      );
    }
  }
  const out = new Map<number, BatchSample>();
  for (const bs of batchSizes) {
    const all = Float64Array.from(rows.filter((r) => r.batchSize === bs).map((r) => r.runtimeMs));
    if (all.length === 0) throw new MlprofError(`${csvPath}: no rows for batch size ${bs}`);
    const record = merged?.measurements.find((m) => m.batchSize === bs)?.metadata;
    out.set(bs, splitSample(all, record, `${csvPath} (batch size ${bs}, metadata in ${jsonPath})`));
  }
  return out;
}

/**
 * The calls of one measurement split into its processes by its record (one process when it has none);
 * row counts the record contradicts are an error naming `where`.
 */
export function splitSample(
  all: Float64Array,
  record: PartialRecord | undefined,
  where = "the CSV",
): BatchSample {
  const counts = repeatRowCounts(record, all.length, where);
  const repeats: Float64Array[] = [];
  let at = 0;
  for (const n of counts) {
    repeats.push(all.subarray(at, at + n));
    at += n;
  }
  const events = record?.repeats?.flatMap((r) => r.stability?.events ?? []) ?? [];
  const stitched = preparationSummary(record, where)?.stitched;
  const competition = record ? processCompetition(record) : [];
  return {
    all,
    repeats,
    competition:
      competition.length === repeats.length
        ? competition
        : repeats.map(() => ({ label: "", competition: undefined })),
    ...(events.length ? { stable: events.every((e) => e.stable) } : {}),
    ...(stitched !== undefined ? { stitched } : {}),
  };
}

/** Per-call runtimes (ms, call order) of each batch size of a merged runtime CSV. */
export function runtimesByBatchSize(csvPath: string, batchSizes: number[]): Map<number, Float64Array> {
  return new Map([...runtimeSamples(csvPath, batchSizes)].map(([bs, s]) => [bs, s.all]));
}

/**
 * The summary of one batch size: the calls pooled, and across processes. Runtimes that are not positive,
 * finite and at most MAX_RUNTIME_MS are refused (their sums would overflow the statistics).
 */
export function summarizeSample(label: string, batchSize: number, sample: BatchSample): SummaryEntry {
  const bad = sample.all.findIndex((v) => !(v > 0 && v <= MAX_RUNTIME_MS));
  if (bad >= 0) {
    throw new MlprofError(
      `${plainLabel(label)}, batch size ${batchSize}: call ${bad + 1} has a runtime of ${sample.all[bad]} ms, expected a positive value of at most ${MAX_RUNTIME_MS} ms`,
    );
  }
  const summary = summarize(sample.all, batchSize, undefined, undefined, sample.repeats);
  const repeats = repeatStats(sample.repeats);
  const warnings = [
    ...summary.warnings,
    ...repeatWarnings(repeats, sample.stable),
    ...sample.competition.flatMap((p) =>
      p.competition ? competitionWarnings(p.competition).map((w) => p.label + w) : [],
    ),
  ];
  const validity = validityOf({
    processes: sample.repeats,
    stable: sample.stable,
    competition: sample.competition.map((p) => p.competition),
  });
  return {
    label,
    batchSize,
    summary: { ...summary, warnings },
    repeats,
    validity,
    competition: sample.competition.map((p) => p.competition),
    processCalls: sample.repeats.map((r) => r.length),
    stable: sample.stable,
    ...(sample.stitched !== undefined ? { stitched: sample.stitched } : {}),
  };
}

/** What the two medians of a measurement are, as the merged JSON's `statistics.medians` says. */
export const MEDIANS_METHOD =
  "pooledCalls.median: the median of every call of every process pooled (the table's 'median (pooled calls)'); " +
  "acrossProcesses.median: the geometric mean of the process medians, the measurement's median (the table's " +
  "'median across procs'), with its Student-t interval";

/**
 * The summary of one batch size as the merged JSON records it (runtimes_bs_….json): `pooledCalls`, the
 * statistics of every call pooled (its `median` is the median of the pooled calls), and `acrossProcesses`,
 * the processes' medians and their geometric mean `median` with its interval; `valid` and `reasons`, the
 * point's validity verdict (stats/validity.ts; null: unknown).
 */
export function summaryRecord(entry: SummaryEntry): {
  valid: boolean | null;
  reasons: string[];
  pooledCalls: SummaryEntry["summary"];
  acrossProcesses?: Record<string, unknown>;
} {
  const r = entry.repeats;
  return {
    valid: entry.validity?.valid ?? null,
    reasons: entry.validity?.reasons ?? [],
    pooledCalls: entry.summary,
    ...(r && {
      acrossProcesses: {
        processes: r.n,
        processMedians: r.medians,
        median: r.center,
        medianMethod: "geometric mean of the process medians",
        interval: r.interval,
        betweenCv: r.betweenCv,
        withinCv: r.withinCv,
      },
    }),
  };
}

/** Summaries of each batch size of a merged runtime CSV, labelled for the summary table. */
export function summarizeRuntimeCsv(csvPath: string, label: string, batchSizes: number[]): SummaryEntry[] {
  return [...runtimeSamples(csvPath, batchSizes)].map(([bs, sample]) => summarizeSample(label, bs, sample));
}

/**
 * Per-batch-size median and 16/84 % quantiles of a merged runtime CSV, divided by the batch size when asked;
 * with the summaries of its batch sizes, each point's validity (invalid points are drawn hollow).
 */
export function seriesFromCsv(
  csvPath: string,
  label: string,
  batchSizes: number[],
  bsNormalized: boolean,
  entries?: SummaryEntry[],
): PlotSeries {
  const { rows } = readRuntimeCsv(csvPath);
  const series: PlotSeries = {
    label,
    batchSizes: [],
    median: [],
    low: [],
    high: [],
    ...(entries
      ? { valid: batchSizes.map((bs) => entries.find((e) => e.batchSize === bs)?.validity?.valid ?? null) }
      : {}),
  };
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
