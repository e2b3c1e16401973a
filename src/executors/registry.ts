/** The executors a measurement can run with: adding one means adding its module and a line here. */
import { MlprofError } from "../util/errors.js";
import { cmsswExecutor } from "./cmssw.js";
import type { Executor } from "./executor.js";
import { localExecutor } from "./local.js";

/** Every executor; the first is the default. */
export const EXECUTORS: readonly Executor[] = [localExecutor, cmsswExecutor];

/** The names of the executors. */
export function executorNames(): string[] {
  return EXECUTORS.map((e) => e.name);
}

/** The executor of a name, with a clear error for unknown names. */
export function getExecutor(name: string): Executor {
  const executor = EXECUTORS.find((e) => e.name === name);
  if (!executor)
    throw new MlprofError(`--executor: expected one of ${executorNames().join(", ")}, found '${name}'`);
  return executor;
}
