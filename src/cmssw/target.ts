import type { PreparationMeta } from "../measure/job.js";
import type { RunSettings } from "../measure/run.js";
import type { InputSpec, ModelSpec } from "../model/spec.js";

/** What an engine is asked when a measurement runs in cmsRun. */
export interface CmsswTargetRequest<S = unknown> {
  spec: ModelSpec<S>;
  batchSize: number;
  run: RunSettings;
  cmsswVersion: string;
  scramArch: string;
  progress: (message: string) => void;
}

/**
 * What a cmsRun measurement runs on: the area, the model, its inputs and outputs, and engine extras (`F`:
 * the engine's own preparation facts).
 */
export interface CmsswTarget<F extends object = object> {
  area: string;
  /** The graph file, or the SavedModel folder of a tfaot model. */
  graphPath: string;
  /** The file whose hash the metadata records. */
  graphFile: string;
  inputs: InputSpec[];
  outputs: string[];
  /** tfaot: the rules "target:size1,size2,..." registered with tfaot::Model::setBatchRule. */
  batchRules?: string[];
  preparation?: PreparationMeta & F;
}
