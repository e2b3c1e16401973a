import type { EngineName, ModelSpec } from "../model/modelfile.js";
import type { MeasureJob, PreparationMeta } from "../measure/job.js";

/** How the parent starts a measurement process. */
export interface ProcessCommand {
  file: string;
  args: string[];
  env?: Record<string, string>;
}

/** Reports progress of long preparation steps (builds, compilations). */
export type ProgressFn = (message: string) => void;

/**
 * One inference engine of the local executor. Adding an engine means adding a folder with a module
 * exporting an EngineDriver and registering it in engines/index.ts.
 */
export interface EngineDriver {
  readonly name: EngineName;
  /** The model file the measurement process loads. */
  modelPath(model: ModelSpec): string;
  /**
   * Prepares what the measurement process needs (native runner, compiled model); cached between runs. May
   * complete the job (e.g. inputs taken from a compiled model) and return facts for the metadata.
   */
  prepare?(job: MeasureJob, model: ModelSpec, progress: ProgressFn): Promise<PreparationMeta | void>;
  /** The command of the measurement process for a job file. */
  command(jobFile: string): ProcessCommand;
}
