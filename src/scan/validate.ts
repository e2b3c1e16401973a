/** The check a fetched measurement passes before it may enter the store. */
import { readFileSync } from "node:fs";
import type { RunSettings } from "../measure/run.js";
import { parseCalls } from "../throughput/fit.js";
import { THROUGHPUT_SETTINGS } from "../tasks/throughput-params.js";
import type { ThroughputSettings } from "../throughput/settings.js";
import { readPointRecord, type ThroughputPointRecord } from "../throughput/records.js";
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

/** What a throughput measurement's outputs must show: the point and settings the job was given. */
export interface ExpectedThroughput {
  batchSize: number;
  streams: number;
  settings: ThroughputSettings;
  engine: string;
  graphSha256: string;
  release: string;
  scramArch: string;
}

/**
 * Checks a fetched throughput measurement (MeasureThroughput's point record and calls CSV) before it may
 * enter the store. The record must be of the point the manifest gave the job — model (engine, graph file
 * SHA-256), batch size, streams, threads per stream, every setting that shapes the result, one process per
 * repeat, each of the release, architecture and executor — and the CSV must hold, for every repeat, calls
 * of every stream as `repeat,stream,start_ns,end_ns`, at least as many as that process fitted. Returns the
 * problem, or undefined.
 */
export function checkThroughputMeasurement(
  csvPath: string,
  jsonPath: string,
  expected: ExpectedThroughput,
): string | undefined {
  let record: ThroughputPointRecord;
  try {
    record = readPointRecord(jsonPath);
  } catch (err) {
    return errorMessage(err);
  }
  const s = expected.settings;
  const processes = Array.isArray(record.processes) ? record.processes : [];
  const recorded: [string, unknown, unknown][] = [
    ["batch size", record.point.batchSize, expected.batchSize],
    ["streams", record.point.streams, expected.streams],
    ["threads per stream", record.point.threadsPerStream, s.threads],
    ["repeats (processes)", processes.length, s.repeats],
  ];
  for (const [key, def] of Object.entries(THROUGHPUT_SETTINGS)) {
    if (!def.significant || key === "threads" || key === "executor") continue;
    recorded.push([
      `--${def.flag}`,
      (record.settings as unknown as Record<string, unknown> | undefined)?.[key],
      s[key as keyof typeof s],
    ]);
  }
  if (expected.engine) recorded.push(["engine", record.model?.engine, expected.engine]);
  if (expected.graphSha256)
    recorded.push(["graph file SHA-256", record.model?.graphSha256, expected.graphSha256]);
  processes.forEach((p, k) => {
    recorded.push(
      [`repeat ${k + 1}'s release`, p.cmssw?.version, expected.release],
      [`repeat ${k + 1}'s SCRAM architecture`, p.cmssw?.scramArch, expected.scramArch],
      [`repeat ${k + 1}'s executor`, p.cmssw?.executor, s.executor],
    );
  });
  for (const [what, found, want] of recorded) {
    if (found !== want) {
      return `metadata is of ${what} ${found === undefined ? "(none recorded)" : JSON.stringify(found)}, expected ${JSON.stringify(want)} (the measurement this job was given)`;
    }
  }
  return checkThroughputCalls(csvPath, expected.streams, processes);
}

/**
 * The calls CSV of a point: `repeat,stream,start_ns,end_ns` lines, for each repeat (1 to the processes'
 * count) calls of every stream, at least the calls its process fitted in its window.
 */
function checkThroughputCalls(
  csvPath: string,
  streams: number,
  processes: ThroughputPointRecord["processes"],
): string | undefined {
  const file = csvPath.split("/").pop()!;
  let text: string;
  try {
    text = readFileSync(csvPath, "utf8");
  } catch (err) {
    return `${file} is not readable (${errorMessage(err)})`;
  }
  if (text !== "" && !text.endsWith("\n")) return `${file} is truncated (its last line has no end)`;
  const byRepeat = new Map<number, string[]>();
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === "") continue;
    const m = /^(\d+),(.*)$/.exec(line);
    const repeat = m ? Number(m[1]) : 0;
    if (!m || repeat < 1 || repeat > processes.length)
      return `${file} line ${i + 1}: expected 'repeat,stream,start_ns,end_ns' with a repeat from 1 to ${processes.length}, found '${line}'`;
    if (!byRepeat.has(repeat)) byRepeat.set(repeat, []);
    byRepeat.get(repeat)!.push(m[2]!);
  }
  for (let k = 1; k <= processes.length; k++) {
    let calls;
    try {
      calls = parseCalls((byRepeat.get(k) ?? []).join("\n"), `${file} (repeat ${k})`, streams);
    } catch (err) {
      return errorMessage(err);
    }
    const silent = Array.from({ length: streams }, (_, s) => s).filter(
      (s) => !calls.some((c) => c.stream === s),
    );
    if (silent.length > 0)
      return `${file}: repeat ${k} has no call of stream${silent.length > 1 ? "s" : ""} ${silent.join(", ")} of ${streams}`;
    const fitted = processes[k - 1]!.result?.steady?.calls;
    if (typeof fitted === "number" && calls.length < fitted)
      return `${file}: repeat ${k} has ${calls.length} calls, fewer than the ${fitted} its record fitted`;
  }
  return undefined;
}
