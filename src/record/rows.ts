/** The one check of a runtime CSV's rows, used wherever a measurement is accepted into the store. */
import { readFileSync } from "node:fs";
import { readRuntimeCsv, type RuntimeRow } from "../measure/csv.js";
import type { RunSettings } from "../measure/run.js";
import { MlprofError, errorMessage } from "../util/errors.js";

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

/** The problem of parsed rows (count, batch size, positive runtimes), or undefined when they are right. */
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
    return `truncated CSV: ${rows.length} rows, expected ${formula} = ${factors.join(" x ")} = ${want}`;
  }
  const other = rows.find((r) => r.batchSize !== expected.batchSize);
  if (other) return `CSV has rows of batch size ${other.batchSize}, expected ${expected.batchSize}`;
  const bad = rows.findIndex((r) => !(r.runtimeMs > 0));
  if (bad >= 0)
    return `CSV row ${bad + 1} has a runtime of ${rows[bad]!.runtimeMs} ms, expected a positive value`;
  return undefined;
}

/**
 * Checks a runtime CSV file: complete (ends with a newline), parses, and its rows are what `expected` says.
 * Returns the problem, or undefined when the file is valid.
 */
export function runtimeCsvProblem(csvPath: string, expected: ExpectedRows): string | undefined {
  const text = readFileSync(csvPath, "utf8");
  if (text.length > 0 && !text.endsWith("\n")) {
    return `truncated CSV: its last line '${text.slice(text.lastIndexOf("\n") + 1).slice(0, 40)}' is cut off`;
  }
  let rows: RuntimeRow[];
  try {
    rows = readRuntimeCsv(csvPath).rows;
  } catch (err) {
    return `malformed CSV: ${errorMessage(err)}`;
  }
  return rowsProblem(rows, expected);
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
): void {
  const problem = runtimeCsvProblem(csvPath, expectedRows(batchSize, run, repeats));
  if (problem) throw new MlprofError(`${writer} wrote a wrong result: ${problem}`);
}
