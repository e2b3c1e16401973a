import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { storeRoot } from "../paths.js";
import type { StageOutMode, SubmitSettings } from "../batch/system.js";
import { safePart } from "../store.js";
import { MlprofError } from "../util/errors.js";
import { writeJsonAtomic } from "../util/fs.js";
import { acquireLock, LockBusyError } from "../util/lock.js";
import type { Scan } from "./scan.js";

/**
 * States of a job in the manifest; "submitting" marks a submission whose ids were not recorded yet;
 * "cancelled" a job removed by `mlprof cancel` or by hand (condor_rm, scancel): not resubmitted unasked.
 */
export type JobState =
  "created" | "submitting" | "pending" | "running" | "held" | "done" | "failed" | "cancelled";

/** The states a manifest may hold. */
export const JOB_STATES: readonly JobState[] = [
  "created",
  "submitting",
  "pending",
  "running",
  "held",
  "done",
  "failed",
  "cancelled",
];

/** What a job's status file says about where and when it ran (written by job.sh). */
export interface RunFacts {
  host: string;
  /** ISO times of the job's start and end on the worker. */
  started: string;
  finished: string;
  /** The node's 1-, 5- and 15-minute load averages at the start and the end. */
  loadStart?: number[];
  loadEnd?: number[];
  /** The CPUs the job could use, and those it pinned its measurements to ("" when it did not pin). */
  cpusAllowed?: string;
  pinned?: string;
}

/** One attempt of a job: its batch id and submission number, and where and when it ran once known. */
export interface Attempt {
  batchId: string;
  submission: number;
  at: string;
  run?: RunFacts;
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
  /** Memory of the next attempt, MB, after a hold or kill for memory (else the submission's). */
  requestMemoryMb?: number;
  /** Other jobs of the scan that ran on the same node at the same time as this job's last attempt. */
  overlaps?: string[];
  /** The last lines of the logs of a failed attempt (copied into <scan>/logs/<job id>/). */
  logTail?: string[];
}

/** What the jobs of a model must report back: its engine and the SHA-256 of its graph file. */
export interface ManifestModel {
  name: string;
  file: string;
  engine: string;
  graphSha256: string;
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
  /** Files sent with each job (mlprof.tar.gz), absolute on the submit host or xrootd URLs. */
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
  /** model index → what its results must show (checked by collect before anything enters the store). */
  models?: ManifestModel[];
  /** When `mlprof cleanup` last removed the job folders and staged outputs of collected jobs. */
  cleanedAt?: string;
}

/** Folder of a scan in the store: <store>/Scans/<name>/<version>. */
export function scanDir(name: string, version: string): string {
  return join(storeRoot(), "Scans", safePart(name), safePart(version));
}

/** Path of a scan's manifest. */
export function manifestPath(name: string, version: string): string {
  return join(scanDir(name, version), "manifest.json");
}

/** The type of a JSON value as messages name it. */
function typeOf(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "a list" : typeof v === "object" ? "an object" : typeof v;
}

/**
 * Checks the fields MLProf reads from a manifest, so that a damaged or hand-edited file is an error
 * naming the file and the field rather than a TypeError later.
 */
