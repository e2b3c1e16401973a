/** The one check of a runtime CSV's rows, used wherever a measurement is accepted into the store. */
import { readFileSync } from "node:fs";
import { readRuntimeCsv, type RuntimeCsv, type RuntimeRow } from "../measure/csv.js";
import type { RunSettings } from "../measure/run.js";
import { MlprofError, errorMessage } from "../util/errors.js";
import { readMeasurementRecord, type MeasurementRecord } from "./measurement.js";
import { describeFound } from "./schemas.js";

/** What a measurement's rows must be. */
export interface ExpectedRows {
  batchSize: number;
  nEvents: number;
  nCalls: number;
  /** With --min-duration a measurement may go on beyond n-calls: at least n_events x n_calls rows. */
  atLeast?: boolean;
  /** Timed calls per event are this many windows of n_calls (3 with --until-stable; default 1). */
  windows?: number;
  /** Processes whose rows the file holds (a MeasureRuntime of several repeats; default 1). */
  repeats?: number;
}

/** The rows one process (or `repeats` processes) must write with these settings. */
export function expectedRows(batchSize: number, run: RunSettings, repeats = 1): ExpectedRows {
  return {
    batchSize,
    nEvents: run.nEvents,
    nCalls: run.nCalls,
    atLeast: run.minDurationSeconds > 0,
    windows: run.untilStable ? 3 : 1,
    repeats,
  };
}

/** " (line N)" of a row read from a file. */
function at(row: RuntimeRow): string {
  return row.line !== undefined ? ` (line ${row.line})` : "";
}

/**
 * The problem of parsed rows, or undefined when they are right: the count (repeats x n_events x n_calls,
 * times 3 windows with --until-stable; at least that with --min-duration), the batch size of every row,
 * every runtime positive and finite. A wrong row is named with its line.
 */
export function rowsProblem(rows: RuntimeRow[], expected: ExpectedRows): string | undefined {
  const factors = [expected.nEvents, expected.nCalls];
  let formula = "n_events x n_calls";
  if ((expected.windows ?? 1) > 1) {
    factors.push(expected.windows!);
    formula += " x windows";
  }
  if ((expected.repeats ?? 1) > 1) {
    factors.push(expected.repeats!);
    formula += " x repeats";
  }
  const want = factors.reduce((a, b) => a * b, 1);
  if (expected.atLeast ? rows.length < want : rows.length !== want) {
    const none = rows.length === 0 ? " (the file holds no rows)" : "";
    return `truncated CSV: ${rows.length} rows${none}, expected ${expected.atLeast ? "at least " : ""}${formula} = ${factors.join(" x ")} = ${want}`;
  }
  const other = rows.find((r) => r.batchSize !== expected.batchSize);
  if (other)
    return `CSV has rows of batch size ${other.batchSize}, expected ${expected.batchSize}${at(other)}`;
  const bad = rows.findIndex((r) => !(r.runtimeMs > 0 && Number.isFinite(r.runtimeMs)));
  if (bad >= 0)
    return `CSV row ${bad + 1}${at(rows[bad]!)} has a runtime of ${rows[bad]!.runtimeMs} ms, expected a positive value`;
  return undefined;
}

/** The metadata JSON a runtime CSV is checked against: its path and its record of the processes. */
export interface RowsRecord {
  path: string;
  record: { repeats?: unknown };
}

/**
 * The problem of a measurement record's processes (`repeats[].rows`, see record/repeats.ts) against the
 * rows of its CSV, or undefined: one count per repeat, each what one process writes, summing to the rows.
 * A record without `repeats` (one process, or an earlier MLProf version) has nothing to contradict.
 */
