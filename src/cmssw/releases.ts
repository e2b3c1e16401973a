/**
 * The engine versions each CMSSW release series ships (cmssw-releases.yaml): the table, and a release name
 * matched to its series.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { lazyRequire } from "../util/lazy.js";
import { MLP_BASE } from "../paths.js";
import { MlprofError, errorMessage } from "../util/errors.js";

/** Loaded on first use (see util/lazy.ts). */
const yaml = lazyRequire<typeof import("yaml")>("yaml");

/** The release table of the repository. */
export const RELEASE_TABLE = join(MLP_BASE, "cmssw-releases.yaml");

/** One row of the table: the series it covers and the engine versions they ship. */
export interface ReleaseRow {
  series: string[];
  onnxruntime: string | null;
  tensorflow: string | null;
  verified: boolean;
  source: string;
  note?: string;
}

/** A release with the row of its series. */
export interface ReleaseEngines extends ReleaseRow {
  release: string;
  /** The series the release belongs to, e.g. 14_1_X. */
  matched: string;
}

let cached: ReleaseRow[] | undefined;

/** Reads the release table (once per process); a malformed table is an error naming it. */
export function releaseTable(path = RELEASE_TABLE): ReleaseRow[] {
  if (path === RELEASE_TABLE && cached) return cached;
  let data: { series?: unknown };
  try {
    data = yaml().parse(readFileSync(path, "utf8")) as { series?: unknown };
  } catch (err) {
    throw new MlprofError(`cannot read the release table ${path}: ${errorMessage(err)}`);
  }
  const rows = Array.isArray(data.series) ? (data.series as Record<string, unknown>[]) : [];
  const version = (v: unknown) => (v === null || v === undefined ? null : String(v));
  const out = rows.map((r, i): ReleaseRow => {
    const series = Array.isArray(r.series) ? r.series.map(String) : [];
    if (series.length === 0) throw new MlprofError(`${path}: row ${i + 1} names no series`);
    return {
      series,
      onnxruntime: version(r.onnxruntime),
      tensorflow: version(r.tensorflow),
      verified: r.verified === true,
      source: String(r.source ?? ""),
      ...(r.note ? { note: String(r.note) } : {}),
    };
  });
  if (path === RELEASE_TABLE) cached = out;
  return out;
}

/**
 * The series of a release: CMSSW_14_1_0_pre4, CMSSW_14_1_0, CMSSW_14_1_2_patch1 → 14_1_X; integration builds
 * CMSSW_14_1_X_2024-05-01-2300 → 14_1_X, special ones CMSSW_14_2_TF_X_… → 14_2_TF_X. Undefined when the name
 * is not a release.
 */
export function seriesOf(release: string): string | undefined {
  const ib = /^CMSSW_(\d+)_(\d+)_((?:[A-Z0-9]+_)?)X(?:_[\w-]+)?$/.exec(release);
  if (ib) return `${ib[1]}_${ib[2]}_${ib[3]}X`;
  const rel = /^CMSSW_(\d+)_(\d+)_(\d+)(?:_(?:pre|patch)\d+)*$/.exec(release);
  return rel ? `${rel[1]}_${rel[2]}_X` : undefined;
}

/** The engine versions of a release, with a clear error for names and series the table does not know. */
export function releaseEngines(release: string, path = RELEASE_TABLE): ReleaseEngines {
  const series = seriesOf(release);
  if (!series) {
    throw new MlprofError(
      `--cmssw-version: '${release}' is not a CMSSW release name (CMSSW_<major>_<minor>_<patch>[_preN|_patchN])`,
    );
  }
  const row = releaseTable(path).find((r) => r.series.includes(series));
  if (!row) {
    const known = releaseTable(path).flatMap((r) => r.series);
    throw new MlprofError(
      `the release table ${path} has no row for ${release} (series ${series}); it knows ${known.join(", ")}`,
      "add the series with its ONNX Runtime and TensorFlow versions (from cms-sw/cmsdist) to the table",
    );
  }
  return { ...row, release, matched: series };
}
