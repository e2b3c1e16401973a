import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, posix } from "node:path";
import { getBatchSystem } from "../batch/registry.js";
import type {
  BatchContext,
  BatchStatus,
  BatchSystem,
  GeneratedFile,
  JobRow,
  SubmitFileContext,
  SubmitSettings,
} from "../batch/system.js";
import { storeRoot } from "../paths.js";
import { storeFailure } from "../store.js";
import { LocalShell, execOrThrow, type Shell } from "../remote/shell.js";
import { SshShell } from "../remote/ssh.js";
import { ShellStageArea, XrdStageArea, type StageArea } from "../remote/stage.js";
import { MlprofError, errorMessage } from "../util/errors.js";
import { makeTempDir, writeError } from "../util/fs.js";
import { pool } from "../util/pool.js";
import { submissionFiles } from "./jobfiles.js";
import {
  inState,
  scanDir,
  setJobState,
  writeManifest,
  type Manifest,
  type ManifestJob,
  type RunFacts,
  type Target,
} from "./manifest.js";
import { measurementTask, type Scan } from "./scan.js";
import { checkMeasurement } from "./validate.js";
import { runSettings } from "../tasks/mixins/runtime.js";

/** Batch ids per status query. */
const QUERY_CHUNK = 500;
/** Jobs whose outputs are fetched at the same time. */
const FETCH_CONCURRENCY = 8;
/** Lines of a failed job's log shown in the failure table. */
const LOG_TAIL_LINES = 3;
/** A job held or killed for memory is resubmitted with twice the memory, up to this many times the first. */
const MAX_MEMORY_FACTOR = 16;

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

/**
 * Moves a checked file into the store (a rename within the store's file system: atomic). A failure is a
 * FileWriteError of the target with its real cause (a read-only store, not the ENOENT of a recursive mkdir),
 * which storeFailure names as the store's.
 */
function moveIntoPlace(from: string, to: string): void {
  try {
    mkdirSync(dirname(to), { recursive: true });
    renameSync(from, to);
  } catch (err) {
    throw writeError(to, err);
  }
}

/** What a job's status file says (job.sh writes it last, also when the job is killed). */
export interface JobStatusFile {
  exitCode?: number;
  step?: string;
  /** The signal that stopped the job (TERM, INT, ...), when one did. */
  signal?: string;
  run?: RunFacts;
}

/** Parses a status file of job.sh (key=value lines). */
export function parseStatusFile(text: string): JobStatusFile {
  const kv: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([a-z_]+)=(.*)$/.exec(line.trim());
    if (m) kv[m[1]!] = m[2]!;
  }
  const loads = (v?: string) => (v ? v.split(/\s+/).map(Number).filter(Number.isFinite) : undefined);
  const code =
    kv["exit_code"] !== undefined && /^\d+$/.test(kv["exit_code"]) ? Number(kv["exit_code"]) : undefined;
  return {
    exitCode: code,
    step: kv["step"] || undefined,
    signal: kv["signal"] || undefined,
    run:
      kv["host"] && kv["started"] && kv["finished"]
        ? {
            host: kv["host"],
            started: kv["started"],
            finished: kv["finished"],
            loadStart: loads(kv["load_start"]),
            loadEnd: loads(kv["load_end"]),
            cpusAllowed: kv["cpus_allowed"] ?? "",
            pinned: kv["pinned"] ?? "",
            ...(kv["node_cpu_model"] ? { nodeCpuModel: kv["node_cpu_model"] } : {}),
            ...(/^[1-9]\d*$/.test(kv["node_cpus"] ?? "") ? { nodeCpus: Number(kv["node_cpus"]) } : {}),
          }
        : undefined,
  };
}

/** What harvesting one job found. */
interface Harvest {
  moved: number;
  problems: string[];
  status?: JobStatusFile;
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

