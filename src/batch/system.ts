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
  /** Removed from the queue by a person (condor_rm, scancel), not by the system: not resubmitted unasked. */
  removedByUser?: boolean;
  /** Held or ended for exceeding its memory: resubmitted with more memory. */
  outOfMemory?: boolean;
}

/** One row of a submission's job table: the job id, its measurements ("3+4+5") and their architecture. */
export interface JobRow {
  jobId: string;
  items: string;
  /** The SCRAM architecture of the job's measurements (one per job; the worker OS follows from it). */
  arch: string;
}

/** How a timing job keeps other jobs off the CPUs it measures on. */
export type CpuIsolation = "exclusive" | "cores" | "none";

/** Resource requests every batch system renders into its submit files. */
export interface CommonSettings {
  requestCpus: number;
  requestMemoryMb: number;
  /** Extra lines for the submit file (HTCondor commands or #SBATCH options). */
  extra: string[];
  /** The wall time a job may take, seconds (--walltime, else the system's own default or limit). */
  walltimeS: number;
  /** Most jobs of the scan in the queue at once (0: no limit). */
  parallelJobs: number;
  /** exclusive: the node to itself; cores: whole cores; none: what the system gives. */
  cpuIsolation: CpuIsolation;
}

/** The settings of a submission: the common ones and the system's own (flat, as the templates read them). */
export type SubmitSettings = CommonSettings & Record<string, unknown>;

/** What a system's settings may depend on besides its options. */
export interface SettingsContext {
  /** The scan's SCRAM architectures (e.g. for the worker OS). */
  archs: string[];
  /** The submit host (a dry run over SSH connects to it only when a setting needs it). */
  shell?: Shell;
  /** --walltime in seconds, when given. */
  walltimeS?: number;
  /** Variables set for every batch command. */
  env: Record<string, string>;
}

/** Where queries and removals of a scan's jobs go: its batch environment, job name and settings. */
export interface BatchContext {
  env: Record<string, string>;
  /** Batch job name shared by the scan's jobs (squeue -n, condor batch_name). */
  jobName: string;
  /** The submission settings, including what a submission recorded (the HTCondor schedd). */
  settings: SubmitSettings;
}

/** What a submission returns: the batch id of each row, and facts to keep for later commands. */
export interface SubmitResult {
  ids: string[];
  /** Settings learnt at submission (HTCondor: the schedd that took the jobs), merged into the target's. */
  recorded?: Record<string, string>;
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
  /** Files sent with each job (HTCondor transfer_input_files): absolute on the submit host, or xrootd URLs. */
  transferInput: string[];
  settings: SubmitSettings;
  /** Most jobs of this submission in the queue at once (0: no limit). */
  throttle: number;
  /** Each job's own inputs (configs/<job id>/: its cmsRun configs) go with it where files are sent. */
  transferConfigs: boolean;
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
  /** The --cpu-isolation modes the system can render (others become "none", with a note). */
  readonly cpuIsolations: readonly CpuIsolation[];
  /** The options of `mlprof submit` this system owns. */
  readonly params: ParamSet;
  /**
   * Why the settings need the submit host (a dry run over SSH then connects to it), or undefined when
   * they do not.
   */
  needsSubmitHost?(raw: Record<string, unknown>): string | undefined;
  /** The system's settings from its options (raw values keyed by flag), checked for the submit file. */
  settings(raw: Record<string, unknown>, ctx: SettingsContext): Promise<Record<string, unknown>>;
  /** The job table of one submission (jobs_<n>.txt); default: "<job id> <items>" per row. */
  jobTable?(ctx: SubmitFileContext): string;
  /** The submit file of one submission (its job table is written next to it). */
  submitFile(ctx: SubmitFileContext): GeneratedFile;
  /** Submits a rendered submission; returns the batch id of each row, in row order. */
  submit(shell: Shell, ctx: SubmitFileContext, env: Record<string, string>): Promise<SubmitResult>;
  /**
   * The batch ids of the rows of submission `n` (its submit file in `jobDir`), in row order, when the
   * system still knows it (queued, running or recently ended), else undefined: how a submission whose
   * ids were never recorded (the submitting run stopped) is found again.
   */
  findSubmission(
    shell: Shell,
    sub: { n: number; jobDir: string; rows: number },
    ctx: BatchContext,
  ): Promise<string[] | undefined>;
  /** States of batch ids (ids the system has forgotten are "gone"). */
  query(shell: Shell, ids: string[], ctx: BatchContext): Promise<Map<string, BatchStatus>>;
  /** Removes jobs from the system (held ones before a resubmission, a scan's by `mlprof cancel`). */
  cancel(shell: Shell, ids: string[], ctx: BatchContext): Promise<void>;
  /** The job's stdout/stderr files relative to the job folder, newest attempt, for failure messages. */
  logFiles(batchId: string, jobId: string): string[];
}

/** The definition of a batch system with typed options; `settings` receives its converted values. */
export type BatchSystemDefinition<P extends ParamSet> = Omit<
  BatchSystem,
  "params" | "settings" | "needsSubmitHost"
> & {
  params: P;
  settings(values: Values<P>, ctx: SettingsContext): Promise<object>;
  needsSubmitHost?(values: Values<P>): string | undefined;
};

/** The job table of a submission: one "<job id> <items>" line per job. */
export function jobTable(rows: JobRow[]): string {
  return rows.map((r) => `${r.jobId} ${r.items}\n`).join("");
}

/** The job table of a submission as its system writes it. */
export function systemJobTable(system: BatchSystem, ctx: SubmitFileContext): string {
  return system.jobTable ? system.jobTable(ctx) : jobTable(ctx.rows);
}
