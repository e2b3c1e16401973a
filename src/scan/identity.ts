/** A submitted scan found by its identity: its manifest (read under the scan's lock) and its parameters. */
import { MlprofError } from "../util/errors.js";
import { checkSameScan, manifestPath, readManifest, type Manifest } from "./manifest.js";
import { scanFromStored, type Scan } from "./scan.js";

/** How a command names a submitted scan: its name and version, and its parameters when they were given. */
export interface ScanIdentity {
  name: string;
  version: string;
  /** The scan built from the given parameters (checked against the manifest's). */
  scan?: Scan;
}

/**
 * The manifest of a submitted scan and the scan it describes; call it only while holding the scan's lock
 * (lockScan), so that no other mlprof changes the manifest between reading and writing it.
 */
export function openSubmitted(id: ScanIdentity): { scan: Scan; manifest: Manifest } {
  const manifest = readManifest(id.name, id.version);
  if (!manifest) {
    throw new MlprofError(
      `scan ${id.name}/${id.version} was never submitted (no ${manifestPath(id.name, id.version)})`,
      "submit it first: mlprof submit ...",
    );
  }
  if (id.scan) {
    checkSameScan(manifest, id.scan);
    return { scan: checkMeasurementIndices(id.scan, manifest, id), manifest };
  }
  let scan: Scan;
  try {
    scan = scanFromStored(manifest.scan.args, id.name);
  } catch (err) {
    if (!(err instanceof MlprofError)) throw err;
    // the parameters stored at submission: an error in them is the manifest's, named with its field
    throw new MlprofError(
      `scan manifest ${manifestPath(id.name, id.version)}: field 'scan.args' (the scan's parameters): ${err.message}`,
      "the manifest is written by mlprof submit; restore it, or give the scan's parameters (--scan <file.yaml>)",
    );
  }
  return { scan: checkMeasurementIndices(scan, manifest, id), manifest };
}

/** Checks that every job of a manifest names measurements of its scan (an index beyond them: its field). */
function checkMeasurementIndices(scan: Scan, manifest: Manifest, id: ScanIdentity): Scan {
  manifest.jobs.forEach((job, i) => {
    job.measurements.forEach((index, k) => {
      if (index >= scan.measurements.length) {
        throw new MlprofError(
          `scan manifest ${manifestPath(id.name, id.version)}: job ${job.id}: field 'jobs[${i}].measurements[${k}]': ` +
            `expected a measurement of the scan (0 to ${scan.measurements.length - 1}), found ${index}`,
          "the manifest is written by mlprof submit; restore it, or submit the scan again under another --version",
        );
      }
    });
  });
  return scan;
}
