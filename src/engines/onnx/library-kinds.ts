/** The ONNX Runtime library builds of --onnx-library and their record (no imports: the CLI and records use it). */

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
