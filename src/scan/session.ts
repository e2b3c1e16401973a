import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { dirname, join, posix } from "node:path";
import { getBatchSystem } from "../batch/registry.js";
import type { BatchStatus, BatchSystem, JobRow, SubmitFileContext } from "../batch/system.js";
import { storeRoot } from "../paths.js";
import { LocalShell, type Shell } from "../remote/shell.js";
import { SshShell } from "../remote/ssh.js";
import { ShellStageArea, XrdStageArea, type StageArea } from "../remote/stage.js";
import { MlprofError, errorMessage } from "../util/errors.js";
import { makeTempDir } from "../util/fs.js";
import { pool } from "../util/pool.js";
import { submissionFiles } from "./jobfiles.js";
import { scanDir, writeManifest, type Manifest, type ManifestJob, type Target } from "./manifest.js";
import { measurementTask, type Scan } from "./scan.js";
import { checkMeasurement } from "./validate.js";
import { expectedRows } from "../record/rows.js";
import { runSettings } from "../tasks/mixins/runtime.js";

/** Batch ids per status query. */
const QUERY_CHUNK = 500;
/** Jobs whose outputs are fetched at the same time. */
const FETCH_CONCURRENCY = 8;

/** Opens the shell of a target: this machine, or the login node over SSH. */
export async function openShell(target: Target): Promise<Shell> {
  if (!target.ssh) return new LocalShell();
  return SshShell.connect({ ...target.ssh, connectTimeoutMs: 15_000 });
}

/** The stage area of a target. */
export function stageAreaOf(target: Target, shell: Shell): StageArea {
  return target.stageOut === "xrootd"
    ? new XrdStageArea(target.outputBase)
    : new ShellStageArea(shell, target.outputBase);
}

/** Moves a checked file into the store (a rename within the store's file system: atomic). */
function moveIntoPlace(from: string, to: string): void {
  mkdirSync(dirname(to), { recursive: true });
  renameSync(from, to);
}

/** What harvesting one job found. */
interface Harvest {
  moved: number;
  problems: string[];
}

/**
 * A scan's manifest with its batch system, shell and stage area: submits jobs, queries their
 * states and harvests their outputs into the store. Every change of the manifest is written at once.
 */
export class ScanSession {
  readonly system: BatchSystem;
  readonly stage: StageArea;

  constructor(
    readonly scan: Scan,
    readonly manifest: Manifest,
    readonly shell: Shell,
  ) {
    this.system = getBatchSystem(manifest.target.batchSystem);
    this.stage = stageAreaOf(manifest.target, shell);
  }

  get target(): Target {
    return this.manifest.target;
  }

  /** Store outputs ([csv, json]) of a measurement. */
  outputsOf(index: number): [string, string] {
    return measurementTask(this.scan, this.scan.measurements[index]!).outputs() as [string, string];
  }

  /** Measurements of a job whose outputs are not (both) in the store yet. */
  missing(job: ManifestJob): number[] {
    return job.measurements.filter((i) => !this.outputsOf(i).every((p) => existsSync(p)));
  }

  /**
   * Marks jobs whose outputs all exist as done (law's done-if-outputs-exist) and, with `save`,
   * writes the manifest; returns how many changed.
   */
  markComplete(save = true): number {
    let changed = 0;
    for (const job of this.manifest.jobs) {
      if (job.state !== "done" && this.missing(job).length === 0) {
        job.state = "done";
        job.reason = undefined;
        changed++;
      }
    }
    if (changed && save) writeManifest(this.manifest);
    return changed;
  }

  /** The submit-file context of a submission. */
  submissionContext(n: number, rows: JobRow[]): SubmitFileContext {
    const t = this.target;
    return {
      scan: this.scan.name,
      version: this.scan.version,
      n,
      jobDir: t.jobDir,
      jobName: t.jobName,
      rows,
      stageOut: t.stageOut,
      transferInput: t.transferInput,
      settings: t.settings,
    };
  }