  /** Where queries and removals go (with the schedd recorded at submission). */
  get batchContext(): BatchContext {
    return { env: this.target.batchEnv, jobName: this.target.jobName, settings: this.target.settings };
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
      if (job.state !== "done" && !inState(job, "queued") && this.missing(job).length === 0) {
        setJobState(this.manifest, job, "done", { reason: undefined });
        changed++;
      }
    }
    if (changed && save) writeManifest(this.manifest);
    return changed;
  }

  /** Jobs of the scan in the queue now. */
  queued(): number {
    return this.manifest.jobs.filter((j) => inState(j, "queued")).length;
  }

  /** How many more jobs may be queued under --parallel-jobs (Infinity without it). */
  capacity(): number {
    const limit = this.target.settings.parallelJobs;
    return limit > 0 ? Math.max(0, limit - this.queued()) : Infinity;
  }

  /** The job-table rows of jobs: their missing measurements and their architecture. */
  rows(jobs: ManifestJob[]): JobRow[] {
    return jobs.map((j) => ({
      jobId: j.id,
      items: this.missing(j).join("+"),
      arch: this.scan.archs[this.scan.measurements[j.measurements[0]!]!.arch]!,
    }));
  }

  /** The submit-file context of a submission (its settings: the target's, possibly with more memory). */
  submissionContext(
    n: number,
    rows: JobRow[],
    settings: SubmitSettings = this.target.settings,
  ): SubmitFileContext {
    const t = this.target;
    const limit = settings.parallelJobs;
    return {
      scan: this.scan.name,
      version: this.scan.version,
      n,
      jobDir: t.jobDir,
      jobName: t.jobName,
      rows,
      stageOut: t.stageOut,
      transferInput: t.transferInput,
      settings,
      throttle: limit > 0 ? Math.min(limit, rows.length) : 0,
      transferConfigs: this.scan.values.executor === "cmssw" && this.system.transfersInput,
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
   * Writes many generated files into the job folder: over SSH they travel as one tar.gz unpacked on the
   * submit host (a thousand configs by SFTP one by one would take minutes).
   */
  async putFiles(files: GeneratedFile[], what: string): Promise<void> {
    if (!this.target.ssh) {
      for (const f of files)
        await this.shell.putFile(posix.join(this.target.jobDir, f.path), f.content, f.mode);
      return;
    }
    const local = new LocalShell();
    for (const f of files) await local.putFile(join(this.localJobDir, f.path), f.content, f.mode);
    const bundle = join(makeTempDir("upload", join(storeRoot(), ".tmp")), "files.tar.gz");
    try {
      const list = `${bundle}.list`;
      writeFileSync(list, files.map((f) => f.path).join("\n") + "\n");
      await execOrThrow(
        local,
        ["tar", "-czf", bundle, "-C", this.localJobDir, "--files-from", list],
        `packing ${what}`,
      );
      const remote = posix.join(this.target.jobDir, `.upload-${process.pid}.tar.gz`);
      await this.shell.putLocalFile(bundle, remote);
      await execOrThrow(
        this.shell,
        ["sh", "-c", 'tar -xzf "$1" -C "$2" && rm -f "$1"', "sh", remote, this.target.jobDir],
        `unpacking ${what} on the submit host`,
      );
    } finally {
      rmSync(dirname(bundle), { recursive: true, force: true });
    }
  }

  /**
   * Submits jobs (their measurements still missing from the store), in submissions of at most the
   * system's maxRows, one per memory request (jobs held for memory ask for more): the job table and
   * submit file are written, the jobs marked "submitting" in the manifest, then submitted and their
   * batch ids recorded, with what the submission taught (the HTCondor schedd).
   */
  async submit(jobs: ManifestJob[], onSubmitted?: (n: number, count: number) => void): Promise<void> {
    const maxRows = this.system.maxRows;
    const byMemory = new Map<number, ManifestJob[]>();
    for (const job of jobs) {
      const mem = job.requestMemoryMb ?? this.target.settings.requestMemoryMb;
      if (!byMemory.has(mem)) byMemory.set(mem, []);
      byMemory.get(mem)!.push(job);
    }
    for (const [mem, group] of byMemory) {
      for (let start = 0; start < group.length; start += maxRows) {
        const chunk = group.slice(start, start + maxRows);
        const n = this.manifest.submissions + 1;
        const settings = { ...this.target.settings, requestMemoryMb: mem };
        const ctx = this.submissionContext(n, this.rows(chunk), settings);
        for (const f of submissionFiles(this.system, ctx)) await this.putFile(f.path, f.content, f.mode);
        for (const job of chunk) {
          if (job.attempts.length > 0) await this.stage.clear(job.id);
          setJobState(this.manifest, job, "submitting");
        }
        this.manifest.submissions = n;
        writeManifest(this.manifest);
        let ids: string[];
        try {
          const result = await this.system.submit(this.shell, ctx, this.target.batchEnv);
          ids = result.ids;
          if (result.recorded) Object.assign(this.target.settings, result.recorded);
        } catch (err) {
          for (const job of chunk) {
            setJobState(this.manifest, job, job.attempts.length ? "failed" : "created", {
              reason: `submission ${n} failed: ${errorMessage(err)}`,
            });
          }
          writeManifest(this.manifest);
          throw err;
        }
        const at = new Date().toISOString();
        chunk.forEach((job, i) => {
          job.attempts.push({ batchId: ids[i]!, submission: n, at });
          setJobState(this.manifest, job, "pending", { reason: undefined });
          job.final = undefined;
          job.overlaps = undefined;
        });
        writeManifest(this.manifest);
        onSubmitted?.(n, chunk.length);
      }
    }
  }

  /**
   * Settles the jobs a run left "submitting" (it stopped between handing submission n to the batch system
   * and recording its batch ids), so that each is neither lost nor submitted twice: the batch system is
   * asked for submission n (by its submit file, see BatchSystem.findSubmission); found, each job gets the
   * batch id of its row of jobs_<n>.txt and is pending (collect follows it as any other); not found, the
   * submission never reached the batch system and the job goes back to created (failed when it ran
   * before), to be submitted once more. A batch system that cannot be asked is an error and changes
   * nothing. Returns a line per job saying what became of it.
   */
  async settleInterrupted(): Promise<string[]> {
    const stuck = this.manifest.jobs.filter((j) => j.state === "submitting");
    if (stuck.length === 0) return [];
    const n = this.manifest.submissions;
    const table = join(this.localJobDir, `jobs_${n}.txt`);
    const rows = existsSync(table)
      ? readFileSync(table, "utf8")
          .split("\n")
          .filter((l) => l.trim())
          .map((l) => l.trim().split(/\s+/)[0]!)
      : [];
    const ids =
      rows.length > 0
        ? await this.system.findSubmission(
            this.shell,
            { n, jobDir: this.target.jobDir, rows: rows.length },
            this.batchContext,
          )
        : undefined;
    const at = new Date().toISOString();
    const lines: string[] = [];
    for (const job of stuck) {
      const row = rows.indexOf(job.id);
      const batchId = ids && row >= 0 ? ids[row] : undefined;
      if (batchId) {
        job.attempts.push({ batchId, submission: n, at });
        setJobState(this.manifest, job, "pending", { reason: undefined });
        job.final = undefined;
        job.overlaps = undefined;
        lines.push(
          `${job.id}: submission ${n} was interrupted before its batch id was recorded; ${this.system.name} has it as ${batchId}`,
        );
      } else {
        const reason = `submission ${n} was interrupted before it reached ${this.system.name}`;
        setJobState(this.manifest, job, job.attempts.length ? "failed" : "created", { reason });
        job.final = undefined;
        lines.push(`${job.id}: ${reason}; it is submitted again`);
      }
    }
    writeManifest(this.manifest);
    return lines;
  }

  /** Batch states of the current attempts of jobs (in chunks). */
  async query(jobs: ManifestJob[]): Promise<Map<string, BatchStatus>> {
    const ids = jobs.map((j) => j.attempts.at(-1)?.batchId).filter((id): id is string => !!id);
    const out = new Map<string, BatchStatus>();
    for (let i = 0; i < ids.length; i += QUERY_CHUNK) {
      const part = await this.system.query(this.shell, ids.slice(i, i + QUERY_CHUNK), this.batchContext);
      for (const [k, v] of part) out.set(k, v);
    }
    return out;
  }

  /** Removes jobs from the batch system (their current attempts). */
  async cancel(jobs: ManifestJob[]): Promise<void> {
    const ids = jobs.map((j) => j.attempts.at(-1)?.batchId).filter((id): id is string => !!id);
    for (let i = 0; i < ids.length; i += QUERY_CHUNK)
      await this.system.cancel(this.shell, ids.slice(i, i + QUERY_CHUNK), this.batchContext);
  }

  /** Doubles the memory a job asks for after a hold or kill for memory (up to 16 times the first). */
  moreMemory(job: ManifestJob): number | undefined {
    const base = this.target.settings.requestMemoryMb;
    const now = job.requestMemoryMb ?? base;
    if (now * 2 > base * MAX_MEMORY_FACTOR) return undefined;
    job.requestMemoryMb = now * 2;
    return job.requestMemoryMb;
  }

  /**
   * The last lines of a failed job's logs: its log files are copied from the submit host into the scan's
   * folder (logs/<job id>/) and the last lines that say something are returned.
   */
  async fetchLogs(job: ManifestJob): Promise<string[]> {
    const attempt = job.attempts.at(-1);
    if (!attempt) return [];
    const local = join(scanDir(this.scan.name, this.scan.version), "logs", job.id);
    const tails: string[] = [];
    for (const rel of this.system.logFiles(attempt.batchId, job.id)) {
      const remote = posix.join(this.target.jobDir, rel);
      const to = join(local, posix.basename(rel));
      try {
        if (remote !== to) await this.shell.getFile(remote, to);
      } catch {
        continue;
      }
      const path = existsSync(to) ? to : remote;
      if (!existsSync(path)) continue;
      const lines = readFileSync(path, "utf8")
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l && !/^MLProf job .*: (measurements|CPUs allowed)/.test(l));
      tails.push(...lines.slice(-LOG_TAIL_LINES).map((l) => `${posix.basename(rel)}: ${l.slice(0, 200)}`));
    }
    return tails.slice(-LOG_TAIL_LINES * 2);
  }

  /**
   * Fetches the outputs of ended jobs from the stage area into a temporary folder of the store, checks
   * every measurement against what the manifest gave the job and moves only valid ones into place
   * (metadata first, CSV last). Jobs whose measurements are all in the store become done; the others
   * failed, with every problem; a job removed by hand (condor_rm, scancel) becomes cancelled. A write
   * the store refuses (full disk, read-only) is the store's error (storeFailure), and changes no job.
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
          result = await this.harvestJob(
            job,
            listing.files.get(job.id) ?? new Set(),
            listing.refused.get(job.id) ?? [],
            join(tmp, job.id),
          );
        } catch (err) {
          // the store that cannot take a write (full, read-only) stops collect: it is no fault of the job's
          const failure = storeFailure(err);
          if (failure) throw failure;
          result = { moved: 0, problems: [errorMessage(err)] };
        }
        const attempt = job.attempts.at(-1);
        if (attempt && result.status?.run) attempt.run = result.status.run;
        if (this.missing(job).length === 0) {
          setJobState(this.manifest, job, "done", { reason: undefined });
          job.logTail = undefined;
          return;
        }
        // the job's own exit code (status file) explains missing outputs; the batch system's view adds
        // what the job cannot report itself (signals, time limits, removal)
        const reasons: string[] = [...result.problems];
        const exited = result.problems.some((p) => /^(exit code|killed by)/.test(p));
        if (status?.reason && !(exited && status.exitCode !== undefined)) reasons.unshift(status.reason);
        else if (status?.exitCode && !exited) reasons.unshift(`exit code ${status.exitCode}`);
        if (status?.state === "failed" || exited) {
          job.logTail = await this.fetchLogs(job).catch(() => []);
        }
        const reason = [...new Set(reasons)].join("; ");
        if (status?.removedByUser) {
          setJobState(this.manifest, job, "cancelled", {
            reason: `removed by hand (${reason}); mlprof collect --resubmit-cancelled runs it again`,
          });
        } else {
          setJobState(this.manifest, job, "failed", { reason });
          if (status?.outOfMemory) {
            const mem = this.moreMemory(job);
            if (mem) job.reason += `; the next attempt asks for ${mem} MB`;
          }
        }
      });
    } finally {
      rmSync(tmp, { recursive: true, force: true });
      writeManifest(this.manifest);
    }
  }

  private async harvestJob(
    job: ManifestJob,
    files: Set<string>,
    refused: string[],
    tmp: string,
  ): Promise<Harvest> {
    // links that lead out of the stage area (or to nothing) are named as such, never as missing files
    const problems: string[] = refused.map((r) => `${this.stage.describe(job.id)}: ${r}`);
    const isRefused = (rel: string) => refused.some((r) => r.startsWith(`${rel} is `));
    let moved = 0;
    let failed = false;
    let status: JobStatusFile | undefined;
    if (files.size > 0) await this.stage.fetchJob(job.id, [...files], tmp);
    if (files.has("status")) {
      status = parseStatusFile(readFileSync(join(tmp, "status"), "utf8"));
      const where = status.step ? ` during ${status.step}` : "";
      if (status.signal) {
        // a killed job hands back its status alone; whatever else lies there is not a result
        return {
          moved,
          status,
          problems: [
            `killed by SIG${status.signal}${where} (exit code ${status.exitCode ?? "?"}); nothing of it enters the store`,
          ],
        };
      }
      if (status.exitCode !== undefined && status.exitCode !== 0) {
        failed = true;
        problems.push(`exit code ${status.exitCode}${status.step ? ` in ${status.step}` : ""}`);
      }
    } else if (files.size === 0 && refused.length === 0) {
      return {
        moved,
        problems: [`no outputs at ${this.stage.describe(job.id)} (the job ended without staging out)`],
      };
    }
    const run = runSettings(this.scan.values);
    const models = this.manifest.models;
    for (const i of this.missing(job)) {
      const m = this.scan.measurements[i]!;
      const [csvTarget, jsonTarget] = this.outputsOf(i);
      const names = [posix.basename(jsonTarget), posix.basename(csvTarget)].map((b) => `m${i}/${b}`);
      const absent = names.filter((n) => !files.has(n) && !isRefused(n));
      if (names.some(isRefused)) continue;
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
      const model = models?.[m.model];
      const problem = checkMeasurement(csv, json, {
        batchSize: m.batchSize,
        run,
        engine: model?.engine ?? "",
        graphSha256: model?.graphSha256 ?? "",
        release: this.scan.releases[m.release]!,
        scramArch: this.scan.archs[m.arch]!,
      });
      if (problem) {
        problems.push(`${this.stage.describe(job.id, names[1])}: ${problem}`);
        continue;
      }
      moveIntoPlace(json, jsonTarget);
      moveIntoPlace(csv, csvTarget);
      moved++;
    }
    return { moved, problems, status };
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
