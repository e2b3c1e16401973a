/** The one check of a runtime CSV's rows, used wherever a measurement is accepted into the store. */
import { readFileSync } from "node:fs";
import { readRuntimeCsv, type RuntimeCsv, type RuntimeRow } from "../measure/csv.js";
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

/**
 * The problem of a joined measurement's `repeat_rows` metadata line (the rows of each process, see
 * record/repeats.ts), or undefined: one count per repeat, each what one process writes, summing to the rows.
 */
function repeatRowsProblem(
  text: string | undefined,
  total: number,
  expected: ExpectedRows,
): string | undefined {
  const repeats = expected.repeats ?? 1;
  if (text === undefined) return undefined;
  const counts = text.split(",").map((c) => Number(c.trim()));
  const perProcess = expected.nEvents * expected.nCalls * (expected.windows ?? 1);
  const wrong =
    counts.length !== repeats ||
    counts.some((c) => !Number.isInteger(c) || (expected.atLeast ? c < perProcess : c !== perProcess)) ||
    counts.reduce((a, b) => a + b, 0) !== total;
  return wrong
    ? `its metadata line 'repeat_rows: ${text}' does not give ${repeats} process${repeats === 1 ? "" : "es"} of ${expected.atLeast ? "at least " : ""}${perProcess} rows${repeats === 1 ? "" : " each"}, ${total} in all`
    : undefined;
}

/**
 * Checks a runtime CSV file: complete (ends with a newline), parses, and its rows are what `expected` says.
 * Returns the problem, or undefined when the file is valid.
 */
export function runtimeCsvProblem(csvPath: string, expected: ExpectedRows): string | undefined {
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
    repeatRowsProblem(parsed.meta.repeat_rows, parsed.rows.length, expected)
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
): void {
  const problem = runtimeCsvProblem(csvPath, expectedRows(batchSize, run, repeats));
  if (problem) throw new MlprofError(`${writer} wrote a wrong result: ${problem}`);
}

/**
 * Checks a measurement of the store before a task reads it (MergeRuntimes reads MeasureRuntime's CSVs):
 * the same check as requireRows (and collect's), for `repeats` processes; a wrong file is an error naming
 * it, its line and how to measure it again. Nothing is written.
 */
export function requireStoredRows(
  csvPath: string,
  batchSize: number,
  run: RunSettings,
  repeats: number,
): void {
  const problem = runtimeCsvProblem(csvPath, expectedRows(batchSize, run, repeats));
  if (problem) {
    throw new MlprofError(
      `measurement ${csvPath} of the store is wrong: ${problem}`,
      "remove it and its .json, and run again to make it anew (e.g. the same command with --remove-output 1,a,y)",
    );
  }
}