  /** The local mirror of the job folder (where the generated files are kept for reference). */
  get localJobDir(): string {
    return this.target.ssh ? join(scanDir(this.scan.name, this.scan.version), "jobs") : this.target.jobDir;
  }

  /** Writes a generated file to the job folder (and, over SSH, to its local mirror). */
  async putFile(path: string, content: string, mode?: number): Promise<void> {
    if (this.target.ssh) await new LocalShell().putFile(join(this.localJobDir, path), content, mode);
    await this.shell.putFile(posix.join(this.target.jobDir, path), content, mode);
  }

  /**
   * Submits jobs (their measurements still missing from the store), in submissions of at most the
   * system's maxRows: the job table and submit file are written, the jobs marked "submitting" in the
   * manifest, then submitted and their batch ids recorded.
   */
  async submit(jobs: ManifestJob[], onSubmitted?: (n: number, count: number) => void): Promise<void> {
    const maxRows = this.system.maxRows;
    for (let start = 0; start < jobs.length; start += maxRows) {
      const chunk = jobs.slice(start, start + maxRows);
      const n = this.manifest.submissions + 1;
      const rows = chunk.map((j) => ({ jobId: j.id, items: this.missing(j).join("+") }));
      const ctx = this.submissionContext(n, rows);
      for (const f of submissionFiles(this.system, ctx)) await this.putFile(f.path, f.content, f.mode);
      for (const job of chunk) {
        if (job.attempts.length > 0) await this.stage.clear(job.id);
        job.state = "submitting";
      }
      this.manifest.submissions = n;
      writeManifest(this.manifest);
      let ids: string[];
      try {
        ids = await this.system.submit(this.shell, ctx, this.target.batchEnv);
      } catch (err) {
        for (const job of chunk) {
          job.state = "failed";
          job.reason = `submission ${n} failed: ${errorMessage(err)}`;
        }
        writeManifest(this.manifest);
        throw err;
      }
      const at = new Date().toISOString();
      chunk.forEach((job, i) => {
        job.attempts.push({ batchId: ids[i]!, submission: n, at });
        job.state = "pending";
        job.reason = undefined;
        job.final = undefined;
      });
      writeManifest(this.manifest);
      onSubmitted?.(n, chunk.length);
    }
  }

  /** Batch states of the current attempts of jobs (in chunks). */
  async query(jobs: ManifestJob[]): Promise<Map<string, BatchStatus>> {
    const ids = jobs.map((j) => j.attempts.at(-1)?.batchId).filter((id): id is string => !!id);
    const out = new Map<string, BatchStatus>();
    for (let i = 0; i < ids.length; i += QUERY_CHUNK) {
      const part = await this.system.query(
        this.shell,
        ids.slice(i, i + QUERY_CHUNK),
        this.target.batchEnv,
        this.target.jobName,
      );
      for (const [k, v] of part) out.set(k, v);
    }
    return out;
  }

  /** Removes held jobs from the batch system. */
  async cancel(jobs: ManifestJob[]): Promise<void> {
    const ids = jobs.map((j) => j.attempts.at(-1)?.batchId).filter((id): id is string => !!id);
    await this.system.cancel(this.shell, ids, this.target.batchEnv);
  }

  /** The last line of a job's error log on the submit host, when it can be read. */
  async logTail(job: ManifestJob): Promise<string | undefined> {
    const attempt = job.attempts.at(-1);
    if (!attempt) return undefined;
    for (const rel of this.system.logFiles(attempt.batchId, job.id)) {
      const res = await this.shell.exec(["tail", "-n", "20", posix.join(this.target.jobDir, rel)]);
      if (res.exitCode !== 0) continue;
      const lines = res.stdout.split("\n").filter((l) => /error|fail|exit code|not found|denied/i.test(l));
      if (lines.length) return lines.at(-1)!.trim().slice(0, 300);
    }
    return undefined;
  }

