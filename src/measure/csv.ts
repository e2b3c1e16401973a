/**
 * The runtime CSVs in the original MLProf's format: one `batch_size,runtime_ms` row per timed call, no header
 * line, no comments, so that `pandas.read_csv(path, delimiter=",", names=["batch_size", "runtimes"])` reads
 * them. Every other fact of a measurement lives in the JSON beside its CSV (record/measurement.ts).
 */
import { readFileSync } from "node:fs";
import { lazyRequire } from "../util/lazy.js";
import { MlprofError } from "../util/errors.js";

/** Loaded on first use (see util/lazy.ts). */
const csv = lazyRequire<typeof import("csv-parse/sync")>("csv-parse/sync");

/** The largest runtime of one call the tool accepts (one hour, in ms): beyond it a row is not a measurement. */
export const MAX_RUNTIME_MS = 3_600_000;

/** The columns of every runtime CSV, as the JSON records name them (the CSVs have no header line). */
export const RUNTIME_CSV_COLUMNS = "batch_size,runtime_ms";

/** One timed call: the batch size and the runtime in milliseconds. */
export interface RuntimeRow {
  batchSize: number;
  runtimeMs: number;
  /** The row's line in its file (1-based), when read from one. */
  line?: number;
}

/** Parsed runtime CSV: its rows. */
export interface RuntimeCsv {
  rows: RuntimeRow[];
}

/**
 * The data lines of a runtime CSV's text, each with its newline: empty lines and `#` comment lines (which
 * CSVs of earlier MLProf versions began with) dropped.
 */
export function csvDataLines(text: string): string[] {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.startsWith("#"))
    .map((line) => line + "\n");
}

/**
 * Reads a runtime CSV in the original's format (`batch_size,runtime_ms` rows, no header). Lines starting
 * with `#` (the metadata lines of CSVs written by earlier MLProf versions) are skipped. Every malformed row
 * — not two fields, a batch size that is not a positive integer, a runtime that is not a finite number of
 * at least 0 and at most MAX_RUNTIME_MS — is an error naming the file and its line.
 */
export function readRuntimeCsv(path: string): RuntimeCsv {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new MlprofError(`cannot read runtime CSV ${path}: ${(err as Error).message}`);
  }
  const records = csv().parse(text, {
    comment: "#",
    skip_empty_lines: true,
    relax_column_count: true,
    info: true,
  }) as unknown as {
    record: string[];
    info: { lines: number };
  }[];
  const rows = records.map(({ record, info }) => {
    const [bs, rt] = record;
    const batchSize = Number(bs);
    const runtimeMs = Number(rt);
    if (
      record.length !== 2 ||
      !/^\s*\d+\s*$/.test(bs ?? "") ||
      batchSize <= 0 ||
      (rt ?? "").trim() === "" ||
      !Number.isFinite(runtimeMs) ||
      runtimeMs < 0
    ) {
      throw new MlprofError(
        `${path}, line ${info.lines}: expected 'batch_size,runtime_ms' with a positive integer and a number, found '${record.join(",")}'`,
      );
    }
    if (runtimeMs > MAX_RUNTIME_MS) {
      throw new MlprofError(
        `${path}, line ${info.lines}: a runtime of ${rt!.trim()} ms is beyond ${MAX_RUNTIME_MS} ms (one hour per call), not a measurement`,
      );
    }
    return { batchSize, runtimeMs, line: info.lines };
  });
  return { rows };
}
