/**
 * The settings of a throughput measurement and the checks that need no task: the CPUs a point may use,
 * the default streams, oversubscription, and the fingerprint of what is measured.
 */
import type { Model } from "../engines/model.js";
import { canonicalJson, modelContent, type MeasurementProvenance } from "../engines/provenance.js";
import { cpuList, cpusHere } from "../util/cpus.js";
import { MlprofError } from "../util/errors.js";
import { shortHash } from "../util/hash.js";

/** The settings of a throughput measurement (tasks/throughput-params.ts declares their flags). */
export interface ThroughputSettings {
  inputData: string;
  /** Intra-op threads of each stream. */
  threads: number;
  warmupSeconds: number;
  nWarmup: number;
  minDurationSeconds: number;
  minCalls: number;
  maxDurationSeconds: number;
  oversubscribe: boolean;
  cpuAffinity: string;
  /** tfaot models: --tfaot-batch-rules ("" for CMSSW's default rule; always "" for other engines). */
  tfaotBatchRules: string;
  repeats: number;
  executor: string;
}

/** A throughput configuration: the model, its settings, the release it stands for. */
export interface ThroughputConfig {
  version: string;
  model: Model;
  settings: ThroughputSettings;
  cmsswVersion: string;
  scramArch: string;
}

/** The CPUs a throughput process may use: those of --cpu-affinity, else those this process may run on. */
export function cpusAvailable(settings: ThroughputSettings): number {
  return settings.cpuAffinity ? cpuList(settings.cpuAffinity).length : cpusHere().length;
}

/** The default streams of MergeThroughput: 1, 2, 4, … while streams × threads fit the CPUs available. */
export function defaultStreams(settings: ThroughputSettings): number[] {
  const most = Math.max(1, Math.floor(cpusAvailable(settings) / settings.threads));
  const out: number[] = [];
  for (let s = 1; s <= most; s *= 2) out.push(s);
  return out;
}

/**
 * Refuses a point whose streams × threads exceed the CPUs available, unless --oversubscribe; returns
 * whether it is oversubscribed.
 */
export function checkSubscription(settings: ThroughputSettings, streams: number): boolean {
  const need = streams * settings.threads;
  const have = cpusAvailable(settings);
  if (need <= have) return false;
  if (settings.oversubscribe) return true;
  throw new MlprofError(
    `--streams ${streams} x --threads ${settings.threads} needs ${need} CPUs, ` +
      `${settings.cpuAffinity ? `--cpu-affinity ${settings.cpuAffinity} gives` : "this machine gives this process"} ${have}: ` +
      "the streams would compete for CPUs and the throughput would measure the scheduler",
    `measure at most ${Math.max(1, Math.floor(have / settings.threads))} streams of ${settings.threads} threads, ` +
      "or add --oversubscribe to measure it anyway (marked oversubscribed)",
  );
}

/** The fingerprint of the model content and the significant settings (repeats left out) of a measurement. */
export function throughputProvenance(cfg: ThroughputConfig): MeasurementProvenance {
  const settings = Object.fromEntries(Object.entries(cfg.settings).filter(([k]) => k !== "repeats"));
  return {
    ...modelContent(cfg.model.spec),
    settingsSha256: shortHash(
      canonicalJson({ throughput: settings, cmsswVersion: cfg.cmsswVersion, scramArch: cfg.scramArch }),
      64,
    ),
  };
}
