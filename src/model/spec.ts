/** The validated content of a model file: what every engine and task reads of it. */

/** Element types an input may have. */
export const DTYPES = ["float32", "float64", "int32", "int64", "bool"] as const;
export type DType = (typeof DTYPES)[number];

/** One declared model input. `shape` excludes the batch dimension when `batched`. */
export interface InputSpec {
  name: string;
  shape: number[];
  dtype: DType;
  /** When set, the input is constant (e.g. a training flag fed `false`) instead of drawn per event. */
  value?: number | boolean;
  /** Whether the input carries a leading batch dimension (default true). */
  batched: boolean;
  /** Range [low, high) of random integers for integer inputs (default [0, 10)). */
  range?: [number, number];
}

/** One declared model output. */
export interface OutputSpec {
  name: string;
}

/**
 * A validated model file; paths are absolute. `section` is the engine's own part of the file (e.g. the
 * graph file of onnx and tf, the SavedModel and compilation of tfaot), validated by the engine's folder.
 */
export interface ModelSpec<S = unknown> {
  yamlPath: string;
  name?: string;
  label?: string;
  version?: string;
  /** The yaml's inference_engine: the name of a registered engine. */
  engine: string;
  inputs: InputSpec[];
  outputs: OutputSpec[];
  section: S;
}
