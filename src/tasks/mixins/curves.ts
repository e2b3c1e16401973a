/** The curves of the multi-model tasks: every model × release × architecture, labelled by what varies. */
import { cmsswPart, taskDir } from "../../store.js";
import { MlprofError } from "../../util/errors.js";
import { shortHash } from "../../util/hash.js";
import type { Values } from "../../framework/parameters.js";
import {
  MEASUREMENT_PARAMS,
  MULTI_CMSSW_PARAMS,
  MULTI_MODEL_PARAMS,
  VERSION,
  runParamsPart,
} from "../params.js";
import { plotOutputs, type PlotConfig } from "./plot.js";
import { runtimeConfig, type RuntimeConfig } from "./runtime.js";

/**
 * Refuses several releases (or architectures) measured by the local executor with the installed engines:
 * they would all show this machine's engines as a release comparison. With `--engine-versions release`,
 * releases are emulated and allowed; architectures still are not. `where` words it for local runs or for
 * the standalone payload of a batch scan.
 */
export function refuseLocalReleaseComparison(
  executor: string,
  engineVersions: string,
  names: string[],
  several: boolean,
  where: "local" | "scan" = "local",
): void {
  if (executor !== "local" || !several) return;
  if (engineVersions === "release" && new Set(names.filter((n) => !n.startsWith("CMSSW_"))).size <= 1) return;
  const inCmssw =
    where === "scan"
      ? "scan them with --executor cmssw (the cmssw payload)"
      : "compare them with measurements made in CMSSW (mlprof submit, then mlprof collect)";
  if (engineVersions === "release") {
    throw new MlprofError(
      `--engine-versions release emulates each release's engines, but not other architectures: ${names.join(", ")}`,
      `measure one architecture, or ${inCmssw}`,
    );
  }
  throw new MlprofError(
    where === "scan"
      ? `the standalone payload (--executor local) measures the engines installed on the workers whatever ` +
          `--cmssw-version says, so ${names.join(", ")} would show identical engines as a release comparison`
      : `the local executor measures the engines installed on this machine whatever --cmssw-version says, so ` +
          `${names.join(", ")} measured locally would show identical engines as a release comparison`,
    `measure each release's engine versions with --engine-versions release (an emulation), or ${inCmssw}`,
  );
}

/** A release as legends and tables name it: "CMSSW_14_1_0 (emulated)" with --engine-versions release. */
export function releaseLabel(cfg: RuntimeConfig): string {
  return cfg.run.engineVersions === "release" ? `${cfg.cmsswVersion} (emulated)` : cfg.cmsswVersion;
}

/** The parameters that define the curves. */
export const CURVE_PARAMS = {
  version: VERSION,
  ...MULTI_MODEL_PARAMS,
  ...MULTI_CMSSW_PARAMS,
  ...MEASUREMENT_PARAMS,
};

/** One curve of a multi plot: a model in a release on an architecture. */
export interface Curve {
  cfg: RuntimeConfig;
  label: string;
}

/** Checks that the optional per-model lists have one entry per model file. */
export function checkPerModel(files: string[], lists: Record<string, string[]>, filesShown = true): void {
  for (const [flag, list] of Object.entries(lists)) {
    if (list.length > 0 && list.length !== files.length) {
      throw new MlprofError(
        `--${flag}: expected one entry per model file (${files.length}${filesShown ? `: ${files.join(", ")}` : ""}), found ${list.length}`,
      );
    }
  }
}

/**
 * The curves of a multi-model task: every combination of --model-files, --cmssw-versions and
 * --scram-archs, labelled by the parameters that vary.
 */
