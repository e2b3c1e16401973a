import type { Shell } from "../remote/shell.js";
import type { ParamSet, Values } from "../framework/parameters.js";

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

/** Resource requests every batch system renders into its submit files. */
export interface CommonSettings {
  requestCpus: number;
  requestMemoryMb: number;
  /** Extra lines for the submit file (HTCondor commands or #SBATCH options). */
  extra: string[];
}

/** The settings of a submission: the common ones and the system's own (flat, as the templates read them). */
export type SubmitSettings = CommonSettings & Record<string, unknown>;

/** What a system's settings may depend on besides its options. */
export interface SettingsContext {
  /** The scan's SCRAM architectures (e.g. for the worker OS). */
  archs: string[];
  /** The submit host; undefined in a dry run over SSH, which connects nowhere. */
  shell?: Shell;
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
 * One batch system: its own options and settings, a job-file factory (the submit file of a submission,
 * from its template in condor-templates/<name>/) and a job manager (submit, query, cancel through its
 * command-line tools on a Shell, parsing their output). Adding a system means adding a folder with a
 * module that defines one of these and a line in batch/registry.ts.
 */
export interface BatchSystem {
  readonly name: string;
  /** One line for help texts. */
  readonly summary: string;
  /** Stage-out modes this system supports; the first is the default. */
  readonly stageOutModes: readonly StageOutMode[];
  /** Most jobs in one submission (its job table). */
  readonly maxRows: number;
  /** Files sent with each job travel through the batch system (HTCondor's transfer_input_files). */
  readonly transfersInput: boolean;
  /** The options of `mlprof submit` this system owns. */
  readonly params: ParamSet;
  /** The system's settings from its options (raw values keyed by flag). */
  settings(raw: Record<string, unknown>, ctx: SettingsContext): Promise<Record<string, unknown>>;
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

/** The definition of a batch system with typed options; `settings` receives its converted values. */
export type BatchSystemDefinition<P extends ParamSet> = Omit<BatchSystem, "params" | "settings"> & {
  params: P;
  settings(values: Values<P>, ctx: SettingsContext): Promise<object>;
};

/** The job table of a submission: one "<job id> <items>" line per job. */
export function jobTable(rows: JobRow[]): string {
  return rows.map((r) => `${r.jobId} ${r.items}\n`).join("");
}
