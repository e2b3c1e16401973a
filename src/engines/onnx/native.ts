/**
 * Synchronous access to onnxruntime-node's native session, for every version MLProf measures. The public
 * `InferenceSession.run` validates and re-wraps tensors in JavaScript and defers the native call to a
 * `setImmediate` turn, which would put about 2 µs of wrapper and event-loop work inside the clock; this module
 * calls the binding's `run` directly. The binding is internal to onnxruntime-node and differs between
 * versions (checked for 1.14.0, 1.17.3, 1.20.1, 1.23.2 and 1.30.0):
 * - from 1.23: dist/binding.js exports `initOrt` (called once) and the session exposes `inputMetadata` /
 *   `outputMetadata` (names, element types, shapes; -1 for dynamic dimensions);
 * - before: no `initOrt`, the session exposes `inputNames` / `outputNames` only (no types or shapes).
 * `run(feeds, fetches)` is synchronous in all of them and returns the outputs; it reads plain
 * `{type, dims, data}` feeds (with `location: "cpu"` from 1.23), cheaper than ort.Tensor objects. A later
 * binding whose run returns a promise is refused by the measurement process (the clock would time the dispatch).
 */
import { readFileSync, realpathSync } from "node:fs";
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
  /** Synchronous in every supported version; a promise would mean the binding became asynchronous. */
  run(feeds: Record<string, PlainTensor>, fetches: Record<string, null>): NativeOutputs;
}

/** The outputs of a native run: tensors (or plain objects before 1.23) by name. */
export type NativeOutputs = Record<string, { dims: readonly number[]; data: unknown }>;

/**
 * A feed as the binding reads it: element type, dimensions, data (a typed array) and, from 1.23, the data's
 * location. Cheaper to pass than an ort.Tensor, whose getters the binding would call.
 */
export interface PlainTensor {
  type: string;
  dims: readonly number[];
  data: unknown;
  location?: "cpu";
}

/** An onnxruntime-node package loaded from a folder: its module, version and native session constructor. */
export interface OnnxRuntimePackage {
  version: string;
  createSession(): NativeSession;
  /** How the session is called, recorded in the metadata. */
  binding: string;
  /** A feed in the form this version's binding reads. */
  feed(type: string, data: unknown, dims: readonly number[]): PlainTensor;
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
 * Loads onnxruntime-node's native binding (dist/binding.js and what it requires: onnxruntime-common and the
 * addon) from the folder whose node_modules holds the package (the tool's own dependency, or a version
 * installed for a release), not its JavaScript API; throws when the binding has none of the known forms.
 */
export function loadOnnxRuntime(dir: string): OnnxRuntimePackage {
  const require = createRequire(join(dir, "package.json"));
  const version = (require("onnxruntime-node/package.json") as { version: string }).version;
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
  const modern = typeof mod.initOrt === "function";
  return {
    version,
    binding: modern
      ? `onnxruntime-node ${version}: native session, synchronous run(feeds, fetches), plain feeds (initOrt, input metadata)`
      : `onnxruntime-node ${version}: native session, synchronous run(feeds, fetches), plain feeds (before 1.23: input names only)`,
    feed: modern
      ? (type, data, dims) => ({ type, dims, data, location: "cpu" })
      : (type, data, dims) => ({ type, dims, data }),
    createSession() {
      if (!initialized && typeof mod.initOrt === "function") mod.initOrt();
      initialized = true;
      return new Session();
    },
  };
}

/**
 * The ONNX Runtime library the current process has mapped (from /proc/self/maps), or null where that file
 * does not exist; a measurement process checks it against the one it was given.
 */
export function mappedLibrary(): string | null {
  let maps: string;
  try {
    maps = readFileSync("/proc/self/maps", "utf8");
  } catch {
    return null;
  }
  const line = maps.split("\n").find((l) => /\/libonnxruntime\.so[.\d]*$/.test(l));
  return line ? realpathSync(line.slice(line.indexOf("/"))) : null;
}
