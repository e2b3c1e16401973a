import { MlprofError } from "../util/errors.js";
import { htcondor } from "./htcondor/index.js";
import { slurm } from "./slurm/index.js";
import type { BatchSystem } from "./types.js";

/** The batch systems `mlprof submit` knows; adding one means adding a folder and a line here. */
export const BATCH_SYSTEMS: Record<string, BatchSystem> = { htcondor, slurm };

/** The batch system of a name, with a clear error for unknown ones. */
export function getBatchSystem(name: string): BatchSystem {
  const system = BATCH_SYSTEMS[name];
  if (!system) {
    throw new MlprofError(
      `--batch-system: expected one of ${Object.keys(BATCH_SYSTEMS).join(", ")}, found '${name}'`,
    );
  }
  return system;
}
