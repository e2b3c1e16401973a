/**
 * Synchronous access to onnxruntime-node's native session. The public `InferenceSession.run` validates and
 * re-wraps tensors in JavaScript and defers the native call to a `setImmediate` turn, which would put about
 * 2 µs of wrapper and event-loop work inside the clock; this module calls the binding's `run` directly.
 * The binding is an internal module of onnxruntime-node (pinned in package-lock.json); a clear error says so
 * when a future version changes it.
 */
import { createRequire } from "node:module";
import type * as ort from "onnxruntime-node";

/** Metadata of one input or output as the native binding reports it. */
interface RawMetadata {
  name: string;
  isTensor: boolean;
  type: number;
  shape: number[];
}

/** The native session object of onnxruntime-node's binding. */
export interface NativeSession {
  loadModel(path: string, options: ort.InferenceSession.SessionOptions): void;
  readonly inputMetadata: RawMetadata[];
  readonly outputMetadata: RawMetadata[];
  run(
    feeds: Record<string, ort.Tensor>,
    fetches: Record<string, null>,
    options: Record<string, never>,
  ): Record<string, ort.Tensor>;
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

/** Creates an (unloaded) native session; throws when the installed onnxruntime-node has another binding API. */
export function createNativeSession(): NativeSession {
  const require = createRequire(import.meta.url);
  const mod = require("onnxruntime-node/dist/binding.js") as {
    binding?: { InferenceSession?: new () => NativeSession };
    initOrt?: () => void;
  };
  if (typeof mod.initOrt !== "function" || typeof mod.binding?.InferenceSession !== "function") {
    throw new Error(
      "onnxruntime-node's native binding has an unexpected API (dist/binding.js); install the version in package-lock.json",
    );
  }
  mod.initOrt();
  return new mod.binding.InferenceSession();
}
