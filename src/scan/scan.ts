import { existsSync } from "node:fs";
import { basename, dirname, extname, isAbsolute, relative, resolve, sep } from "node:path";
import { MLP_BASE } from "../paths.js";
import {
  flagRecord,
  fromFlagRecord,
  param,
  parseParams,
  significantRecord,
  type Param,
  type Values,
} from "../framework/parameters.js";
import { checkPerModel, refuseLocalReleaseComparison } from "../tasks/mixins/curves.js";
import { runtimeConfig } from "../tasks/mixins/runtime.js";
import {
  BATCH_SIZES,
  MEASUREMENT_PARAMS,
  MULTI_CMSSW_PARAMS,
  MULTI_MODEL_PARAMS,
  VERSION,
  sortedBatchSizes,
} from "../tasks/params.js";
import { MeasureRuntime } from "../tasks/runtime.js";
import { MeasureThroughput } from "../tasks/throughput.js";
import { STREAMS_LIST, THROUGHPUT_SETTINGS, throughputConfig } from "../tasks/throughput-params.js";
import type { ThroughputConfig, ThroughputSettings } from "../throughput/settings.js";
import { MlprofError } from "../util/errors.js";
import { shortHash } from "../util/hash.js";
import { checkName } from "../util/names.js";
import { readScanYaml } from "./scanfile.js";

/**
 * The parameters of a scan: those of PlotMultiRuntimes that shape measurements (brace expansion
 * included), so that the same values plot the collected results. The version and model files may come
 * from a scan file; buildScan says when they are missing.
 */
export const SCAN_PARAMS = {
  version: { ...VERSION, required: false, default: "", check: undefined } as Param<string>,
  modelFiles: { ...MULTI_MODEL_PARAMS.modelFiles, required: false, default: [] } as Param<string[]>,
  modelNames: MULTI_MODEL_PARAMS.modelNames,
  modelLabels: MULTI_MODEL_PARAMS.modelLabels,
  batchSizes: BATCH_SIZES,
  // the executor runs on the worker: local → the standalone payload, cmssw → the cmssw payload
  ...MEASUREMENT_PARAMS,
  ...MULTI_CMSSW_PARAMS,
};

/** The converted parameters of a scan. */
export type ScanValues = Values<typeof SCAN_PARAMS>;

/**
 * The parameters of a throughput scan (one given --streams): those of PlotMultiThroughput that shape
 * measurements, the streams a dimension of the scan besides models, batch sizes, releases and architectures.
 */
export const THROUGHPUT_SCAN_PARAMS = {
  version: SCAN_PARAMS.version,
  modelFiles: SCAN_PARAMS.modelFiles,
  modelNames: SCAN_PARAMS.modelNames,
  modelLabels: SCAN_PARAMS.modelLabels,
  batchSizes: BATCH_SIZES,
  streams: {
    ...STREAMS_LIST,
    defaultText: "none: a latency scan (MeasureRuntime)",
    description:
      "a throughput scan: comma-separated numbers of concurrent streams, a dimension of the scan; each measurement runs MeasureThroughput --streams S in a job that requests and owns S x --threads CPUs; " +
      `the settings it shares with a latency scan take MeasureThroughput's defaults (${throughputDefaults()})`,
  } as Param<number[]>,
  ...THROUGHPUT_SETTINGS,
  ...MULTI_CMSSW_PARAMS,
};

/** The defaults of MeasureThroughput's settings that differ from a latency scan's, as help texts say them. */
function throughputDefaults(): string {
  const latency = new Map(Object.values(MEASUREMENT_PARAMS).map((p) => [p.flag, p.default]));
  return Object.values(THROUGHPUT_SETTINGS)
    .filter((p) => latency.has(p.flag) && JSON.stringify(latency.get(p.flag)) !== JSON.stringify(p.default))
    .map((p) => `--${p.flag} ${String(p.default)}`)
    .join(", ");
}

