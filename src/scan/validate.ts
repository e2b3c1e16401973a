import { readFileSync } from "node:fs";
import { readRuntimeCsv } from "../measure/csv.js";
import { errorMessage } from "../util/errors.js";

/** What a measurement's outputs must show. */
export interface ExpectedMeasurement {
  batchSize: number;
  nEvents: number;
  nCalls: number;
  /** With --min-duration a measurement may go on beyond n-calls: at least n_events x n_calls rows. */
  atLeast?: boolean;
}

/**
 * Checks a fetched measurement before it may enter the store: the metadata JSON parses (and names
 * the batch size, when it records one); the CSV is complete (ends with a newline), parses, has
 * n_events × n_calls rows (at least that many with --min-duration), all of the
 * batch size, all positive. Returns the problem, or undefined when the outputs are valid.
 */
export function checkMeasurement(
  csvPath: string,
  jsonPath: string,
  expected: ExpectedMeasurement,
): string | undefined {
  let meta: unknown;
  try {
    meta = JSON.parse(readFileSync(jsonPath, "utf8"));
  } catch (err) {
    return `metadata ${jsonPath.split("/").pop()} is not readable JSON (${errorMessage(err)})`;
  }
  if (typeof meta !== "object" || meta === null || Array.isArray(meta))
    return "metadata JSON is not an object";
  const recorded = (meta as { measurement?: { batchSize?: unknown } }).measurement?.batchSize;
  if (recorded !== undefined && recorded !== expected.batchSize) {
    return `metadata is of batch size ${String(recorded)}, expected ${expected.batchSize}`;
  }
  const text = readFileSync(csvPath, "utf8");
  if (text.length > 0 && !text.endsWith("\n")) {
    return `truncated CSV: its last line '${text.slice(text.lastIndexOf("\n") + 1).slice(0, 40)}' is cut off`;
  }
  let rows;
  try {
    rows = readRuntimeCsv(csvPath).rows;
  } catch (err) {
    return `malformed CSV: ${errorMessage(err)}`;
  }
  const want = expected.nEvents * expected.nCalls;
  if (expected.atLeast ? rows.length < want : rows.length !== want) {
    return `truncated CSV: ${rows.length} rows, expected n_events x n_calls = ${expected.nEvents} x ${expected.nCalls} = ${want}`;
  }
  const other = rows.find((r) => r.batchSize !== expected.batchSize);
  if (other) return `CSV has rows of batch size ${other.batchSize}, expected ${expected.batchSize}`;
  const bad = rows.findIndex((r) => !(r.runtimeMs > 0));
  if (bad >= 0)
    return `CSV row ${bad + 1} has a runtime of ${rows[bad]!.runtimeMs} ms, expected a positive value`;
  return undefined;
}
