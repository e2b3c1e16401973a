/**
 * A repeated measurement: the result pairs of several fresh processes (MeasureRepeat) joined into one
 * (MeasureRuntime): the CSV keeps the original's format with every process's rows in order (nothing else),
 * the JSON records each process (its rows, median, timings, memory, load, competition) beside the first process's record.
 */
import { readFileSync, rmSync } from "node:fs";
import { csvDataLines, readRuntimeCsv } from "../measure/csv.js";
import { medianOf } from "../stats/stats.js";
import { MlprofError } from "../util/errors.js";
import { writeFileAtomic, writeJsonAtomic } from "../util/fs.js";
import { readMeasurementRecord, type MeasurementRecord, type RepeatEntry } from "./measurement.js";

/** The hint of a CSV and JSON of the store that contradict each other. */
export const PAIR_MISMATCH_HINT =
  "the CSV and its JSON do not belong together (edited, or cut off); remove the output (--remove-output) and run again";

/** The files of one process of a repeated measurement. */
export interface RepeatFiles {
  csv: string;
  json: string;
}

/**
 * Joins the result pairs of the repeats (already checked) into `csvPath` and `metaPath`: metadata first,
 * the CSV last, as every result pair is written.
 */
export function writeRepeatedMeasurement(csvPath: string, metaPath: string, repeats: RepeatFiles[]): void {
  const parts = repeats.map((files, i) => {
    const parsed = readRuntimeCsv(files.csv);
    const record = readMeasurementRecord(files.json);
    const body = csvDataLines(readFileSync(files.csv, "utf8"));
    const entry: RepeatEntry = {
      index: i + 1,
      csv: files.csv,
      json: files.json,
      rows: parsed.rows.length,
      medianMs: medianOf(parsed.rows.map((r) => r.runtimeMs)),
      startedAt: record.startedAt,
      finishedAt: record.finishedAt,
      loadAverage: record.host.loadAverage,
      pid: record.process.pid,
      timings: record.process.timings,
      memory: record.process.memory,
      ...(record.process.stability ? { stability: record.process.stability } : {}),
      ...(record.process.competition ? { competition: record.process.competition } : {}),
    };
    return { record, body, entry };
  });
  const first = parts[0]!;
  const record: MeasurementRecord = {
    ...first.record,
    measurement: { ...first.record.measurement, repeats: parts.length },
    finishedAt: parts.at(-1)!.record.finishedAt,
    repeats: parts.map((p) => p.entry),
  };
  rmSync(csvPath, { force: true });
  writeJsonAtomic(metaPath, record);
  try {
    writeFileAtomic(csvPath, parts.map((p) => p.body.join("")).join(""));
  } catch (err) {
    rmSync(metaPath, { force: true });
    throw err;
  }
}

/**
 * The row counts of each process of a measurement's record (one process when it records none). Counts that
 * do not add up to the rows the CSV holds for it are an error naming `where` (the file the rows came from).
 */
export function repeatRowCounts(
  record: { repeats?: { rows: number }[] } | undefined,
  total: number,
  where = "the CSV",
): number[] {
  const counts = record?.repeats?.map((r) => r.rows);
  if (!counts) return [total];
  const sum = counts.reduce((a, b) => a + b, 0);
  if (sum !== total) {
    throw new MlprofError(
      `${where} holds ${total} rows, but its metadata gives ${counts.length} process${counts.length === 1 ? "" : "es"} of ${counts.join(" + ")} = ${sum} rows`,
      PAIR_MISMATCH_HINT,
    );
  }
  return counts;
}
