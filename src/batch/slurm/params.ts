/** The options of `mlprof submit` that Slurm owns, and its settings. */
import { param, type Values } from "../../framework/parameters.js";

export const SLURM_PARAMS = {
  partition: param.string({
    flag: "slurm-partition",
    default: "",
    description: "Slurm partition (default: the cluster's default)",
  }),
  timeLimit: param.string({
    flag: "slurm-time",
    default: "01:00:00",
    description: "Slurm time limit per job",
  }),
};

/** Slurm's part of the submission settings. */
export interface SlurmSettings {
  partition: string;
  timeLimit: string;
}

/** Slurm's settings from its options. */
export function slurmSettings(v: Values<typeof SLURM_PARAMS>): Promise<SlurmSettings> {
  return Promise.resolve({ partition: v.partition, timeLimit: v.timeLimit });
}
