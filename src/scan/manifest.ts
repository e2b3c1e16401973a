import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { storeRoot } from "../paths.js";
import type { StageOutMode, SubmitSettings } from "../batch/system.js";
import { safePart } from "../store.js";
import { MlprofError } from "../util/errors.js";
import { writeJsonAtomic } from "../util/fs.js";
import { acquireLock, LockBusyError } from "../util/lock.js";
import type { Scan } from "./scan.js";
import { JOB_STATES, parseManifest, type JobState } from "./manifest-schema.js";

export { JOB_STATES, type JobState };

/**
 * The one table of the changes a job's state may go through (every change goes through `setJobState`):
 * - created → submitting (submit), done (its outputs are in the store already), cancelled (mlprof cancel);
 * - submitting → pending (its batch id is recorded, also when a later run finds the submission of a
 *   crashed one in the batch system), created or failed (the submission failed, or never reached the
 *   batch system: the job is submitted again, once);
 * - pending, running, held → each other (as the batch system says), done (outputs collected), failed
 *   (ended without valid outputs, or held and removed), cancelled (removed by mlprof cancel or by hand);
 * - failed and cancelled → submitting (resubmitted), done (outputs in the store); failed → cancelled;
 * - done → nothing: its results are in the store.
 * A state "changing" to itself is no change and always allowed (a new reason, a poll that saw no news).
 */
export const JOB_TRANSITIONS: Readonly<Record<JobState, readonly JobState[]>> = {
  created: ["submitting", "done", "cancelled"],
  submitting: ["pending", "created", "failed"],
  pending: ["running", "held", "done", "failed", "cancelled"],
  running: ["pending", "held", "done", "failed", "cancelled"],
  held: ["pending", "running", "done", "failed", "cancelled"],
  failed: ["submitting", "done", "cancelled"],
  cancelled: ["submitting", "done"],
  done: [],
};

/** Named sets of states: every command asks these rather than listing states itself. */
export const STATE_SETS = {
  /** In the batch system with a recorded batch id: queried by collect, removed by cancel. */
  active: ["pending", "running", "held"],
  /** In the batch system's queue or being put there: they count against --parallel-jobs. */
  queued: ["submitting", "pending", "running", "held"],
  /** May be submitted (again) by mlprof submit. */
  submittable: ["created", "failed", "cancelled"],
  /** Nothing runs for them in the batch system now: done, failed or cancelled. */
  ended: ["done", "failed", "cancelled"],
  /** Never changes again. */
  terminal: ["done"],
} as const satisfies Record<string, readonly JobState[]>;

/** Whether a state is in one of the named sets. */
export function inState(job: { state: JobState }, set: keyof typeof STATE_SETS): boolean {
  return (STATE_SETS[set] as readonly JobState[]).includes(job.state);
}

/**
 * Jobs a scan still waits for: queued, not submitted yet, or failed with a resubmission to come
 * (collect --watch goes on while there are any; cleanup keeps their folders).
 */
export function isWaiting(job: ManifestJob): boolean {
  return inState(job, "queued") || job.state === "created" || (job.state === "failed" && !job.final);
}

/**
 * The one way a job's state changes: checks the change against JOB_TRANSITIONS and refuses an impossible
 * one with an error naming the scan and the job; `reason` (also undefined) replaces the job's reason when
 * given. The caller writes the manifest.
 */
export function setJobState(
  m: Pick<Manifest, "scan">,
  job: ManifestJob,
  to: JobState,
  change: { reason?: string } = {},
): void {
  const from = job.state;
  if (from !== to && !JOB_TRANSITIONS[from].includes(to)) {
    const allowed = JOB_TRANSITIONS[from];
    throw new MlprofError(
      `scan ${m.scan.name}/${m.scan.version}: job ${job.id} cannot go from ${from} to ${to} ` +
        `(from ${from} it may go to ${allowed.length ? allowed.join(", ") : "nothing: it is final"})`,
      "this is a fault of MLProf or of a hand-edited manifest; please report it with the manifest",
    );
  }
  job.state = to;
  if ("reason" in change) job.reason = change.reason;
}

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
  /** The node's CPU model and how many CPUs it has online (absent from the status of an older job.sh). */
  nodeCpuModel?: string;
  nodeCpus?: number;
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

/**
 * Checks a manifest read from its file against the manifest's schema (manifest-schema.ts), so that a
 * damaged or hand-edited file is one error naming the file, the job and the field.
 */
export function checkManifest(data: unknown, path: string): Manifest {
  return parseManifest<Manifest>(data, path);
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