/** The converted parameters of a throughput scan. */
export type ThroughputScanValues = Values<typeof THROUGHPUT_SCAN_PARAMS>;

/** The flags of a throughput scan that a latency scan does not take (min-calls, oversubscribe, streams). */
function throughputOnlyParams(): Param<unknown>[] {
  const latency = new Set(Object.values(SCAN_PARAMS).map((p) => p.flag));
  return (Object.values(THROUGHPUT_SCAN_PARAMS) as Param<unknown>[]).filter((p) => !latency.has(p.flag));
}

/**
 * Every scan parameter a command declares: the latency scan's, then those only a throughput scan takes
 * (each marked as such in its help).
 */
export function scanFlagParams(): Param<unknown>[] {
  return [
    ...(Object.values(SCAN_PARAMS) as Param<unknown>[]),
    ...throughputOnlyParams().map((p) =>
      p.flag === "streams"
        ? p
        : { ...p, description: `${p.description} (a throughput scan, with --streams)` },
    ),
  ];
}

/** A scan's identity parameters. */
export const SCAN_ID_PARAMS = {
  scan: param.string({
    flag: "scan",
    default: "",
    description:
      "a scan yaml file: the parameters of PlotMultiRuntimes and, optionally, submit options; flags override it",
  }),
  scanName: param.string({
    flag: "scan-name",
    default: "",
    defaultText: "the yaml's file name, else a hash of the parameters",
    description: "name of the scan (its folder <store>/Scans/<name>/<version>)",
  }),
};

/**
 * One model of a scan: its yaml, the name in output paths, the name the user gave (or ""), an explicit
 * plot label (or ""), the path workers use.
 */
export interface ScanModel {
  file: string;
  name: string;
  /** --model-names entry; "" when the name derives from the file, as `mlprof run` derives it. */
  givenName: string;
  label: string;
  workerFile: string;
}

/**
 * One measurement: a model at a batch size in a release on an architecture; in a throughput scan, with S
 * streams.
 */
export interface Measurement {
  index: number;
  model: number;
  batchSize: number;
  release: number;
  arch: number;
  /** The streams of a throughput measurement (undefined in a latency scan). */
  streams?: number;
}

/**
 * A scan expanded into its measurements: a latency scan (MeasureRuntime per measurement, the parameters of
 * PlotMultiRuntimes) or a throughput scan (MeasureThroughput per measurement and number of streams, the
 * parameters of PlotMultiThroughput).
 */
export type Scan = ScanCommon &
  (
    | {
        kind: "latency";
        /** The converted scan parameters, as PlotMultiRuntimes takes them. */ values: ScanValues;
      }
    | {
        kind: "throughput";
        /** The converted scan parameters, as PlotMultiThroughput takes them. */
        values: ThroughputScanValues;
      }
  );

/** A latency scan (MeasureRuntime per measurement). */
export type LatencyScan = Extract<Scan, { kind: "latency" }>;

/** What every scan has. */
export interface ScanCommon {
  name: string;
  version: string;
  models: ScanModel[];
  releases: string[];
  archs: string[];
  batchSizes: number[];
  /** The streams of a throughput scan, sorted ([] for a latency scan). */
  streams: number[];
  measurements: Measurement[];
  /** A hash of everything that shapes the measurements: a scan folder holds one parameter set only. */
  hash: string;
}

/**
 * Raw option values read from a scan yaml, keyed by dashed names: strings exactly as written in the file,
 * as the command line gives them (see scanfile.ts).
 */
