import { fileURLToPath } from "node:url";
import { defineEngine } from "../engine.js";
import { graphFileSection, graphFileTarget, type GraphFile } from "../graph-file.js";

/** ONNX Runtime: locally through onnxruntime-node in a fresh Node.js process; in CMSSW the ONNXInference plugin. */
export const onnxEngine = defineEngine<GraphFile>({
  name: "onnx",
  summary: "ONNX Runtime through onnxruntime-node",
  modelFile: graphFileSection("onnx model file"),
  local: {
    modelPath: (spec) => spec.section.file,
    command(jobFile) {
      // under tsx (tests, development) this module is a .ts file, and so is its measurement script
      const ext = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
      const script = fileURLToPath(new URL(`./measure${ext}`, import.meta.url));
      return { file: process.execPath, args: [...process.execArgv, script, jobFile] };
    },
  },
  cmssw: {
    plugin: "ONNXInference",
    module: "onnxInference",
    template: "onnx_cfg.py.njk",
    target: graphFileTarget,
  },
});
