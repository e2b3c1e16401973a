/** The batch systems `mlprof submit` knows; adding one means adding a folder and a line here. */
import { MlprofError } from "../util/errors.js";
import { htcondor } from "./htcondor/index.js";
import { slurm } from "./slurm/index.js";
import type { BatchSystem } from "./system.js";

/** Every batch system; the first is the default of `mlprof submit`. */
export const BATCH_SYSTEMS: readonly BatchSystem[] = [htcondor, slurm];

/** The names of the batch systems. */
export function batchSystemNames(): string[] {
  return BATCH_SYSTEMS.map((s) => s.name);
}

/** The batch system of a name, with a clear error for unknown ones. */
export function getBatchSystem(name: string): BatchSystem {
  const system = BATCH_SYSTEMS.find((s) => s.name === name);
  if (!system) {
    throw new MlprofError(
      `--batch-system: expected one of ${batchSystemNames().join(", ")}, found '${name}'`,
    );
  }
  return system;
}