export function loadScanFile(path: string): Record<string, unknown> {
  const file = resolve(path);
  // every value as written in the file (no YAML number typing), errors naming the file
  const data = readScanYaml(file);
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) {
    const name = key.replace(/_/g, "-");
    if (name === "batch-extra" && Array.isArray(value)) raw[name] = value;
    else raw[name] = Array.isArray(value) ? value.join(",") : value;
  }
  if (raw["model-files"] !== undefined) {
    // model files in a scan file are relative to the scan file first
    raw["model-files"] = String(raw["model-files"])
      .split(",")
      .map((f) => {
        const t = f.trim();
        const near = resolve(dirname(file), t);
        return !isAbsolute(t) && !t.includes("$") && !t.includes("{") && existsSync(near) ? near : t;
      })
      .join(",");
  }
  raw["scan-name"] ??= basename(file, extname(file));
  return raw;
}

/** Checks that a yaml holds only known keys. */
export function checkKnownKeys(
  raw: Record<string, unknown>,
  known: readonly Param<unknown>[],
  source: string,
): void {
  const names = new Set(known.map((p) => p.flag));
  const unknown = Object.keys(raw).filter((k) => !names.has(k));
  if (unknown.length > 0) {
    throw new MlprofError(
      `${source}: unknown parameter${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}`,
      `known: ${[...names].join(", ")}`,
    );
  }
}

/** The path a worker uses for a model file: $MLP_BASE/... inside the MLProf folder (expanded on the worker), else as is. */
export function workerModelPath(file: string): string {
  const rel = relative(MLP_BASE, file);
  return rel && !rel.startsWith("..") && !isAbsolute(rel) ? `$MLP_BASE/${rel.split(sep).join("/")}` : file;
}

/** The parameters of a scan of either kind, converted. */
export type ScanInput =
  { kind: "latency"; values: ScanValues } | { kind: "throughput"; values: ThroughputScanValues };

/** The model a throughput measurement of a scan measures (the name as `mlprof run` derives it unless given). */
function throughputModelConfig(
  v: ThroughputScanValues,
  file: string,
  name: string,
  label: string,
  release: string,
  arch: string,
): ThroughputConfig {
  return throughputConfig({
    ...v,
    modelFile: file,
    modelName: name,
    modelLabel: label,
    cmsswVersion: release,
    scramArch: arch,
  });
}

/**
 * Builds a scan from converted parameters; checks what PlotMultiRuntimes (PlotMultiThroughput for a
 * throughput scan) will check later.
 */
export function buildScan(input: ScanInput, scanName: string): Scan {
  const v = input.values;
  const version = v.version;
  const files = v.modelFiles;
  if (!version) throw new MlprofError("--version is required (the version of the outputs, e.g. v1)");
  checkName("--version", version);
  if (files.length === 0)
    throw new MlprofError("--model-files is required: the models to scan (brace expansion allowed)");
  const names = v.modelNames;
  const labels = v.modelLabels;
  checkPerModel(files, { "model-names": names, "model-labels": labels }, false);
  const releases = v.cmsswVersions;
  const archs = v.scramArchs;
  refuseLocalReleaseComparison(
    v.executor,
    input.kind === "latency" ? input.values.engineVersions : "",
    [...releases, ...archs],
    releases.length > 1 || archs.length > 1,
    "scan",
  );
  const batchSizes = sortedBatchSizes(v.batchSizes);
  const streams = input.kind === "throughput" ? sortedBatchSizes(input.values.streams) : [];
  if (input.kind === "throughput" && streams.length === 0)
    throw new MlprofError("--streams: expected the numbers of streams of a throughput scan, e.g. 1,2,4,8");
  const models = files.map((f, i) => {
    const model =
      input.kind === "latency"
        ? runtimeConfig({
            ...input.values,
            modelFile: f,
            modelName: names[i] ?? "",
            modelLabel: labels[i] ?? "",
            cmsswVersion: releases[0]!,
            scramArch: archs[0]!,
          }).model
        : throughputModelConfig(input.values, f, names[i] ?? "", labels[i] ?? "", releases[0]!, archs[0]!)
            .model;
    if (!existsSync(model.file)) throw new MlprofError(`model file ${model.file} does not exist`);
    return {
      file: model.file,
      name: model.fullName,
      givenName: names[i] ?? "",
      label: labels[i] ?? "",
      workerFile: workerModelPath(model.file),
    };
  });
  const measurements: Measurement[] = [];
  const perPoint = streams.length > 0 ? streams : [undefined];
  models.forEach((_, model) =>
    releases.forEach((__, release) =>
      archs.forEach((___, arch) =>
        batchSizes.forEach((batchSize) =>
          perPoint.forEach((s) =>
            measurements.push({
              index: measurements.length,
              model,
              batchSize,
              release,
              arch,
              ...(s === undefined ? {} : { streams: s }),
            }),
          ),
        ),
      ),
    ),
  );
  const named = [version, models.map((m) => m.name), batchSizes, releases, archs];
  const name =
    scanName || `scan_${shortHash(JSON.stringify(streams.length ? [...named, streams] : named), 8)}`;
  checkName("--scan-name", name);
  // the hash covers what shapes the measurements: the significant parameters, model files resolved
  const shaping = {
    ...(input.kind === "latency"
      ? significantRecord(SCAN_PARAMS, input.values)
      : significantRecord(THROUGHPUT_SCAN_PARAMS, input.values)),
    "model-files": models.map((m) => m.file),
    "model-names": models.map((m) => m.name),
  };
  return {
    ...input,
    name,
    version,
    models,
    releases,
    archs,
    batchSizes,
    streams,
    measurements,
    hash: shortHash(JSON.stringify(shaping), 16),
  };
}

