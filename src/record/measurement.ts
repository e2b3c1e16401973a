/**
 * The measurement record: the metadata JSON every measurement writes beside its CSV (runtime_bs_<N>.json),
 * its one writer, and its one reader with a clear error naming the file.
 */
import { rmSync } from "node:fs";
import type { Model } from "../engines/model.js";
import { measurementProvenance, type MeasurementProvenance } from "../engines/provenance.js";
import { csvDataLines, RUNTIME_CSV_COLUMNS } from "../measure/csv.js";
import type { HostInfo } from "../measure/host.js";
import type { MeasureProcessMeta, PreparationMeta } from "../measure/job.js";
import type { RunSettings } from "../measure/run.js";
import { projectRevision } from "../paths.js";
import { readJsonFile } from "../util/json.js";
import type { PreparationSummary } from "../engines/engine.js";
import { findEngine } from "../engines/registry.js";
import { parseDeclared, readRecord } from "./schemas.js";
import { writeFileAtomic, writeJsonAtomic } from "../util/fs.js";

/** Seed of the random inputs (event e of input i uses seed + 1000 e + i); recorded in the metadata. */
export const INPUT_SEED = 12345;

/** What one measurement is: the model, the batch size, the settings, the release, and where it goes. */
export interface MeasurementTarget {
  model: Model;
  batchSize: number;
  run: RunSettings;
  cmsswVersion: string;
  scramArch: string;
  /** Final output paths. */
  csvPath: string;
  metaPath: string;
}

/** The metadata JSON of one measurement. */
export interface MeasurementRecord {
  mlprof: { revision: string };
  model: { file: string; graph: string; graphSha256?: string; name: string; label: string; engine: string };
  measurement: {
    batchSize: number;
    nEvents: number;
    nCalls: number;
    nWarmup: number;
    warmupSeconds: number;
    minDurationSeconds: number;
    interOpThreads: number;
    cpuAffinity: string;
    warmupPolicy: string;
    inputData: string;
    inputSeed: number;
    unit: "ms";
    /** The columns of the CSV beside the record (it has no header line): "batch_size,runtime_ms". */
    csvColumns?: string;
    /** Fresh processes whose rows the CSV holds, in order (see `repeats`); absent: one. */
    repeats?: number;
  };
  /** The release, architecture and executor, and executor-specific facts (area, config, note). */
  cmssw: { version: string; scramArch: string; executor: string; [key: string]: unknown };
  host: HostInfo;
  process: MeasureProcessMeta;
  startedAt: string;
  finishedAt: string;
  /** Each process of a MeasureRuntime of several repeats, in the order of its rows. */
  repeats?: RepeatEntry[];
  /**
   * The fingerprint of the model content (graph hash, the yaml's declared inputs and outputs) and of the
   * significant settings the measurement was made from (engines/provenance.ts); absent in records written
   * before MLProf recorded it (unknown provenance).
   */
  provenance?: MeasurementProvenance;
}

/** One process of a repeated measurement, as its aggregate records it. */
export interface RepeatEntry {
  /** 1, 2, ... in the order of the rows. */
  index: number;
  csv: string;
  json: string;
  rows: number;
  medianMs: number;
  startedAt: string;
  finishedAt: string;
  /** The 1-, 5- and 15-minute load averages when the process started (a fact; no warning reads it). */
  loadAverage: number[];
  pid: number;
  timings: MeasureProcessMeta["timings"];
  memory: MeasureProcessMeta["memory"];
  stability?: MeasureProcessMeta["stability"];
  competition?: MeasureProcessMeta["competition"];
}

/** What an executor learnt about one finished measurement process, besides its rows. */
export interface MeasurementOutcome {
  /** CSV rows (no header) the process wrote. */
  rowsCsv: string;
  /** The process's own metadata. */
  processMeta: MeasureProcessMeta;
  preparation?: PreparationMeta;
  host: HostInfo;
  startedAt: string;
  /** The graph or SavedModel the process loaded, and its hash. */
  graph: string;
  graphSha256?: string;
  /** Executor-specific facts about the release (area, config, note). */
  cmssw: Record<string, unknown>;
}

