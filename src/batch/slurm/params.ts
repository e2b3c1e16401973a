/** The options of `mlprof submit` that Slurm owns, and its settings. */
import { param, type Values } from "../../framework/parameters.js";
import type { SettingsContext } from "../system.js";
import { checkToken } from "../values.js";
import { parseWalltime, slurmTime } from "../walltime.js";

/** Slurm's time limit when neither --walltime nor --slurm-time is given. */
const DEFAULT_TIME_S = 3600;

export const SLURM_PARAMS = {
  partition: param.string({
    flag: "slurm-partition",
    default: "",
    defaultText: "the cluster's default",
    description: "Slurm partition(s), comma-separated",
    check: (v) =>
      void (
        v &&
        checkToken(
          "--slurm-partition",
          v,
          /^[A-Za-z0-9_.-]+(,[A-Za-z0-9_.-]+)*$/,
          "partition names such as short or short,long",
        )
      ),
  }),
  timeLimit: param.string({
    flag: "slurm-time",
    default: "",
    defaultText: "--walltime, else 1:00:00",
    description: "Slurm time limit per job",
    check: (v) => void (v && parseWalltime("--slurm-time", v)),
  }),
};

/** Slurm's part of the submission settings. */
export interface SlurmSettings {
  partition: string;
  /** --time of the jobs. */
  timeLimit: string;
  /** The wall time a job may take, seconds. */
  walltimeS: number;
}

/** Slurm's settings from its options: the time limit from --slurm-time, else --walltime. */
export function slurmSettings(v: Values<typeof SLURM_PARAMS>, ctx: SettingsContext): Promise<SlurmSettings> {
  const walltimeS = v.timeLimit
    ? parseWalltime("--slurm-time", v.timeLimit)
    : (ctx.walltimeS ?? DEFAULT_TIME_S);
  return Promise.resolve({ partition: v.partition, timeLimit: slurmTime(walltimeS), walltimeS });
}
