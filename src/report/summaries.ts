import type { PlotSeries } from "../plot/figure.js";
import { bandStats } from "../stats/stats.js";
import { readRuntimeCsv } from "../measure/csv.js";
import { summarize } from "../stats/summary.js";
import { MlprofError } from "../util/errors.js";
import type { SummaryEntry } from "./text.js";

/** Per-call runtimes (ms, call order) of each batch size of a merged runtime CSV. */
export function runtimesByBatchSize(csvPath: string, batchSizes: number[]): Map<number, Float64Array> {
  const { rows } = readRuntimeCsv(csvPath);
  const out = new Map<number, Float64Array>();
  for (const bs of batchSizes) {
    const values = Float64Array.from(rows.filter((r) => r.batchSize === bs).map((r) => r.runtimeMs));
    if (values.length === 0) throw new MlprofError(`${csvPath}: no rows for batch size ${bs}`);
    out.set(bs, values);
  }
  return out;
}

/** Summaries of each batch size of a merged runtime CSV, labelled for the summary table. */
export function summarizeRuntimeCsv(csvPath: string, label: string, batchSizes: number[]): SummaryEntry[] {
  return [...runtimesByBatchSize(csvPath, batchSizes)].map(([batchSize, values]) => ({
    label,
    batchSize,
    summary: summarize(values, batchSize),
  }));
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
