import { readFileSync, rmSync } from "node:fs";
import type { HostInfo } from "../measure/host.js";
import { csvMetaLines, readRuntimeCsv } from "../measure/csv.js";
import type { MeasureProcessMeta, PreparationMeta } from "../measure/job.js";
import { projectRevision } from "../paths.js";
import { MlprofError } from "../util/errors.js";
import { writeFileAtomic, writeJsonAtomic } from "../util/fs.js";
import type { MeasurementRequest } from "./local.js";

/** Seed of the random inputs (event e of input i uses seed + 1000 e + i); recorded in the metadata. */
export const INPUT_SEED = 12345;

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

/** Checks the rows of a measurement: n_events x n_calls of the batch size (at least that with --min-duration). */
export function checkRows(req: MeasurementRequest, csvPath: string, writer: string): void {
  const { run, batchSize } = req;
  const rows = readRuntimeCsv(csvPath).rows;
  const expected = run.nEvents * run.nCalls;
  const tooFew = run.minDurationSeconds > 0 ? rows.length < expected : rows.length !== expected;
  if (tooFew || rows.some((r) => r.batchSize !== batchSize)) {
    throw new MlprofError(
      `${writer} wrote ${rows.length} rows, expected ${expected} at batch size ${batchSize}`,
    );
  }
}

/**
 * Writes the result pair of a measurement: the metadata JSON, then the CSV (metadata lines and rows). The
 * pair is complete only once the CSV is in place; a failed CSV write takes its metadata with it.
 */
export function writeMeasurement(req: MeasurementRequest, out: MeasurementOutcome): void {
  const { model, run, batchSize } = req;
  const spec = model.spec;
  const { processMeta, host } = out;
  const metadata = {
    mlprof: { revision: projectRevision() },
    model: {
      file: spec.yamlPath,
      graph: out.graph,
      graphSha256: out.graphSha256,
      name: model.fullName,
      label: model.label,
      engine: spec.engine,
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
    },
    cmssw: { version: req.cmsswVersion, scramArch: req.scramArch, executor: run.executor, ...out.cmssw },
    host,
    process: out.preparation ? { ...processMeta, preparation: out.preparation } : processMeta,
    startedAt: out.startedAt,
    finishedAt: new Date().toISOString(),
  };
  const header = csvMetaLines({
    mlprof_revision: projectRevision(),
    engine: `${processMeta.engine.name} ${processMeta.engine.version}`,
    threads: `intra-op ${processMeta.threads.intraOp}, inter-op ${processMeta.threads.interOp}`,
    cpu: host.cpuModel,
    host: host.hostname,
    batch_size: batchSize,
    n_events: run.nEvents,
    n_calls: run.nCalls,
    n_warmup: run.nWarmup,
    input_data: run.inputData,
    input_seed: INPUT_SEED,
    warmup_duration_s: run.warmupSeconds,
    min_duration_s: run.minDurationSeconds,
    cpu_affinity: run.cpuAffinity || "none",
    graph_sha256: out.graphSha256 ?? "unknown",
    model: model.fullName,
    cmssw_version: req.cmsswVersion,
    scram_arch: req.scramArch,
    executor: run.executor,
    columns: "batch_size,runtime_ms",
  });
  rmSync(req.csvPath, { force: true });
  writeJsonAtomic(req.metaPath, metadata);
  try {
    writeFileAtomic(req.csvPath, header + out.rowsCsv);
  } catch (err) {
    rmSync(req.metaPath, { force: true });
    throw err;
  }
}

/** Reads a measurement process's metadata file. */
export function readProcessMeta(path: string): MeasureProcessMeta {
  return JSON.parse(readFileSync(path, "utf8")) as MeasureProcessMeta;
}
