/**
 * The sbatch options MLProf writes into every submit script itself (condor-templates/slurm/submit.sh.njk):
 * given again through --batch-extra they would override what collect relies on (the log path it reads,
 * the array of the job table, the job name it queries by) or the resource requests of its own options.
 */
import { MlprofError } from "../../util/errors.js";
import { shown } from "../values.js";

/** Long option → its short form (when it has one) and why MLProf owns it. */
const RESERVED: Record<string, { short?: string; why: string }> = {
  "job-name": { short: "J", why: "collect finds the scan's jobs by their name" },
  array: { short: "a", why: "each submission is one array over its job table" },
  output: { short: "o", why: "collect reads the job logs at logs/slurm-%A_%a.out" },
  error: { short: "e", why: "collect reads the job logs at logs/slurm-%A_%a.out, stderr included" },
  chdir: { short: "D", why: "jobs run in the job folder" },
  ntasks: { short: "n", why: "a timing job is one task" },
  "cpus-per-task": { short: "c", why: "use --request-cpus" },
  exclusive: { why: "use --cpu-isolation" },
  hint: { why: "use --cpu-isolation" },
  mem: { why: "use --request-memory" },
  "mem-per-cpu": { why: "MLProf sets --mem; use --request-memory" },
  "mem-per-gpu": { why: "MLProf sets --mem; use --request-memory" },
  time: { short: "t", why: "use --walltime or --slurm-time" },
  partition: { short: "p", why: "use --slurm-partition" },
  wrap: { why: "the submit script is MLProf's" },
  parsable: { why: "MLProf reads sbatch's output" },
};

/**
 * Refuses an --batch-extra sbatch option that MLProf sets itself, also abbreviated to three letters or
 * more (sbatch takes an unambiguous prefix of a long option: --out is --output) or in its short form
 * (-o, -ofile).
 */
export function checkSlurmExtra(line: string): string {
  const long = /^--([A-Za-z][\w-]*)/.exec(line);
  const short = long ? undefined : /^-([A-Za-z])/.exec(line)?.[1];
  const name = long
    ? Object.keys(RESERVED).find((k) => k === long[1] || (long[1]!.length >= 3 && k.startsWith(long[1]!)))
    : Object.keys(RESERVED).find((k) => RESERVED[k]!.short === short);
  if (name) {
    const given = long ? `--${long[1]}` : `-${short}`;
    const as = given === `--${name}` || short ? "" : ` (sbatch may read it as --${name})`;
    throw new MlprofError(
      `--batch-extra (slurm): ${given}${as} is set by MLProf in every submit script (${RESERVED[name]!.why}), found ${shown(line)}`,
    );
  }
  return line;
}
