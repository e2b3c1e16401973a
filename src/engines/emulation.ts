import type { ReleaseEngines } from "../cmssw/releases.js";
import type { EngineEmulation } from "../measure/job.js";
import { RELEASE_TABLE } from "../cmssw/releases.js";
import { MlprofError } from "../util/errors.js";

/** The version a release ships of an engine's library, with a clear error when the table does not know it. */
export function shippedVersion(release: ReleaseEngines, library: "onnxruntime" | "tensorflow"): string {
  const version = release[library];
  if (!version) {
    throw new MlprofError(
      `the release table does not know the ${library === "onnxruntime" ? "ONNX Runtime" : "TensorFlow"} of ` +
        `${release.release} (series ${release.matched}): ${release.source}`,
      `add it to ${RELEASE_TABLE} once cms-sw/cmsdist confirms it, or measure in CMSSW (--executor cmssw)`,
    );
  }
  return version;
}

/** The metadata of an emulated engine. */
export function emulation(
  release: ReleaseEngines,
  engine: string,
  shipped: string,
  measured: string,
  settings: string[] = [],
): EngineEmulation {
  return {
    release: release.release,
    series: release.matched,
    engine,
    shipped,
    measured,
    settings,
    verified: release.verified,
  };
}

/** One line for the CSV header and tables: "emulated for CMSSW_X (onnxruntime 1.17.3 for 1.17.1)". */
export function describeEngines(e: EngineEmulation | undefined): string {
  if (!e) return "installed on this machine";
  const version = e.measured === e.shipped ? e.measured : `${e.measured} for ${e.shipped}`;
  const extras = [...e.settings, ...(e.verified ? [] : ["release table row inferred"])];
  return `emulated for ${e.release} (${e.engine} ${version}${extras.length ? `, ${extras.join(", ")}` : ""})`;
}
