/** The check a fetched measurement passes before it may enter the store. */
import type { RunSettings } from "../measure/run.js";
import { readJsonFile, type PartialRecord } from "../record/measurement.js";
import { requireRows } from "../record/rows.js";
import { errorMessage } from "../util/errors.js";

/** What a measurement's outputs must show: what the manifest says the job was asked to measure. */
export interface ExpectedMeasurement {
  batchSize: number;
  run: RunSettings;
  /** The engine of the model file, and the SHA-256 of its graph file ("" when unknown). */
  engine: string;
  graphSha256: string;
  release: string;
  scramArch: string;
}

/**
 * Checks a fetched measurement before it may enter the store. The metadata JSON must be of the measurement
 * the manifest gave the job — model (its graph file's SHA-256 and engine), batch size, n_events, n_calls and
 * repeats, release, architecture and executor — so that outputs of another model or setting moved into the
 * job's folder never enter the store; then the CSV passes the one row check (record/rows.ts): complete,
 * n_events × n_calls (× repeats) rows of that batch size, all positive. Returns the problem, or undefined.
 */
export function checkMeasurement(
  csvPath: string,
  jsonPath: string,
  expected: ExpectedMeasurement,
): string | undefined {
  let data: unknown;
  try {
    data = readJsonFile(jsonPath, "metadata");
  } catch (err) {
    return `metadata ${jsonPath.split("/").pop()} is not readable JSON (${errorMessage(err)})`;
  }
  if (typeof data !== "object" || data === null || Array.isArray(data))
    return "metadata JSON is not an object";
  const meta = data as PartialRecord;
  const run = expected.run;
  const recorded: [string, unknown, unknown][] = [
    ["batch size", meta.measurement?.batchSize, expected.batchSize],
    ["n_events", meta.measurement?.nEvents, run.nEvents],
    ["n_calls", meta.measurement?.nCalls, run.nCalls],
    ["repeats", meta.measurement?.repeats ?? 1, run.repeats],
    ["release", meta.cmssw?.version, expected.release],
    ["SCRAM architecture", meta.cmssw?.scramArch, expected.scramArch],
    ["executor", meta.cmssw?.executor, run.executor],
  ];
  if (expected.engine) recorded.push(["engine", meta.model?.engine, expected.engine]);
  if (expected.graphSha256)
    recorded.push(["graph file SHA-256", meta.model?.graphSha256, expected.graphSha256]);
  for (const [what, found, want] of recorded) {
    if (found !== want) {
      return `metadata is of ${what} ${found === undefined ? "(none recorded)" : JSON.stringify(found)}, expected ${JSON.stringify(want)} (the measurement this job was given)`;
    }
  }
  try {
    requireRows(csvPath, expected.batchSize, run, "the job", run.repeats, { path: jsonPath, record: meta });
  } catch (err) {
    return errorMessage(err).replace(/^the job wrote a wrong result: /, "");
  }
  return undefined;
}
