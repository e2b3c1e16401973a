/**
 * The ONNX Runtime library builds of --onnx-library, their record and the onnx fields of a job file (no
 * imports: the CLI, records and the measurement process use it).
 */

/** The builds of the ONNX Runtime library MLProf can measure (--onnx-library), the default first. */
export const ONNX_LIBRARIES = ["pypi", "npm"] as const;
export type OnnxLibraryKind = (typeof ONNX_LIBRARIES)[number];

/** The library a measurement process loads, as recorded in its metadata. */
export interface OnnxLibrary {
  kind: OnnxLibraryKind;
  /** The library file (real path). */
  path: string;
  sha256: string;
  bytes: number;
  /** The library's "ORT Build Info" string (git commit, build type), when it has one. */
  build: string | null;
}

/** The onnx engine's own fields of a measurement job file (its options, and what its prepare() adds). */
export interface OnnxJobFields {
  /** The ONNX Runtime library build to load (--onnx-library). */
  onnxLibrary?: OnnxLibraryKind;
  /** The folder whose node_modules holds the onnxruntime-node to load (absent: the tool's own). */
  onnxruntimeDir?: string;
  /** The library file (real path) the process must have mapped; it refuses to measure otherwise. */
  onnxLibraryPath?: string;
}
