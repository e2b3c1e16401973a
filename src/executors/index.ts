import { MlprofError } from "../util/errors.js";
import { cmsswExecutor } from "./cmssw.js";
import { measureLocally, type MeasurementRequest } from "./local.js";

/** Where a measurement runs: "local" measures in the engines installed here. */
export interface Executor {
  readonly name: string;
  /** Runs one measurement and writes req.csvPath and req.metaPath, or nothing on failure. */
  measure(req: MeasurementRequest): Promise<void>;
}

const executors: Record<string, Executor> = {
  local: { name: "local", measure: measureLocally },
  cmssw: cmsswExecutor,
};

/** The executor of a name, with a clear error for unknown ones. */
export function getExecutor(name: string): Executor {
  const executor = executors[name];
  if (!executor)
    throw new MlprofError(
      `--executor: expected one of ${Object.keys(executors).join(", ")}, found '${name}'`,
    );
  return executor;
}
