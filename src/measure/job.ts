import { join } from "node:path";
import type { InputSpec } from "../model/spec.js";
import type { CompetitionRecord } from "./competition.js";
import type { RunSettings } from "./run.js";

/** Kinds of generated input data (the spec's --input-data values). */
export const INPUT_KINDS = ["random", "incremental", "zeros", "ones"] as const;
export type InputKind = (typeof INPUT_KINDS)[number];

/** Everything a measurement process needs; written as JSON and handed to the engine's measurement process. */
export interface MeasureJob {
  engine: string;
  /** Model graph/file the engine loads. */
  modelPath: string;
  modelLabel: string;
  inputs: InputSpec[];
  outputs: string[];
  batchSize: number;
  nEvents: number;
  nCalls: number;
  nWarmup: number;
  /** Warm-up also lasts at least this long (ms) per event; 0: by count only. */
  warmupMs: number;
  /** Timed calls go on beyond nCalls until an event's timed loop has lasted this long (ms); 0: by count only. */
  minDurationMs: number;
  /**
   * Measure windows of nCalls calls until the medians of the last three agree within `stability` (a
   * fraction) or `maxDurationMs` has passed; the last three windows are the timed calls of the event.
   */
  untilStable?: boolean;
  stability?: number;
  maxDurationMs?: number;
  inputData: InputKind;
  /** Seed of the random inputs: input i of event e uses seed + 1000 e + i (model files have < 1000 inputs). */
  seed: number;
  /** Intra-op threads of the engine. */
  threads: number;
  /** Inter-op threads where the engine has them. */
  interOpThreads: number;
  /** Where the process writes its results. */
  csvPath: string;
  metaPath: string;
  errorPath: string;
  /**
   * When set, after timing the process runs one more call and writes the last event's inputs and that
   * call's outputs here as JSON ({inputs|outputs: {name: {shape, data}}}), to check engines against references.
   */
  dumpPath?: string;
}

/** A tensor as written to a dump file. */
export interface DumpedTensor {
  shape: number[];
  data: (number | boolean)[];
}

/** What the measurement process reports about itself, merged into the metadata JSON by the parent. */
export interface MeasureProcessMeta {
  engine: { name: string; version: string; binding?: string; [key: string]: unknown };
  threads: { intraOp: number; interOp: number };
  clock: string;
  /** firstCallMs: the first inference call after loading, timed on its own (cold start). */
  timings: { loadMs: number; firstCallMs?: number; warmupMs: number; measureMs: number };
  /** With --until-stable: the windows of every event and whether their medians agreed. */
  stability?: {
    windowCalls: number;
    threshold: number;
    maxDurationMs: number;
    events: StabilityEvent[];
  };
  /** What competed for the CPU during the timed calls (absent where /proc is missing, and in older records). */
  competition?: CompetitionRecord;
  memory: {
    rssBeforeLoadKb: number;
    rssAfterLoadKb: number;
    rssAfterWarmupKb: number;
    rssAfterTimingKb: number;
    peakRssKb: number;
  };
  rows: number;
  pid: number;
  /** What the engine driver prepared before the process ran (see PreparationMeta). */
  preparation?: PreparationMeta;
}

/** The windows of one event measured until stable. */
export interface StabilityEvent {
  windowMediansMs: number[];
  stable: boolean;
  /** Calls of the windows before the last three (treated as warm-up). */
  discardedCalls: number;
}

/** A release's engine measured locally (--engine-versions release). */
export interface EngineEmulation {
  release: string;
  /** The series of the release table that matched. */
  series: string;
  engine: string;
  /** The version the release ships, and the one measured (they differ when it is not published). */
  shipped: string;
  measured: string;
  /** Build settings applied to come close to CMSSW's build (e.g. oneDNN off). */
  settings: string[];
  /** Whether the table row was read from cmsdist (true) or inferred (false). */
  verified: boolean;
}

/**
 * What every engine driver's preparation may record (compilations, caches, emulated engine versions), with
 * the process metadata; an engine's own facts beside these are typed and checked by its folder
 * (Engine.preparation).
 */
export interface PreparationMeta {
  /** Wall time of the model compilation in ms (when cached: of the compilation that filled the cache). */
  compileMs?: number;
  /** Whether the compilation came from the cache. */
  cached?: boolean;
  /** With --engine-versions release: the release whose engines were measured, and how faithfully. */
  engines?: EngineEmulation;
}

/** What a measurement job is made of: the model as the engine loads it, the batch size, the settings. */
export interface JobParts {
  engine: string;
  modelPath: string;
  modelLabel: string;
  inputs: InputSpec[];
  outputs: string[];
  batchSize: number;
  run: RunSettings;
  seed: number;
  /** The folder the process writes runtime.csv, process.json and error.json into (and dump.json with `dump`). */
  dir: string;
  dump?: boolean;
  /** The engine's own fields of the job (Engine.params.job: its options, for its prepare and process). */
  engineFields?: object;
}

/** The job file of a measurement process (the one place jobs are made, for the executors and the tests). */
export function measureJob(p: JobParts): MeasureJob {
  const { run } = p;
  return {
    engine: p.engine,
    modelPath: p.modelPath,
    modelLabel: p.modelLabel,
    inputs: p.inputs,
    outputs: p.outputs,
    batchSize: p.batchSize,
    nEvents: run.nEvents,
    nCalls: run.nCalls,
    nWarmup: run.nWarmup,
    warmupMs: run.warmupSeconds * 1000,
    minDurationMs: run.minDurationSeconds * 1000,
    ...(run.untilStable
      ? { untilStable: true, stability: run.stability, maxDurationMs: run.maxDurationSeconds * 1000 }
      : {}),
    inputData: run.inputData as InputKind,
    seed: p.seed,
    threads: run.threads,
    interOpThreads: run.interOpThreads,
    csvPath: join(p.dir, "runtime.csv"),
    metaPath: join(p.dir, "process.json"),
    errorPath: join(p.dir, "error.json"),
    ...(p.dump ? { dumpPath: join(p.dir, "dump.json") } : {}),
    ...p.engineFields,
  };
}