export function checkManifest(data: unknown, path: string): Manifest {
  const fail = (field: string, expected: string, found: unknown): never => {
    throw new MlprofError(
      `scan manifest ${path}: field '${field}': expected ${expected}, found ${found === undefined ? "nothing" : `${typeOf(found)} ${JSON.stringify(found)?.slice(0, 60) ?? ""}`}`,
      "the manifest is written by mlprof submit; restore it, or submit the scan again under another --version",
    );
  };
  const obj = (v: unknown, field: string): Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : fail(field, "an object", v);
  const str = (v: unknown, field: string): string => (typeof v === "string" ? v : fail(field, "a string", v));
  const list = (v: unknown, field: string): unknown[] => (Array.isArray(v) ? v : fail(field, "a list", v));
  const m = obj(data, "(top level)");
  if (m["format"] !== 1) fail("format", "1", m["format"]);
  const scan = obj(m["scan"], "scan");
  str(scan["name"], "scan.name");
  str(scan["version"], "scan.version");
  str(scan["hash"], "scan.hash");
  obj(scan["args"], "scan.args");
  const target = obj(m["target"], "target");
  str(target["batchSystem"], "target.batchSystem");
  str(target["jobDir"], "target.jobDir");
  str(target["stageOut"], "target.stageOut");
  str(target["outputBase"], "target.outputBase");
  str(target["jobName"], "target.jobName");
  obj(target["batchEnv"], "target.batchEnv");
  obj(target["settings"], "target.settings");
  list(target["transferInput"], "target.transferInput");
  if (typeof target["retries"] !== "number") fail("target.retries", "a number", target["retries"]);
  if (target["ssh"] !== undefined) {
    const ssh = obj(target["ssh"], "target.ssh");
    str(ssh["host"], "target.ssh.host");
    str(ssh["user"], "target.ssh.user");
    if (typeof ssh["port"] !== "number") fail("target.ssh.port", "a number", ssh["port"]);
    list(ssh["knownHosts"], "target.ssh.knownHosts");
  }
  if (typeof m["submissions"] !== "number") fail("submissions", "a number", m["submissions"]);
  list(m["outputs"], "outputs");
  list(m["jobs"], "jobs").forEach((j, i) => {
    const job = obj(j, `jobs[${i}]`);
    str(job["id"], `jobs[${i}].id`);
    const state = str(job["state"], `jobs[${i}].state`);
    if (!(JOB_STATES as readonly string[]).includes(state))
      fail(`jobs[${i}].state`, `one of ${JOB_STATES.join(", ")}`, state);
    list(job["measurements"], `jobs[${i}].measurements`).forEach((x, k) => {
      if (typeof x !== "number") fail(`jobs[${i}].measurements[${k}]`, "a number", x);
    });
    list(job["attempts"], `jobs[${i}].attempts`).forEach((a, k) => {
      str(obj(a, `jobs[${i}].attempts[${k}]`)["batchId"], `jobs[${i}].attempts[${k}].batchId`);
    });
  });
  return m as unknown as Manifest;
}

/** Reads a scan's manifest, or undefined when the scan was never submitted. */
export function readManifest(name: string, version: string): Manifest | undefined {
  const path = manifestPath(name, version);
  if (!existsSync(path)) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, "utf8")) as unknown;
  } catch (err) {
    throw new MlprofError(`cannot read the scan manifest ${path}: ${(err as Error).message}`);
  }
  return checkManifest(data, path);
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

/** How `lockScan` treats a lock held by another live process. */
export interface ScanLockOptions {
  /** What this process does, for the other's messages (e.g. "collecting (--watch)"). */
  doing: string;
  /** Wait for the holder (saying so once through `progress`) instead of refusing at once. */
  wait?: boolean;
  progress?: (line: string) => void;
  /** Give up waiting after this long (default 30 minutes). */
  timeoutMs?: number;
  /** Aborting it (SIGINT, SIGTERM) ends the wait with an error. */
  signal?: AbortSignal;
}

/**
 * Takes the scan's lock, so that two submits, collects, cancels or cleanups never interleave: every
 * manifest is read only under it. A lock left by a dead process on this host is taken over; a live
 * holder is named, and waited for with `wait` — except a `collect --watch`, which would hold it for
 * hours: then the caller is refused at once. Returns the release function.
 */
export async function lockScan(name: string, version: string, o: ScanLockOptions): Promise<() => void> {
  const path = join(scanDir(name, version), ".lock");
  const what = `${o.doing} scan ${name}/${version}`;
  try {
    return await acquireLock(path, { what, wait: false });
  } catch (err) {
    if (!(err instanceof LockBusyError)) throw err;
    const { owner } = err;
    const holder = `another mlprof (pid ${owner.pid} on ${owner.host}, since ${owner.since}) is ${owner.what}`;
    if (!o.wait || /--watch/.test(owner.what)) {
      throw new MlprofError(
        holder,
        /--watch/.test(owner.what)
          ? "it polls until the scan is complete and does what this command would; stop it (Ctrl-C) first if you need this one"
          : `wait for it, or remove ${path} if that process is gone`,
      );
    }
    o.progress?.(`waiting: ${holder}`);
    return acquireLock(path, { what, timeoutMs: o.timeoutMs ?? 30 * 60 * 1000, signal: o.signal });
  }
}
