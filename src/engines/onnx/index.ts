import { fileURLToPath } from "node:url";
import { defineEngine } from "../engine.js";
import { emulation, shippedVersion } from "../emulation.js";
import { graphFileSection, graphFileTarget, type GraphFile } from "../graph-file.js";
import type { OnnxJobFields } from "./library-kinds.js";
import { withLibrary, type OnnxLibraryKind } from "./library.js";
import { bundledPackage, ensureOnnxPackage } from "./packages.js";
import { lineSink, progressMode } from "../../util/progress.js";
import { onnxFacts, onnxParams, type OnnxFacts, type ONNX_PARAMS } from "./params.js";

/** ONNX Runtime: locally through onnxruntime-node in a fresh Node.js process; in CMSSW the ONNXInference plugin. */
export const onnxEngine = defineEngine<GraphFile, typeof ONNX_PARAMS, OnnxFacts, OnnxJobFields>({
  name: "onnx",
  summary: "ONNX Runtime through onnxruntime-node",
  modelFile: graphFileSection("onnx model file", "onnx"),
  local: {
    modelPath: (spec) => spec.section.file,
    async prepare(job, _spec, progress, release) {
      // the release's ONNX Runtime: its onnxruntime-node (or the nearest published patch), installed once
      const shipped = release ? shippedVersion(release, "onnxruntime") : undefined;
      const pkg = shipped ? await ensureOnnxPackage(shipped, progress) : bundledPackage();
      const kind = (job.onnxLibrary ?? "pypi") as OnnxLibraryKind;
      const linked = await withLibrary(pkg, kind, progress, process.env, release?.release);
      job.onnxruntimeDir = linked.pkg.dir;
      job.onnxLibraryPath = linked.library.path;
      return {
        onnxLibrary: linked.library,
        ...(release && shipped ? { engines: emulation(release, "onnxruntime", shipped, pkg.version) } : {}),
      };
    },
    command(jobFile) {
      // under tsx (tests, development) this module is a .ts file, and so is its measurement script
      const ext = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
      const script = fileURLToPath(new URL(`./measure${ext}`, import.meta.url));
      return { file: process.execPath, args: [...process.execArgv, script, jobFile] };
    },
  },
  setup: {
    summary: "installs the onnxruntime wheel whose CPU library onnxruntime-node loads (--onnx-library pypi)",
    async run(print, env = process.env) {
      const started = Date.now();
      const sink = lineSink(print, progressMode(env));
      const { pkg, library } = await withLibrary(
        bundledPackage(),
        "pypi",
        (m, live) => sink(`  ${m}`, live),
        env,
      ).finally(() => sink.clear());
      print(`onnxruntime-node ${pkg.version}: ${pkg.dir}`);
      print(`ONNX Runtime library: ${library.path} (${library.build ?? "no build info"})`);
      print(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    },
  },
  cmssw: {
    plugin: "ONNXInference",
    module: "onnxInference",
    template: "onnx_cfg.py.njk",
    target: graphFileTarget,
  },
  params: onnxParams,
  preparation: onnxFacts,
});
