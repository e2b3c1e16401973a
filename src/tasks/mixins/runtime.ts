/** What the runtime tasks of one model share: its configuration, parameters, output folder and display. */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { Model } from "../../engines/model.js";
import {
  currentSpec,
  measurementProvenance,
  provenanceChange,
  type MeasurementProvenance,
} from "../../engines/provenance.js";
import type { OutputProvenance } from "../../framework/task.js";
import { errorMessage } from "../../util/errors.js";
import { checkEngineSettings, settingsForModel } from "../../engines/params.js";
import { MLP_BASE } from "../../paths.js";
import { MlprofError } from "../../util/errors.js";
import { checkName } from "../../util/names.js";
import { cmsswPart, taskDir } from "../../store.js";
import type { Values } from "../../framework/parameters.js";
import {
  CMSSW_PARAMS,
  DEFAULT_CMSSW_VERSION,
  DEFAULT_SCRAM_ARCH,
  MEASUREMENT_PARAMS,
  MODEL_PARAMS,
  VERSION,
  runParamsPart,
  type MeasurementSettings,
} from "../params.js";

/** Parameters shared by the runtime tasks of one model. */
export interface RuntimeConfig {
  version: string;
  model: Model;
  run: MeasurementSettings;
  cmsswVersion: string;
  scramArch: string;
}

/** The parameters of one model's runtime tasks (after the task's own, e.g. the batch size). */
export const RUNTIME_PARAMS = { version: VERSION, ...MODEL_PARAMS, ...MEASUREMENT_PARAMS, ...CMSSW_PARAMS };

/** The values a runtime configuration is made of. */
export type RuntimeValues = Values<typeof RUNTIME_PARAMS>;

/** The measurement settings among converted values. */
export function runSettings(values: MeasurementSettings): MeasurementSettings {
  const run: Record<string, unknown> = {};
  for (const key of Object.keys(MEASUREMENT_PARAMS)) run[key] = (values as Record<string, unknown>)[key];
  const settings = run as MeasurementSettings;
  if (settings.engineVersions === "release" && settings.executor !== "local") {
    throw new MlprofError(
      `--engine-versions release emulates a release's engines with the local executor; --executor ${settings.executor} measures the release's own`,
      "drop --engine-versions release, or measure with --executor local",
    );
  }
  checkEngineSettings(settings);
  if (settings.untilStable && settings.minDurationSeconds > 0) {
    throw new MlprofError(
      "--until-stable and --min-duration both decide how long the timed calls go on: give one of them",
    );
  }
  return settings;
}

/** Resolves a model-file argument: relative to the working directory, then to MLP_BASE (as $MLP_BASE/examples/...). */
export function resolveModelFile(file: string): string {
  const expanded = file.replace(/\$MLP_BASE|\$\{MLP_BASE\}/g, MLP_BASE);
  const fromCwd = resolve(expanded);
  if (existsSync(fromCwd)) return fromCwd;
  const fromBase = resolve(MLP_BASE, expanded);
  return existsSync(fromBase) ? fromBase : fromCwd;
}

/**
 * The runtime configuration of converted values (the model file resolved, the name and label applied).
 * Every name that becomes part of its output paths is checked here once more (values may come from a
 * scan's manifest or a list such as CompareRuntimes' --versions rather than from a checked flag), and
 * an engine's options that apply to its own models only are dropped for a model of another engine, so
 * that they are neither part of its output path nor of its measurement (engines/params.ts).
 */
export function runtimeConfig(v: RuntimeValues): RuntimeConfig {
  checkName("--version", v.version);
  if (v.modelName) checkName("--model-name", v.modelName);
  checkName("--cmssw-version", v.cmsswVersion);
  checkName("--scram-arch", v.scramArch);
  const model = new Model(resolveModelFile(v.modelFile), v.modelName || undefined, v.modelLabel || undefined);
  const run = settingsForModel(runSettings(v), model.spec.engine);
  return { version: v.version, model, run, cmsswVersion: v.cmsswVersion, scramArch: v.scramArch };
}

/** The <model identifier>__<run parameters> component of a runtime task's output path. */
export function modelRunPart(cfg: RuntimeConfig): string {
  return `${cfg.model.storeName}__${runParamsPart(cfg.run)}`;
}

/** Output folder of a task of one model: <store>/<family>/<release>__<arch>/<model>__<run>/<version>. */
export function runtimeDir(family: string, cfg: RuntimeConfig): string {
  return taskDir(family, cmsswPart([cfg.cmsswVersion], [cfg.scramArch]), modelRunPart(cfg), cfg.version);
}

/** Display parameters common to the runtime tasks. */
export function commonRepr(cfg: RuntimeConfig): Record<string, unknown> {
  return {
    version: cfg.version,
    model_file: cfg.model.file,
    model_name: cfg.model.fullName,
    n_events: cfg.run.nEvents,
    n_calls: cfg.run.nCalls,
    input_data: cfg.run.inputData,
    threads: cfg.run.threads,
    cmssw_version: cfg.cmsswVersion,
    scram_arch: cfg.scramArch,
  };
}

/**
 * What a task's one-line title names of its measurement: the model and, where they are not the spec's
 * defaults, the release and architecture (so that the lines of a release comparison differ).
 */
export function titleName(cfg: RuntimeConfig): string {
  const where = [
    cfg.cmsswVersion !== DEFAULT_CMSSW_VERSION || cfg.run.engineVersions === "release"
      ? cfg.cmsswVersion
      : "",
    cfg.scramArch !== DEFAULT_SCRAM_ARCH ? cfg.scramArch : "",
  ].filter(Boolean);
  return where.length ? `${cfg.model.fullName} (${where.join(", ")})` : cfg.model.fullName;
}

/** The provenance a measurement of this configuration gets now: the model file and graph as they are. */
export function currentProvenance(cfg: RuntimeConfig): MeasurementProvenance {
  return measurementProvenance(currentSpec(cfg.model.file), cfg);
}

/**
 * How stored measurements (the provenance their records carry, each with a label such as "batch size 4")
 * compare with a measurement of `cfg` now: outdated names the first that differs and what changed, unknown
 * the first that carries none (written before MLProf recorded it). `read` reads the records; a record that
 * cannot be read is unknown (with the error as the reason; the task that reads it fails naming the file); a
 * model file that cannot be read is thrown (its error names the file and the field).
 */
export function storedProvenance(
  cfg: RuntimeConfig,
  read: () => { label: string; provenance: Partial<MeasurementProvenance> | undefined }[],
): OutputProvenance {
  let stored: ReturnType<typeof read>;
  try {
    stored = read();
  } catch (err) {
    return { state: "unknown", reason: `its record cannot be read: ${errorMessage(err)}` };
  }
  // a model file that cannot be read is the run's error (it names the file and the field), never a warning
  const now = currentProvenance(cfg);
  for (const { label, provenance } of stored) {
    if (!provenance) continue;
    const change = provenanceChange(now, provenance);
    if (change) return { state: "outdated", reason: label ? `${label}: ${change}` : change };
  }
  const missing = stored.find((s) => !s.provenance);
  if (missing)
    return {
      state: "unknown",
      reason: `provenance unknown${missing.label ? ` (${missing.label})` : ""}: recorded before MLProf fingerprinted models`,
    };
  return { state: "current" };
}
