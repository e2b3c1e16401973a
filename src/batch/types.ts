import type { Shell } from "../remote/shell.js";

/** How finished jobs hand their outputs back (see condor-templates/stageout/). */
export type StageOutMode = "transfer" | "shared" | "xrootd";

/** A batch job's state as MLProf needs it; "gone" means the system no longer knows the id. */
export type BatchState = "pending" | "running" | "held" | "finished" | "failed" | "gone";

/** State of one batch job, with the exit code and a reason (hold reason, failure state) when known. */
export interface BatchStatus {
  state: BatchState;
  exitCode?: number;
  reason?: string;
}

/** One row of a submission's job table: the job id and its measurements ("3+4+5"). */
export interface JobRow {
  jobId: string;
  items: string;
}

/** Resource requests and site conventions rendered into the submit files. */
export interface SubmitSettings {
  requestCpus: number;
  requestMemoryMb: number;
  /** HTCondor +JobFlavour (lxbatch wall-time class). */
  jobFlavour: string;
  /** Worker OS (MY.WantOS on lxbatch), derived from the SCRAM architecture unless given. */
  workerOs: string;
  /** Pass the grid proxy (use_x509userproxy). */
  x509Proxy: boolean;
  /** Slurm partition and time limit. */
  partition: string;
  timeLimit: string;
  /** Extra lines for the submit file (HTCondor commands or #SBATCH options). */
  extra: string[];
}

/** Everything a submit file needs for one submission of a scan. */
export interface SubmitFileContext {
  scan: string;
  version: string;
  /** Submission number (1, 2, ...): names submit_<n>.* and jobs_<n>.txt. */
  n: number;
  /** The job folder on the submit host. */
  jobDir: string;
  /** Batch job name shared by the scan's jobs (squeue -n, condor batch_name). */
  jobName: string;
  rows: JobRow[];
  stageOut: StageOutMode;
  /** Files sent with each job (HTCondor transfer_input_files), absolute on the submit host. */
  transferInput: string[];
  settings: SubmitSettings;
}

/** A generated file of a job folder: its path relative to the folder, content and mode. */
export interface GeneratedFile {
  path: string;
  content: string;
  mode?: number;
}

/**
 * One batch system: a job-file factory (the submit file of a submission) and a job manager (submit,
 * query, cancel through its command-line tools on a Shell, parsing their output). Adding a system
 * means adding a folder with a module that exports one of these and registering it in batch/index.ts.
 */
export interface BatchSystem {
  readonly name: string;
  /** Stage-out modes this system supports; the first is the default. */
  readonly stageOutModes: readonly StageOutMode[];
  /** The submit file of one submission (its job table is written next to it). */
  submitFile(ctx: SubmitFileContext): GeneratedFile;
  /** Submits a rendered submission; returns the batch id of each row, in row order. */
  submit(shell: Shell, ctx: SubmitFileContext, env: Record<string, string>): Promise<string[]>;
  /** States of batch ids (ids the system has forgotten are "gone"). */
  query(
    shell: Shell,
    ids: string[],
    env: Record<string, string>,
    jobName: string,
  ): Promise<Map<string, BatchStatus>>;
  /** Removes jobs from the system (held ones before a resubmission). */
  cancel(shell: Shell, ids: string[], env: Record<string, string>): Promise<void>;
  /** The job's stdout/stderr files relative to the job folder, newest attempt, for failure messages. */
  logFiles(batchId: string, jobId: string): string[];
}

/** The job table of a submission: one "<job id> <items>" line per job. */
export function jobTable(rows: JobRow[]): string {
  return rows.map((r) => `${r.jobId} ${r.items}\n`).join("");
}
