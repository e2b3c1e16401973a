/** The check a fetched measurement passes before it may enter the store. */
import { readJsonFile } from "../record/measurement.js";
import { runtimeCsvProblem, type ExpectedRows } from "../record/rows.js";
import { errorMessage } from "../util/errors.js";

/** What a measurement's outputs must show. */
export type ExpectedMeasurement = ExpectedRows;

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
    meta = readJsonFile(jsonPath, "metadata");
  } catch (err) {
    return `metadata ${jsonPath.split("/").pop()} is not readable JSON (${errorMessage(err)})`;
  }
  if (typeof meta !== "object" || meta === null || Array.isArray(meta))
    return "metadata JSON is not an object";
  const recorded = (meta as { measurement?: { batchSize?: unknown } }).measurement?.batchSize;
  if (recorded !== undefined && recorded !== expected.batchSize) {
    return `metadata is of batch size ${String(recorded)}, expected ${expected.batchSize}`;
  }
  return runtimeCsvProblem(csvPath, expected);
}