/** The flags of a latency scan that a throughput scan does not take (n-events, n-calls, ...). */
function latencyOnlyFlags(): string[] {
  const throughput = new Set(Object.values(THROUGHPUT_SCAN_PARAMS).map((p) => p.flag));
  return Object.values(SCAN_PARAMS)
    .map((p) => p.flag)
    .filter((f) => !throughput.has(f));
}

/**
 * Converts raw scan options (yaml values overridden by flags) and builds the scan: a throughput scan when
 * --streams is given, else a latency scan. A setting of the other kind is refused, named.
 */
export function scanFromRaw(raw: Record<string, unknown>): Scan {
  const name = String(raw["scan-name"] ?? "");
  if (raw["streams"] === undefined) {
    const stray = throughputOnlyParams().filter((p) => raw[p.flag] !== undefined);
    if (stray.length > 0) {
      throw new MlprofError(
        `${stray.map((p) => `--${p.flag}`).join(", ")}: ${stray.length > 1 ? "settings" : "a setting"} of a throughput scan, which --streams makes`,
        "add --streams (e.g. 1,2,4,8) for a throughput scan, or leave them out for a latency scan",
      );
    }
    return buildScan({ kind: "latency", values: parseParams(SCAN_PARAMS, raw) }, name);
  }
  const stray = latencyOnlyFlags().filter((f) => raw[f] !== undefined);
  if (stray.length > 0) {
    throw new MlprofError(
      `${stray.map((f) => `--${f}`).join(", ")}: ${stray.length > 1 ? "settings" : "a setting"} of a latency scan; a throughput scan (--streams) measures a window of --min-duration seconds and --min-calls calls`,
      "leave them out, or drop --streams for a latency scan",
    );
  }
  if (raw["executor"] !== undefined && String(raw["executor"]) !== "local") {
    throw new MlprofError(
      `--executor ${String(raw["executor"])}: a throughput scan (--streams) runs the standalone payload (--executor local); the CMSSW plugins measure one stream`,
      "leave --executor out, or drop --streams for a latency scan in CMSSW",
    );
  }
  return buildScan({ kind: "throughput", values: parseParams(THROUGHPUT_SCAN_PARAMS, raw) }, name);
}

