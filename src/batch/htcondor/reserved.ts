/**
 * The submit commands MLProf writes into every HTCondor submit file itself
 * (condor-templates/htcondor/submit.sub.njk): given again through --batch-extra they would override what
 * collect relies on (logs, output transfer, the job's folder) or the requests of MLProf's own options.
 */
import { MlprofError } from "../../util/errors.js";
import { shown } from "../values.js";

/** Command (lower case, without + or MY.) → why MLProf owns it. */
const RESERVED: Record<string, string> = {
  universe: "jobs run in the vanilla universe",
  executable: "every job runs the scan's job.sh",
  arguments: "job.sh takes the job id and its measurements",
  batch_name: "collect and cancel find the scan's jobs by it",
  initialdir: "the outputs come back to the job folder's outputs/",
  output: "collect reads the job logs in the job folder's logs/",
  error: "collect reads the job logs in the job folder's logs/",
  log: "the submission's user log identifies its cluster",
  should_transfer_files: "the outputs come back by file transfer",
  when_to_transfer_output: "the outputs come back when the job ends",
  transfer_input_files: "MLProf sends the job's files; use --worker-tarball",
  transfer_output_files: "collect reads the job's folder of outputs",
  transfer_output_remaps: "collect reads the outputs where the job leaves them",
  output_destination: "collect reads the outputs where the job leaves them; use --stage-out xrootd",
  request_cpus: "use --request-cpus",
  request_memory: "use --request-memory",
  jobflavour: "use --job-flavour",
  maxruntime: "use --walltime",
  wantos: "use --worker-os",
  use_x509userproxy: "use --x509-proxy",
  max_materialize: "use --parallel-jobs",
  queue: "MLProf queues one job per row of the job table",
};

/** Refuses an --batch-extra submit command that MLProf sets itself (+Attr and MY.Attr alike). */
export function checkCondorExtra(line: string): string {
  const m = /^\s*([+A-Za-z_][A-Za-z0-9_.]*)\s*=/.exec(line);
  const command = m?.[1]?.replace(/^\+|^MY\./i, "").toLowerCase();
  if (command && command in RESERVED) {
    throw new MlprofError(
      `--batch-extra (htcondor): '${m![1]}' is set by MLProf in every submit file (${RESERVED[command]}), found ${shown(line)}`,
    );
  }
  return line;
}
