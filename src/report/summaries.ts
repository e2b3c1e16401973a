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