/** The record of a finished measurement. */
export function measurementRecord(t: MeasurementTarget, out: MeasurementOutcome): MeasurementRecord {
  const { model, run, batchSize } = t;
  const { processMeta } = out;
  return {
    mlprof: { revision: projectRevision() },
    model: {
      file: model.spec.yamlPath,
      graph: out.graph,
      graphSha256: out.graphSha256,
      name: model.fullName,
      label: model.label,
      engine: model.spec.engine,
    },
    measurement: {
      batchSize,
      nEvents: run.nEvents,
      nCalls: run.nCalls,
      nWarmup: run.nWarmup,
      warmupSeconds: run.warmupSeconds,
      minDurationSeconds: run.minDurationSeconds,
      interOpThreads: run.interOpThreads,
      cpuAffinity: run.cpuAffinity || "none",
      warmupPolicy:
        "per event, on that event's inputs: n-warmup untimed calls, continued until warmup-duration has passed",
      inputData: run.inputData,
      inputSeed: INPUT_SEED,
      unit: "ms",
      csvColumns: RUNTIME_CSV_COLUMNS,
    },
    cmssw: { version: t.cmsswVersion, scramArch: t.scramArch, executor: run.executor, ...out.cmssw },
    host: out.host,
    process: out.preparation ? { ...processMeta, preparation: out.preparation } : processMeta,
    startedAt: out.startedAt,
    finishedAt: new Date().toISOString(),
    provenance: measurementProvenance(model.spec, t),
  };
}

/**
 * Writes the result pair of a measurement: the metadata JSON, then the CSV (the original's
 * `batch_size,runtime_ms` rows, nothing else). The pair is complete only once the CSV is in place; a
 * failed CSV write takes its metadata with it.
 */
export function writeMeasurement(t: MeasurementTarget, out: MeasurementOutcome): void {
  const record = measurementRecord(t, out);
  rmSync(t.csvPath, { force: true });
  writeJsonAtomic(t.metaPath, record);
  try {
    writeFileAtomic(t.csvPath, csvDataLines(out.rowsCsv).join(""));
  } catch (err) {
    rmSync(t.metaPath, { force: true });
    throw err;
  }
}

/** Reads a JSON file, with a clear error naming it when it cannot be read or parsed (util/json.ts). */
export { readJsonFile };

/**
 * Reads a measurement's metadata JSON (runtime_bs_<N>.json, or a repeat's) and checks it against its schema
 * (record/schemas.ts); an unreadable, malformed or wrong file is one error naming it and the field.
 */
export function readMeasurementRecord(path: string): MeasurementRecord {
  return readRecord<MeasurementRecord>("measurement metadata", path);
}

/** Reads a measurement process's own metadata file (process.json), checked against its schema. */
export function readProcessMeta(path: string): MeasureProcessMeta {
  return readRecord<MeasureProcessMeta>("measurement process metadata", path);
}

/** A measurement record as read from any MLProf version: every part may be missing. */
export type PartialRecord = {
  [K in keyof MeasurementRecord]?: NonNullable<MeasurementRecord[K]> extends unknown[]
    ? MeasurementRecord[K]
    : Partial<MeasurementRecord[K]>;
};

/** The JSON MergeRuntimes writes beside its CSV (runtimes_bs_<...>.json). */
export interface MergedRecord {
  batchSizes: number[];
  statistics: Record<string, unknown>;
  warnings: string[];
  /** The columns of the merged CSV (it has no header line): "batch_size,runtime_ms". */
  csvColumns?: string;
  measurements: {
    batchSize: number;
    csv: string;
    /** The point's validity verdict (stats/validity.ts; null: unknown); absent in older records. */
    valid?: boolean | null;
    reasons?: string[];
    /** The statistics of every call pooled (report/summaries.ts summaryRecord). */
    pooledCalls: unknown;
    /** The process medians and their geometric mean. */
    acrossProcesses?: unknown;
    metadata: MeasurementRecord;
  }[];
}

/** Reads a MergeRuntimes JSON, checked against its schema; a wrong file is one error naming it and the field. */
export function readMergedRecord(path: string): MergedRecord {
  return readRecord<MergedRecord>("merged measurement metadata", path);
}

/**
 * What reports say of a measurement from the facts its engine's preparation recorded (Engine.preparation),
 * checked against that engine's schema; undefined when the record has none, or its engine (when MLProf
 * knows it) declares none.
 * Facts that do not fit are one error naming `where` and the field.
 */
export function preparationSummary(
  record: PartialRecord | undefined,
  where: string,
): PreparationSummary | undefined {
  const facts = record?.process?.preparation;
  const name = record?.model?.engine;
  if (!facts || !name) return undefined;
  const declared = findEngine(name)?.preparation;
  if (!declared) return undefined;
  const typed = parseDeclared(declared.schema, where, ["process", "preparation"], facts);
  return declared.summary?.(typed) ?? {};
}
