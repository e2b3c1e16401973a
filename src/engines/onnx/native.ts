/**
 * Synchronous access to onnxruntime-node's native session, for every version MLProf measures. The public
 * `InferenceSession.run` validates and re-wraps tensors in JavaScript and defers the native call to a
 * `setImmediate` turn, which would put about 2 µs of wrapper and event-loop work inside the clock; this module
 * calls the binding's `run` directly. The binding is internal to onnxruntime-node and differs between
 * versions (checked for 1.14.0, 1.17.3, 1.20.1, 1.23.2 and 1.30.0):
 * - from 1.23: dist/binding.js exports `initOrt` (called once) and the session exposes `inputMetadata` /
 *   `outputMetadata` (names, element types, shapes; -1 for dynamic dimensions);
 * - before: no `initOrt`, the session exposes `inputNames` / `outputNames` only (no types or shapes).
 * `run(feeds, fetches, options)` is synchronous in all of them and returns the outputs.
 */
import { createRequire } from "node:module";
import { join } from "node:path";
import type * as ort from "onnxruntime-node";

/** Metadata of one input or output as the binding of 1.23 and later reports it. */
export interface RawMetadata {
  name: string;
  isTensor: boolean;
  type: number;
  shape: number[];
}

/** The native session object of onnxruntime-node's binding. */
export interface NativeSession {
  loadModel(path: string, options: ort.InferenceSession.SessionOptions): void;
  readonly inputMetadata?: RawMetadata[];
  readonly outputMetadata?: RawMetadata[];
  readonly inputNames?: string[];
  readonly outputNames?: string[];
  run(
    feeds: Record<string, ort.Tensor>,
    fetches: Record<string, null>,
    options: Record<string, never>,
  ): Record<string, { dims: readonly number[]; data: unknown }>;
}

/** An onnxruntime-node package loaded from a folder: its module, version and native session constructor. */
export interface OnnxRuntimePackage {
  ort: typeof ort;
  version: string;
  createSession(): NativeSession;
  /** How the session is called, recorded in the metadata. */
  binding: string;
}

/** ONNX TensorProto element types by number (the binding reports these). */
const ELEMENT_TYPES: Record<number, string> = {
  1: "float32",
  2: "uint8",
  3: "int8",
  4: "uint16",
  5: "int16",
  6: "int32",
  7: "int64",
  8: "string",
  9: "bool",
  10: "float16",
  11: "float64",
  12: "uint32",
  13: "uint64",
};

/** The element type name of a binding type number. */
export function elementType(type: number): string {
  return ELEMENT_TYPES[type] ?? `onnx type ${type}`;
}

/**
 * Loads onnxruntime-node from the folder whose node_modules holds it (the tool's own dependency, or a
 * version installed for a release); throws when its binding has none of the known forms.
 */
export function loadOnnxRuntime(dir: string): OnnxRuntimePackage {
  const require = createRequire(join(dir, "package.json"));
  const version = (require("onnxruntime-node/package.json") as { version: string }).version;
  const module = require("onnxruntime-node") as typeof ort;
  const mod = require("onnxruntime-node/dist/binding.js") as {
    binding?: { InferenceSession?: new () => NativeSession };
    initOrt?: () => void;
  };
  const Session = mod.binding?.InferenceSession;
  if (typeof Session !== "function") {
    throw new Error(
      `onnxruntime-node ${version} has an unexpected native binding (dist/binding.js has no InferenceSession)`,
    );
  }
  let initialized = false;
  return {
    ort: module,
    version,
    binding:
      typeof mod.initOrt === "function"
        ? `onnxruntime-node ${version}: native session, synchronous run (initOrt, input metadata)`
        : `onnxruntime-node ${version}: native session, synchronous run (before 1.23: input names only)`,
    createSession() {
      if (!initialized && typeof mod.initOrt === "function") mod.initOrt();
      initialized = true;
      return new Session();
    },
  };
}
