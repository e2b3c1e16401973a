/** The inference engines MLProf knows: adding one means adding its folder and a line here. */
import { MlprofError } from "../util/errors.js";
import type { AnyEngine } from "./engine.js";
import { onnxEngine } from "./onnx/index.js";
import { tfEngine } from "./tf/index.js";
import { tfaotEngine } from "./tfaot/index.js";

/** Every engine, in the order of help texts (a tuple: each keeps the types of its own options). */
export const ENGINES = [tfEngine, onnxEngine, tfaotEngine] as const;

/** The names of the engines (a model file's inference_engine). */
export function engineNames(): string[] {
  return ENGINES.map((e) => e.name);
}

/** The engine of a name, or undefined when there is none. */
export function findEngine(name: string): AnyEngine | undefined {
  return ENGINES.find((e) => e.name === name);
}

/** The engine of a name; a clear error names the known ones. */
export function getEngine(name: string): AnyEngine {
  const engine = findEngine(name);
  if (!engine)
    throw new MlprofError(`unknown inference engine '${name}': expected one of ${engineNames().join(", ")}`);
  return engine;
}
