/**
 * The throughput records of the store: a process's record (local.ts writes it), the record of a point
 * over its repeats, and their one reader, which names the file and the field of any problem.
 */
import { MlprofError } from "../util/errors.js";
import { readJsonFile } from "../util/json.js";
import { medianOf } from "../stats/stats.js";
import { competitionWarnings } from "../stats/competition.js";
import type { ThroughputRecord } from "./local.js";

/** The competition warnings of a throughput process: one per stream thread and cause ("stream k: …"). */
export function streamCompetitionWarnings(record: ThroughputRecord): string[] {
  return (record.process.competition ?? []).flatMap((c, k) =>
    c ? competitionWarnings(c).map((w) => `stream ${k}: ${w}`) : [],
  );
}

/** One point (model, batch size, streams, threads) over its fresh processes. */
export interface ThroughputPointRecord {
  kind: "throughput-point";
  model: ThroughputRecord["model"];
  point: ThroughputRecord["point"];
  settings: ThroughputRecord["settings"];
  /** Medians over the processes; the spread is their smallest and largest value. */
  result: {
    eventsPerSecond: number;
    eventsPerSecondMin: number;
    eventsPerSecondMax: number;
    /** (max − min) / median of the processes' events/s. */
    relativeSpread: number;
    latencyMs: { p50: number; p90: number; p99: number };
    cpuUtilisation: number;
    peakRssKb: number;
  };
  /** Each process's record, in the order of the CSV's repeat column. */
  processes: ThroughputRecord[];
  provenance: ThroughputRecord["provenance"];
  /** Competition warnings of the processes (repeat k: stream j: …): what took CPU time from the streams. */
  warnings: string[];
}

/** The point record of the processes of one point (their records in order). */
export function pointRecord(processes: ThroughputRecord[], warnings: string[]): ThroughputPointRecord {
  const first = processes[0]!;
  const rates = processes.map((p) => p.result.eventsPerSecond);
  const median = medianOf(rates);
  const med = (f: (p: ThroughputRecord) => number) => medianOf(processes.map(f));
  return {
    kind: "throughput-point",
    model: first.model,
    point: { ...first.point, oversubscribed: processes.some((p) => p.point.oversubscribed) },
    settings: first.settings,
    result: {
      eventsPerSecond: median,
      eventsPerSecondMin: Math.min(...rates),
      eventsPerSecondMax: Math.max(...rates),
      relativeSpread: (Math.max(...rates) - Math.min(...rates)) / median,
      latencyMs: {
        p50: med((p) => p.result.latencyMs.p50),
        p90: med((p) => p.result.latencyMs.p90),
        p99: med((p) => p.result.latencyMs.p99),
      },
      cpuUtilisation: med((p) => p.result.cpu.utilisation),
      peakRssKb: med((p) => p.result.memory.peakRssKb),
    },
    processes,
    provenance: first.provenance,
    warnings,
  };
}

/** A number at `path` of `data`, or an error naming the file and the field. */
function numberAt(data: unknown, path: string[], file: string): number {
  let v: unknown = data;
  for (const key of path)
    v = v !== null && typeof v === "object" ? (v as Record<string, unknown>)[key] : undefined;
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new MlprofError(
      `${file}: field ${path.join(".")}: expected a finite number, found ${v === undefined ? "nothing" : JSON.stringify(v)}`,
      "measure the point again (remove the file, or run with --remove-output)",
    );
  }
  return v;
}

/** Reads a record of `kind` whose fields the tasks use are all there. */
function readKind<T>(file: string, kind: string, fields: string[][]): T {
  const data = readJsonFile(file, "throughput record");
  const found = (data as { kind?: unknown } | null)?.kind;
  if (found !== kind)
    throw new MlprofError(`${file}: field kind: expected '${kind}', found ${JSON.stringify(found ?? null)}`);
  for (const f of fields) numberAt(data, f, file);
  return data as T;
}

/** Reads the record of one throughput process. */
export function readThroughputRecord(file: string): ThroughputRecord {
  return readKind<ThroughputRecord>(file, "throughput", [
    ["point", "streams"],
    ["point", "batchSize"],
    ["result", "eventsPerSecond"],
    ["result", "latencyMs", "p50"],
    ["result", "latencyMs", "p90"],
    ["result", "latencyMs", "p99"],
    ["result", "cpu", "utilisation"],
    ["result", "memory", "peakRssKb"],
  ]);
}

/** Reads the record of a point over its processes. */
export function readPointRecord(file: string): ThroughputPointRecord {
  return readKind<ThroughputPointRecord>(file, "throughput-point", [
    ["point", "streams"],
    ["point", "batchSize"],
    ["result", "eventsPerSecond"],
    ["result", "eventsPerSecondMin"],
    ["result", "eventsPerSecondMax"],
    ["result", "latencyMs", "p50"],
    ["result", "latencyMs", "p90"],
    ["result", "latencyMs", "p99"],
    ["result", "cpuUtilisation"],
    ["result", "peakRssKb"],
  ]);
}