  /**
   * Fetches the outputs of finished jobs from the stage area into a temporary folder of the store,
   * checks every measurement and moves only valid ones into place (metadata first, CSV last). Jobs
   * whose measurements are all in the store become done; the others failed, with every problem.
   */
  async harvest(jobs: ManifestJob[], batch: Map<string, BatchStatus>): Promise<void> {
    if (jobs.length === 0) return;
    const listing = await this.stage.list();
    const tmp = makeTempDir("collect", join(storeRoot(), ".tmp"));
    try {
      await pool(jobs, FETCH_CONCURRENCY, async (job) => {
        const status = batch.get(job.attempts.at(-1)?.batchId ?? "");
        let result: Harvest;
        try {
          result = await this.harvestJob(job, listing.get(job.id) ?? new Set(), join(tmp, job.id));
        } catch (err) {
          result = { moved: 0, problems: [errorMessage(err)] };
        }
        if (this.missing(job).length === 0) {
          job.state = "done";
          job.reason = undefined;
          return;
        }
        // the job's own exit code (status file) explains missing outputs; the batch system's view adds
        // what the job cannot report itself (signals, time limits, removal)
        const reasons: string[] = [...result.problems];
        const exited = result.problems.some((p) => p.startsWith("exit code"));
        if (status?.reason && !(exited && status.exitCode !== undefined)) reasons.unshift(status.reason);
        else if (status?.exitCode && !exited) reasons.unshift(`exit code ${status.exitCode}`);
        if (status?.state === "failed" || exited) {
          const tail = await this.logTail(job).catch(() => undefined);
          if (tail) reasons.push(`log: ${tail}`);
        }
        job.state = "failed";
        job.reason = [...new Set(reasons)].join("; ");
      });
    } finally {
      rmSync(tmp, { recursive: true, force: true });
      writeManifest(this.manifest);
    }
  }

  private async harvestJob(job: ManifestJob, files: Set<string>, tmp: string): Promise<Harvest> {
    const problems: string[] = [];
    let moved = 0;
    let failed = false;
    if (files.size > 0) await this.stage.fetchJob(job.id, [...files], tmp);
    if (files.has("status")) {
      const status = readFileSync(join(tmp, "status"), "utf8");
      const code = /exit_code=(\d+)/.exec(status)?.[1];
      const step = /step=(.*)/.exec(status)?.[1];
      if (code && code !== "0") {
        failed = true;
        problems.push(`exit code ${code}${step ? ` in ${step}` : ""}`);
      }
    } else if (files.size === 0) {
      return {
        moved,
        problems: [`no outputs at ${this.stage.describe(job.id)} (the job ended without staging out)`],
      };
    }
    for (const i of this.missing(job)) {
      const m = this.scan.measurements[i]!;
      const [csvTarget, jsonTarget] = this.outputsOf(i);
      const names = [posix.basename(jsonTarget), posix.basename(csvTarget)].map((b) => `m${i}/${b}`);
      const absent = names.filter((n) => !files.has(n));
      if (absent.length > 0) {
        // after a failure, missing outputs are its consequence, not news
        if (!failed) {
          problems.push(
            absent.length === 1
              ? `missing ${this.stage.describe(job.id, absent[0])}`
              : `missing ${absent.join(", ")} in ${this.stage.describe(job.id)}`,
          );
        }
        continue;
      }
      const [json, csv] = names.map((n) => join(tmp, n)) as [string, string];
      const run = runSettings(this.scan.values);
      const problem = checkMeasurement(csv, json, expectedRows(m.batchSize, run, run.repeats));
      if (problem) {
        problems.push(`${this.stage.describe(job.id, names[1])}: ${problem}`);
        continue;
      }
      moveIntoPlace(json, jsonTarget);
      moveIntoPlace(csv, csvTarget);
      moved++;
    }
    return { moved, problems };
  }
}

/** Connects to a target's submit host with a clear error when it is unreachable. */
export async function connect(target: Target): Promise<Shell> {
  try {
    return await openShell(target);
  } catch (err) {
    if (err instanceof MlprofError) throw err;
    throw new MlprofError(`cannot connect to the submit host: ${errorMessage(err)}`);
  }
}
