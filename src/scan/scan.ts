import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, extname, isAbsolute, relative, resolve, sep } from "node:path";
import { parseDocument } from "yaml";
import { MLP_BASE } from "../paths.js";
import {
  BATCH_SIZES_PARAM,
  MEASUREMENT_PARAMS,
  MULTI_CMSSW_PARAMS,
  MULTI_MODEL_PARAMS,
  VERSION_PARAM,
  convertArgs,
  type ParamDef,
} from "../tasks/params.js";
import { MeasureRuntime, checkBatchSizes, runtimeConfig, type Args } from "../tasks/runtime.js";
import { MlprofError } from "../util/errors.js";
import { shortHash } from "../util/hash.js";

/**
 * The parameters of a scan: those of PlotMultiRuntimes that shape measurements (brace expansion
 * included), so that the same values plot the collected results.
 */
export const SCAN_PARAMS: ParamDef[] = [
  { ...VERSION_PARAM, required: false },
  ...MULTI_MODEL_PARAMS.map((p) => ({ ...p, required: false })),
  BATCH_SIZES_PARAM,
  // the executor runs on the worker: local → the standalone payload, cmssw → the cmssw payload
  ...MEASUREMENT_PARAMS,
  ...MULTI_CMSSW_PARAMS,
];

/** A scan's identity parameters. */
export const SCAN_ID_PARAMS: ParamDef[] = [
  {
    name: "scan",
    type: "string",
    default: "",
    description:
      "a scan yaml file: the parameters of PlotMultiRuntimes and, optionally, submit options; flags override it",
  },
  {
    name: "scan-name",
    type: "string",
    default: "",
    description:
      "name of the scan (its folder <store>/Scans/<name>/<version>); default: the yaml's file name, else a hash of the parameters",
  },
];

/** One model of a scan: its yaml, the name in output paths, an explicit plot label (or ""), the path workers use. */
export interface ScanModel {
  file: string;
  name: string;
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
  /** The converted scan parameters (dashed names), as PlotMultiRuntimes takes them. */
  args: Args;
  models: ScanModel[];
  releases: string[];
  archs: string[];
  batchSizes: number[];
  measurements: Measurement[];
  /** A hash of everything that shapes the measurements: a scan folder holds one parameter set only. */
  hash: string;
}

/** Raw option values (strings, as on the command line) read from a scan yaml, keyed by dashed names. */
export function loadScanFile(path: string): Record<string, unknown> {
  const file = resolve(path);
  if (!existsSync(file)) throw new MlprofError(`scan file ${file} does not exist`);
  const doc = parseDocument(readFileSync(file, "utf8"), { prettyErrors: true });
  if (doc.errors.length > 0)
    throw new MlprofError(`scan file ${file} is not valid YAML: ${doc.errors[0]!.message}`);
  const data = doc.toJS() as unknown;
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new MlprofError(
      `scan file ${file}: expected a mapping of parameters (version, model-files, batch-sizes, ...)`,
    );
  }
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
    const name = key.replace(/_/g, "-");
    if (value === null || value === undefined) continue;
    if (name === "batch-extra" && Array.isArray(value)) raw[name] = value.map(String);
    else raw[name] = Array.isArray(value) ? value.map(String).join(",") : String(value);
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
export function checkKnownKeys(raw: Record<string, unknown>, known: ParamDef[], source: string): void {
  const names = new Set(known.map((p) => p.name));
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
export function buildScan(args: Args, scanName: string): Scan {
  const version = String(args["version"] ?? "");
  const files = (args["model-files"] as string[] | undefined) ?? [];
  if (!version) throw new MlprofError("--version is required (the version of the outputs, e.g. v1)");
  if (files.length === 0)
    throw new MlprofError("--model-files is required: the models to scan (brace expansion allowed)");
  const names = args["model-names"] as string[];
  const labels = args["model-labels"] as string[];
  for (const [flag, list] of [
    ["model-names", names],
    ["model-labels", labels],
  ] as const) {
    if (list.length > 0 && list.length !== files.length) {
      throw new MlprofError(
        `--${flag}: expected one entry per model file (${files.length}), found ${list.length}`,
      );
    }
  }
  const releases = args["cmssw-versions"] as string[];
  const archs = args["scram-archs"] as string[];
  if (args["executor"] === "local" && (releases.length > 1 || archs.length > 1)) {
    throw new MlprofError(
      `the standalone payload (--executor local) measures the engines installed on the workers whatever the release, ` +
        `so ${[...releases, ...archs].join(", ")} would show identical engines as a release comparison`,
      "scan releases with --executor cmssw; with the standalone payload, scan models and batch sizes",
    );
  }
  const batchSizes = checkBatchSizes(args["batch-sizes"] as number[]);
  const models = files.map((f, i) => {
    const cfg = runtimeConfig(
      { ...args, "cmssw-version": releases[0], "scram-arch": archs[0] },
      f,
      names[i] ?? "",
      labels[i] ?? "",
    );
    if (!existsSync(cfg.model.file)) throw new MlprofError(`model file ${cfg.model.file} does not exist`);
    return {
      file: cfg.model.file,
      name: cfg.model.fullName,
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
  if (!/^[A-Za-z0-9_.+-]+$/.test(name)) {
    throw new MlprofError(`--scan-name: expected letters, digits, '_', '.', '+' or '-', found '${name}'`);
  }
  const shaping = {
    ...args,
    "model-files": models.map((m) => m.file),
    "model-names": models.map((m) => m.name),
  };
  return {
    name,
    version,
    args,
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
  const args = convertArgs(SCAN_PARAMS, raw);
  return buildScan(args, String(raw["scan-name"] ?? ""));
}

/**
 * The measurement flags of a scan as `mlprof run MeasureRuntime` takes them (every parameter of
 * MEASUREMENT_PARAMS but the executor; with `all` false only those that differ from the default).
 */
export function measurementFlags(args: Args, all = true): string[] {
  const flags: string[] = [];
  for (const def of MEASUREMENT_PARAMS) {
    const v = args[def.name];
    if (def.name === "executor" || v === undefined || v === "") continue;
    if (!all && JSON.stringify(v) === JSON.stringify(def.default)) continue;
    flags.push(`--${def.name}`, Array.isArray(v) ? v.join(",") : String(v));
  }
  return flags;
}

/** The MeasureRuntime task of a measurement: its outputs are where `mlprof collect` puts the results. */
export function measurementTask(scan: Scan, m: Measurement): MeasureRuntime {
  const model = scan.models[m.model]!;
  const cfg = runtimeConfig(
    { ...scan.args, "cmssw-version": scan.releases[m.release], "scram-arch": scan.archs[m.arch] },
    model.file,
    model.name,
    model.label,
  );
  return new MeasureRuntime(cfg, m.batchSize);
}
