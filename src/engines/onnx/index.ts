import { fileURLToPath } from "node:url";
import type { EngineDriver } from "../engine.js";
import { MlprofError } from "../../util/errors.js";

/** ONNX Runtime through onnxruntime-node, measured in a fresh Node.js process. */
export const onnxEngine: EngineDriver = {
  name: "onnx",
  modelPath(model) {
    if (!model.file) throw new MlprofError(`model file ${model.yamlPath}: an onnx model needs 'model.file'`);
    return model.file;
  },
  command(jobFile) {
    // under tsx (tests, development) this module is a .ts file, and so is its measurement script
    const ext = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
    const script = fileURLToPath(new URL(`./measure${ext}`, import.meta.url));
    return { file: process.execPath, args: [...process.execArgv, script, jobFile] };
  },
};