/** The scan of a manifest's stored parameters (keyed by flag, as written at submission). */
export function scanFromStored(stored: Record<string, unknown>, scanName: string): Scan {
  return "streams" in stored
    ? buildScan({ kind: "throughput", values: fromFlagRecord(THROUGHPUT_SCAN_PARAMS, stored) }, scanName)
    : buildScan({ kind: "latency", values: fromFlagRecord(SCAN_PARAMS, stored) }, scanName);
}

/** The parameters of a scan keyed by flag, as a manifest stores them (a throughput scan's with its streams). */
export function scanFlagRecord(scan: Scan): Record<string, unknown> {
  return scan.kind === "latency"
    ? flagRecord(SCAN_PARAMS, scan.values)
    : flagRecord(THROUGHPUT_SCAN_PARAMS, scan.values);
}

/**
 * The measurement flags of a scan as `mlprof run MeasureRuntime` takes them (every measurement parameter
 * but the executor; with `all` false only those that differ from the default).
 */
export function measurementFlags(v: ScanValues, all = true): string[] {
  return settingFlags(MEASUREMENT_PARAMS, v, all);
}

/** The flags of a set's parameters but the executor from values (with `all` false: those not at default). */
function settingFlags(set: Record<string, Param<unknown>>, v: object, all: boolean): string[] {
  const flags: string[] = [];
  for (const [key, def] of Object.entries(set)) {
    const value = (v as Record<string, unknown>)[key];
    if (def.flag === "executor" || value === undefined || value === "") continue;
    if (!all && JSON.stringify(value) === JSON.stringify(def.default)) continue;
    flags.push(`--${def.flag}`, Array.isArray(value) ? value.join(",") : String(value));
  }
  return flags;
}

/**
 * The measurement flags of a scan as its task takes them: MeasureRuntime's for a latency scan,
 * MeasureThroughput's settings (but --streams, which each measurement sets) for a throughput scan.
 */
export function scanMeasurementFlags(scan: Scan, all = true): string[] {
  return scan.kind === "latency"
    ? measurementFlags(scan.values, all)
    : settingFlags(THROUGHPUT_SETTINGS, scan.values, all);
}

/** The settings of a throughput scan's measurements, as MeasureThroughput takes them. */
export function throughputSettingsOf(v: ThroughputScanValues): ThroughputSettings {
  return Object.fromEntries(
    Object.keys(THROUGHPUT_SETTINGS).map((k) => [k, (v as Record<string, unknown>)[k]]),
  ) as unknown as ThroughputSettings;
}

/** The task each measurement of a scan runs on the workers. */
export function scanTaskName(scan: Scan): "MeasureRuntime" | "MeasureThroughput" {
  return scan.kind === "latency" ? "MeasureRuntime" : "MeasureThroughput";
}

/**
 * The CPUs a measurement runs on: a throughput measurement's S streams × --threads; undefined for a
 * latency measurement (its job's --request-cpus, by default --threads).
 */
export function measurementCpus(scan: Scan, m: Measurement): number | undefined {
  return scan.kind === "throughput" ? m.streams! * scan.values.threads : undefined;
}

/**
 * The task of a measurement (MeasureRuntime, or MeasureThroughput with its streams): its outputs are where
 * `mlprof collect` puts the results.
 */
export function measurementTask(scan: Scan, m: Measurement): MeasureRuntime | MeasureThroughput {
  const model = scan.models[m.model]!;
  const release = scan.releases[m.release]!;
  const arch = scan.archs[m.arch]!;
  if (scan.kind === "throughput") {
    const cfg = throughputModelConfig(scan.values, model.file, model.givenName, model.label, release, arch);
    return new MeasureThroughput(cfg, m.batchSize, m.streams!);
  }
  // the name as `mlprof run` derives it unless the user gave one (a derived name is no --model-name)
  const cfg = runtimeConfig({
    ...scan.values,
    modelFile: model.file,
    modelName: model.givenName,
    modelLabel: model.label,
    cmsswVersion: release,
    scramArch: arch,
  });
  return new MeasureRuntime(cfg, m.batchSize);
}
