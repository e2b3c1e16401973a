import type { EngineName } from "../model/modelfile.js";
import { MlprofError } from "../util/errors.js";
import type { EngineDriver } from "./engine.js";
import { onnxEngine } from "./onnx/index.js";
import { tfEngine } from "./tf/index.js";
import { tfaotEngine } from "./tfaot/index.js";

const drivers: Partial<Record<EngineName, EngineDriver>> = {
  onnx: onnxEngine,
  tf: tfEngine,
  tfaot: tfaotEngine,
};

/** The local engine driver for an inference engine; a clear error for engines not available locally. */
export function getEngine(name: EngineName): EngineDriver {
  const driver = drivers[name];
  if (!driver) {
    throw new MlprofError(
      `the local executor has no '${name}' engine yet`,
      "use an onnx model file (inference_engine: onnx), or run this model with --executor cmssw where CMSSW is available",
    );
  }
  return driver;
}