export function buildCurves(v: Values<typeof CURVE_PARAMS>): Curve[] {
  const files = v.modelFiles;
  const names = v.modelNames;
  const labels = v.modelLabels;
  const versions = v.cmsswVersions;
  const archs = v.scramArchs;
  if (files.length === 0) throw new MlprofError("--model-files: expected at least one model file");
  checkPerModel(files, { "model-names": names, "model-labels": labels });
  if (versions.length === 0 || archs.length === 0)
    throw new MlprofError("--cmssw-versions and --scram-archs must not be empty");
  refuseLocalReleaseComparison(
    v.executor,
    v.engineVersions,
    [...versions, ...archs],
    versions.length > 1 || archs.length > 1,
  );
  const curves: Curve[] = [];
  files.forEach((file, i) => {
    for (const cmsswVersion of versions) {
      for (const scramArch of archs) {
        const cfg = runtimeConfig({
          ...v,
          modelFile: file,
          modelName: names[i] ?? "",
          modelLabel: labels[i] ?? "",
          cmsswVersion,
          scramArch,
        });
        curves.push({ cfg, label: "" });
      }
    }
  });
  refuseSharedNames(curves);
  // legend labels from the parameters that vary, as the original
  for (const curve of curves) {
    const parts: string[] = [];
    if (files.length > 1 || (versions.length === 1 && archs.length === 1)) parts.push(curve.cfg.model.label);
    if (versions.length > 1) parts.push(releaseLabel(curve.cfg));
    if (archs.length > 1) parts.push(curve.cfg.scramArch);
    curve.label = parts.join(", ");
  }
  return curves;
}

/**
 * Refuses one name in output paths given to two different model files of one --version (by --model-names,
 * or derived): both would be measured into, and read from, the same folder, so one model's numbers would be
 * shown as the other's.
 */
export function refuseSharedNames(curves: readonly { cfg: RuntimeConfig }[]): void {
  const files = new Map<string, string>();
  for (const { cfg } of curves) {
    const name = cfg.model.fullName;
    const key = `${name}\0${cfg.version}`;
    const other = files.get(key);
    if (other === undefined) files.set(key, cfg.model.file);
    else if (other !== cfg.model.file) {
      throw new MlprofError(
        `--model-names: the name '${name}' is given to two different model files, ${other} and ${cfg.model.file}; ` +
          "their measurements would share one output folder and one would be plotted as the other",
        "give each model file its own name",
      );
    }
  }
}

/**
 * Outputs of a plot of several curves: <family>/<releases>__<archs>/<models>__<run parameters>/<version>/
 * <prefix>_<models, and releases / archs when several>_bs_<...>, hashed when too long.
 */
export function multiPlotOutputs(
  family: string,
  curves: Curve[],
  prefix: string,
  batchSizes: number[],
  plot: PlotConfig,
): string[] {
  const first = curves[0]!.cfg;
  const models = [...new Map(curves.map((c) => [c.cfg.model.fullName, c.cfg.model])).values()];
  const versions = [...new Set(curves.map((c) => c.cfg.cmsswVersion))];
  const archs = [...new Set(curves.map((c) => c.cfg.scramArch))];
  const modelsPart = models.map((m) => m.storeName).join("__");
  const dir = taskDir(
    family,
    cmsswPart(versions, archs),
    `${modelsPart.length > MAX_PART ? `models_${models.length}_${shortHash(modelsPart, 10)}` : modelsPart}__${runParamsPart(first.run)}`,
    first.version,
  );
  // file names from short parts (the models' base names; their full names where two share one)
  const short = models.map((m) => m.shortName);
  const names = new Set(short).size === short.length ? short : models.map((m) => m.fullName);
  const params = [...names, ...(versions.length > 1 ? versions : []), ...(archs.length > 1 ? archs : [])];
  const sizes = `bs_${batchSizes.join("_")}`;
  const stem = `${prefix}_${params.join("_")}_${sizes}`;
  const hashed = `${prefix}_${params.length}curves_${shortHash(params.join("_"), 8)}_${sizes}`;
  return plotOutputs(dir, stem.length > MAX_PART ? hashed : stem, plot);
}

/** The longest path part of plots of several curves before it is hashed (file names stay < 255 bytes). */
const MAX_PART = 150;
