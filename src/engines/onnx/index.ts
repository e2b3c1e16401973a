import { fileURLToPath } from "node:url";
import { defineEngine } from "../engine.js";
import { emulation, shippedVersion } from "../emulation.js";
import { graphFileSection, graphFileTarget, type GraphFile } from "../graph-file.js";
import { ensureOnnxPackage } from "./packages.js";

/** ONNX Runtime: locally through onnxruntime-node in a fresh Node.js process; in CMSSW the ONNXInference plugin. */
export const onnxEngine = defineEngine<GraphFile>({
  name: "onnx",
  summary: "ONNX Runtime through onnxruntime-node",
  modelFile: graphFileSection("onnx model file"),
  local: {
    modelPath: (spec) => spec.section.file,
    async prepare(job, _spec, progress, release) {
      if (!release) return;
      // the release's ONNX Runtime: its onnxruntime-node (or the nearest published patch), installed once
      const shipped = shippedVersion(release, "onnxruntime");
      const pkg = await ensureOnnxPackage(shipped, progress);
      job.onnxruntimeDir = pkg.dir;
      return { engines: emulation(release, "onnxruntime", shipped, pkg.version) };
    },
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
