import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { storeRoot } from "../paths.js";
import type { StageOutMode, SubmitSettings } from "../batch/system.js";
import { safePart } from "../store.js";
import { MlprofError } from "../util/errors.js";
import { writeJsonAtomic } from "../util/fs.js";
import { acquireLock, LockBusyError } from "../util/lock.js";
import type { Scan } from "./scan.js";

/** States of a job in the manifest; "submitting" marks a submission whose ids were not recorded yet. */
export type JobState = "created" | "submitting" | "pending" | "running" | "held" | "done" | "failed";

/** One attempt of a job: its batch id and submission number. */
export interface Attempt {
  batchId: string;
  submission: number;
  at: string;
}

/** One batch job: its measurements (indices into the scan) and what happened to it. */
export interface ManifestJob {
  id: string;
  measurements: number[];
  state: JobState;
  attempts: Attempt[];
  /** Why the last attempt failed (exit code, hold reason, missing or invalid output). */
  reason?: string;
  /** Set when no retries are left: the job stays failed until `mlprof submit` runs it again. */
  final?: boolean;
}

/** Where and how the scan's jobs run; stored so that `mlprof collect` needs only the scan's identity. */
export interface Target {
  batchSystem: string;
  ssh?: { host: string; port: number; user: string; keyFile?: string; knownHosts: string[] };
  /** The job folder on the submit host (job.sh, submit files, job tables, logs, outputs/). */
  jobDir: string;
  stageOut: StageOutMode;
  /** Base of the stage-out: a folder on the submit host, or root://host//path for xrootd. */
  outputBase: string;
  /** Variables set for every batch command (e.g. SLURM_CONF). */
  batchEnv: Record<string, string>;
  retries: number;
  /** Batch job name of the scan's jobs (squeue -n, condor batch_name). */
  jobName: string;
  /** Resource requests and conventions of the submit files. */
  settings: SubmitSettings;
  /** Files sent with each job (mlprof.tar.gz), absolute on the submit host. */
  transferInput: string[];
}

/** The manifest of a scan: parameters, target, and job → measurements → state, attempts, batch ids. */
export interface Manifest {
  format: 1;
  scan: { name: string; version: string; hash: string; args: Record<string, unknown> };
  target: Target;
  createdAt: string;
  updatedAt: string;
  /** Number of submissions so far (submit_<n>.* and jobs_<n>.txt in the job folder). */
  submissions: number;
  jobs: ManifestJob[];
  /** measurement index → [csv, json] in the store, for reference (collect recomputes them). */
  outputs: [string, string][];
}

/** Folder of a scan in the store: <store>/Scans/<name>/<version>. */
export function scanDir(name: string, version: string): string {
  return join(storeRoot(), "Scans", safePart(name), safePart(version));
}

/** Path of a scan's manifest. */
export function manifestPath(name: string, version: string): string {
  return join(scanDir(name, version), "manifest.json");
}

/** Reads a scan's manifest, or undefined when the scan was never submitted. */
export function readManifest(name: string, version: string): Manifest | undefined {
  const path = manifestPath(name, version);
  if (!existsSync(path)) return undefined;
  let data: Manifest;
  try {
    data = JSON.parse(readFileSync(path, "utf8")) as Manifest;
  } catch (err) {
    throw new MlprofError(`cannot read the scan manifest ${path}: ${(err as Error).message}`);
  }
  if (data.format !== 1) throw new MlprofError(`${path}: unknown manifest format ${String(data.format)}`);
  return data;
}

/** Writes a manifest atomically (temporary sibling, then rename). */
export function writeManifest(m: Manifest): void {
  m.updatedAt = new Date().toISOString();
  writeJsonAtomic(manifestPath(m.scan.name, m.scan.version), m);
}

/** Checks that a manifest belongs to the same parameters as a scan. */
export function checkSameScan(m: Manifest, scan: Scan): void {
  if (m.scan.hash !== scan.hash) {
    throw new MlprofError(
      `scan ${scan.name}/${scan.version} was submitted with other parameters (${manifestPath(scan.name, scan.version)})`,
      "give the scan another --version or --scan-name, or collect it with its original parameters",
    );
  }
}

/**
 * Takes the scan's lock, so that two submits or collects never interleave; a lock left by a dead process
 * on this host is taken over, a live holder is named. Returns the release function.
 */
export async function lockScan(name: string, version: string): Promise<() => void> {
  const path = join(scanDir(name, version), ".lock");
  try {
    return await acquireLock(path, { what: `submitting or collecting scan ${name}/${version}`, wait: false });
  } catch (err) {
    if (!(err instanceof LockBusyError)) throw err;
    const { owner } = err;
    throw new MlprofError(
      `another mlprof (pid ${owner.pid} on ${owner.host}, since ${owner.since}) is submitting or collecting scan ${name}/${version}`,
      `wait for it, or remove ${path} if that process is gone`,
    );
  }
}