function recordRowsProblem(json: RowsRecord, total: number, expected: ExpectedRows): string | undefined {
  const repeats = expected.repeats ?? 1;
  const entries = json.record.repeats;
  if (entries === undefined) return undefined;
  if (!Array.isArray(entries)) {
    return `its metadata ${json.path}: field repeats: expected an array, found ${describeFound(entries)}`;
  }
  const counts = entries.map((e: unknown) => (e as { rows?: unknown } | null)?.rows);
  const bad = counts.findIndex((c) => typeof c !== "number" || !Number.isInteger(c));
  if (bad >= 0) {
    return `its metadata ${json.path}: field repeats[${bad}].rows: expected an integer, found ${describeFound(counts[bad])}`;
  }
  const rows = counts as number[];
  const perProcess = expected.nEvents * expected.nCalls * (expected.windows ?? 1);
  const wrong =
    rows.length !== repeats ||
    rows.some((c) => (expected.atLeast ? c < perProcess : c !== perProcess)) ||
    rows.reduce((a, b) => a + b, 0) !== total;
  return wrong
    ? `its metadata ${json.path} (repeats[].rows: ${rows.join(",")}) does not give ${repeats} process${repeats === 1 ? "" : "es"} of ${expected.atLeast ? "at least " : ""}${perProcess} rows${repeats === 1 ? "" : " each"}, ${total} in all as the CSV holds`
    : undefined;
}

/**
 * Checks a runtime CSV file: complete (ends with a newline), parses, its rows are what `expected` says, and,
 * given the metadata JSON beside it, they are the rows its record of the processes gives. Returns the
 * problem, or undefined when the file is valid.
 */
export function runtimeCsvProblem(
  csvPath: string,
  expected: ExpectedRows,
  json?: RowsRecord,
): string | undefined {
  let text: string;
  try {
    text = readFileSync(csvPath, "utf8");
  } catch (err) {
    return `unreadable CSV: ${errorMessage(err)}`;
  }
  if (text.length > 0 && !text.endsWith("\n")) {
    const lines = text.split("\n").length;
    return `truncated CSV: its last line '${text.slice(text.lastIndexOf("\n") + 1).slice(0, 40)}' is cut off (line ${lines})`;
  }
  let parsed: RuntimeCsv;
  try {
    parsed = readRuntimeCsv(csvPath);
  } catch (err) {
    return `malformed CSV: ${errorMessage(err)}`;
  }
  return (
    rowsProblem(parsed.rows, expected) ??
    (json ? recordRowsProblem(json, parsed.rows.length, expected) : undefined)
  );
}

/**
 * Checks the rows a measurement process (or cmsRun) wrote for the settings it ran with: n_events x n_calls
 * of the batch size (at least that with --min-duration), positive; a wrong file is an error naming its writer.
 */
export function requireRows(
  csvPath: string,
  batchSize: number,
  run: RunSettings,
  writer: string,
  repeats = 1,
  json?: RowsRecord,
): void {
  const problem = runtimeCsvProblem(csvPath, expectedRows(batchSize, run, repeats), json);
  if (problem) throw new MlprofError(`${writer} wrote a wrong result: ${problem}`);
}

/**
 * Checks a measurement of the store before a task reads it (MergeRuntimes reads MeasureRuntime's pairs):
 * its metadata JSON (`jsonPath`) passes its schema and is of the batch size, and its CSV passes the same
 * check as requireRows (and collect's) for `repeats` processes, with the rows the JSON records. A wrong
 * file is an error naming it, its line or field, and how to measure it again. Returns the record; nothing
 * is written.
 */
export function requireStoredRows(
  csvPath: string,
  jsonPath: string,
  batchSize: number,
  run: RunSettings,
  repeats: number,
): MeasurementRecord {
  const record = readMeasurementRecord(jsonPath);
  const again =
    "remove it and its .json, and run again to make it anew (e.g. the same command with --remove-output 1,a,y)";
  const problem = runtimeCsvProblem(csvPath, expectedRows(batchSize, run, repeats), {
    path: jsonPath,
    record,
  });
  if (problem) throw new MlprofError(`measurement ${csvPath} of the store is wrong: ${problem}`, again);
  if (record.measurement.batchSize !== batchSize) {
    throw new MlprofError(
      `measurement metadata ${jsonPath} of the store is wrong: it is of batch size ${record.measurement.batchSize}, expected ${batchSize}`,
      again,
    );
  }
  return record;
}
