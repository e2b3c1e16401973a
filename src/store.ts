import { join } from "node:path";
import { storeRoot } from "./paths.js";
import { shortHash } from "./util/hash.js";

/** Longest path component written as is; longer ones are shortened with a hash. */
const MAX_PART = 180;

/** Shortens a path component that is too long for a file system, keeping it unique with a hash. */
export function safePart(part: string): string {
  const clean = part.replace(/[/\\\0]/g, "_");
  if (clean.length <= MAX_PART) return clean;
  return `${clean.slice(0, MAX_PART - 12)}__${shortHash(clean, 10)}`;
}

/** The parameters that shape a measurement and therefore its output path. */
export interface RunParts {
  inputData: string;
  nEvents: number;
  nCalls: number;
  nWarmup: number;
  threads: number;
  interOpThreads: number;
  /** Minimum warm-up duration per event, seconds (0: by count only). */
  warmupSeconds: number;
  /** Minimum duration of an event's timed calls, seconds (0: by count only). */
  minDurationSeconds: number;
  /** CPU list the measurement process is pinned to (taskset syntax), "" for none. */
  cpuAffinity: string;
  tfaotBatchRules?: string;
  executor: string;
}

/**
 * The run-parameter component of output paths: the original's input_<kind>__nevents_<n>__ncalls_<n>,
 * then threads, and the other controls, batch rules and executor when they are not the defaults.
 */
export function runParamsPart(p: RunParts): string {
  const input = /^(random|incremental|zeros|ones)$/.test(p.inputData) ? p.inputData : shortHash(p.inputData);
  const parts = [`input_${input}`, `nevents_${p.nEvents}`, `ncalls_${p.nCalls}`, `threads_${p.threads}`];
  if (p.nWarmup !== 10) parts.push(`warmup_${p.nWarmup}`);
  if (p.warmupSeconds > 0) parts.push(`warmupsec_${p.warmupSeconds}`);
  if (p.minDurationSeconds > 0) parts.push(`mindur_${p.minDurationSeconds}`);
  if (p.interOpThreads !== 1) parts.push(`interop_${p.interOpThreads}`);
  if (p.cpuAffinity) parts.push(`cpus_${p.cpuAffinity.replace(/,/g, ".")}`);
  if (p.tfaotBatchRules) parts.push(`rules_${p.tfaotBatchRules.replace(/:/g, "x").replace(/,/g, ".")}`);
  if (p.executor !== "local") parts.push(`exec_${p.executor}`);
  return parts.join("__");
}

/** The CMSSW component of output paths: <release>__<arch> (lists joined with '_'). */
export function cmsswPart(versions: string[], archs: string[]): string {
  return `${versions.join("_")}__${archs.join("_")}`;
}

/**
 * Output directory of a task: <store>/<Task>/<cmssw>__<arch>/<model identifier>__<run parameters>/<version>/,
 * the spec's layout.
 */
export function taskDir(family: string, cmssw: string, modelAndRun: string, version: string): string {
  return join(storeRoot(), family, safePart(cmssw), safePart(modelAndRun), safePart(version));
}
