import { existsSync } from "node:fs";
import { basename, dirname, extname, isAbsolute, relative, resolve, sep } from "node:path";
import { MLP_BASE } from "../paths.js";
import {
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

/** One measurement: a model at a batch size in a release on an architecture. */
export interface Measurement {
  index: number;
  model: number;
  batchSize: number;
  release: number;
  arch: number;
}

/** A scan expanded into its measurements. */
export interface Scan {
  name: string;
  version: string;
  /** The converted scan parameters, as PlotMultiRuntimes takes them. */
  values: ScanValues;
  models: ScanModel[];
  releases: string[];
  archs: string[];
  batchSizes: number[];
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

/** Builds a scan from converted parameters; checks what PlotMultiRuntimes will check later. */
export function buildScan(v: ScanValues, scanName: string): Scan {
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
    v.engineVersions,
    [...releases, ...archs],
    releases.length > 1 || archs.length > 1,
    "scan",
  );
  const batchSizes = sortedBatchSizes(v.batchSizes);
  const models = files.map((f, i) => {
    const cfg = runtimeConfig({
      ...v,
      modelFile: f,
      modelName: names[i] ?? "",
      modelLabel: labels[i] ?? "",
      cmsswVersion: releases[0]!,
      scramArch: archs[0]!,
    });
    if (!existsSync(cfg.model.file)) throw new MlprofError(`model file ${cfg.model.file} does not exist`);
    return {
      file: cfg.model.file,
      name: cfg.model.fullName,
      givenName: names[i] ?? "",
      label: labels[i] ?? "",
      workerFile: workerModelPath(cfg.model.file),
    };
  });
  const measurements: Measurement[] = [];
  models.forEach((_, model) =>
    releases.forEach((__, release) =>
      archs.forEach((___, arch) =>
        batchSizes.forEach((batchSize) =>
          measurements.push({ index: measurements.length, model, batchSize, release, arch }),
        ),
      ),
    ),
  );
  const name =
    scanName ||
    `scan_${shortHash(JSON.stringify([version, models.map((m) => m.name), batchSizes, releases, archs]), 8)}`;
  checkName("--scan-name", name);
  // the hash covers what shapes the measurements: the significant parameters, model files resolved
  const shaping = {
    ...significantRecord(SCAN_PARAMS, v),
    "model-files": models.map((m) => m.file),
    "model-names": models.map((m) => m.name),
  };
  return {
    name,
    version,
    values: v,
    models,
    releases,
    archs,
    batchSizes,
    measurements,
    hash: shortHash(JSON.stringify(shaping), 16),
  };
}

/** Converts raw scan options (yaml values overridden by flags) and builds the scan. */
export function scanFromRaw(raw: Record<string, unknown>): Scan {
  return buildScan(parseParams(SCAN_PARAMS, raw), String(raw["scan-name"] ?? ""));
}

/** The scan of a manifest's stored parameters (keyed by flag, as written at submission). */
export function scanFromStored(stored: Record<string, unknown>, scanName: string): Scan {
  return buildScan(fromFlagRecord(SCAN_PARAMS, stored), scanName);
}

/**
 * The measurement flags of a scan as `mlprof run MeasureRuntime` takes them (every measurement parameter
 * but the executor; with `all` false only those that differ from the default).
 */
export function measurementFlags(v: ScanValues, all = true): string[] {
  const flags: string[] = [];
  for (const [key, def] of Object.entries(MEASUREMENT_PARAMS) as [string, Param<unknown>][]) {
    const value = (v as Record<string, unknown>)[key];
    if (def.flag === "executor" || value === undefined || value === "") continue;
    if (!all && JSON.stringify(value) === JSON.stringify(def.default)) continue;
    flags.push(`--${def.flag}`, Array.isArray(value) ? value.join(",") : String(value));
  }
  return flags;
}

/** The MeasureRuntime task of a measurement: its outputs are where `mlprof collect` puts the results. */
export function measurementTask(scan: Scan, m: Measurement): MeasureRuntime {
  const model = scan.models[m.model]!;
  // the name as `mlprof run` derives it unless the user gave one (a derived name is no --model-name)
  const cfg = runtimeConfig({
    ...scan.values,
    modelFile: model.file,
    modelName: model.givenName,
    modelLabel: model.label,
    cmsswVersion: scan.releases[m.release]!,
    scramArch: scan.archs[m.arch]!,
  });
  return new MeasureRuntime(cfg, m.batchSize);
}
