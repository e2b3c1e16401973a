/**
 * The job and the report of a throughput measurement process: S streams call one model concurrently in
 * one fresh process (src/throughput/ runs it; each engine's process lives in its folder).
 */
import type { CompetitionRecord } from "./competition.js";

/** How the streams of a process hold the model: CMSSW's GlobalCache session, or one instance per stream. */
export type StreamSharing = "shared-session" | "instance-per-stream";

/** Everything a throughput measurement process needs (written as JSON next to its outputs). */
export interface ThroughputJob {
  engine: string;
  modelPath: string;
  batchSize: number;
  outputs: string[];
  /** The input kind and seed: the runner draws the declared inputs of event k for stream k, as the tool draws them. */
  inputData: string;
  seed: number;
  /** Concurrent streams S, and the intra-op threads of each (inter-op threads: 1, sequential execution). */
  streams: number;
  threads: number;
  /** Every stream calls the model for at least this long (ms) and at least nWarmup times before the window. */
  warmupMs: number;
  nWarmup: number;
  /** The timed window lasts at least this long (ms) and until the streams have completed minCalls calls. */
  minDurationMs: number;
  minCalls: number;
  /** The window ends after this long (ms) even with fewer calls: the process then reports what it has. */
  maxDurationMs: number;
  /** Where the process writes: one `stream,start_ns,end_ns` line per timed call, its report, its error. */
  /** tfaot: the batch rules (--tfaot-batch-rules); absent: CMSSW's default rule. */
  batchRules?: string;
  callsPath: string;
  metaPath: string;
  errorPath: string;
}

/** What a throughput measurement process reports about itself (process.json). */
export interface ThroughputProcessMeta {
  engine: { name: string; version: string; binding: string; [key: string]: unknown };
  sharing: StreamSharing;
  streams: number;
  threads: { intraOp: number; interOp: number };
  clock: string;
  /** What lies inside each timed call (the start and end stamps around it). */
  timedCall: string;
  /** Monotonic ns of the window's start and end; the calls file's stamps are relative to its start. */
  window: { startNs: number; endNs: number };
  timings: { loadMs: number; streamsMs: number; warmupMs: number };
  /** Calls of each stream before the window (warm-up), and in it. */
  warmupCalls: number[];
  /** CPU time of the whole process (every thread, user and system) over the window, seconds. */
  cpu: { userSeconds: number; systemSeconds: number };
  /** What competed with each stream thread over its timed calls (null where /proc could not tell). */
  competition?: (CompetitionRecord | null)[];
  memory: {
    rssBeforeLoadKb: number;
    rssAfterLoadKb: number;
    /** After every stream made its first call (outputs bound, instances built). */
    rssAfterStreamsKb: number;
    rssAfterWindowKb: number;
    peakRssKb: number;
  };
  pid: number;
}
