/**
 * ONNX throughput: S Python threads share one InferenceSession of the onnxruntime wheel (the version of
 * the bundled onnxruntime-node) in its tool-managed venv; `run_with_iobinding` releases the GIL, so the
 * streams run ONNX Runtime concurrently as CMSSW's streams call the GlobalCache session
 * (plugins/runners/onnx_throughput.py). onnxruntime-node cannot do it: its run is synchronous on the JS
 * thread and a session cannot be shared with worker threads.
 */
import { join } from "node:path";
import { PLUGINS_DIR } from "../../native/sources.js";
import { ensureVenv } from "../../pyenv/venv.js";
import type { ThroughputDriver } from "../throughput-driver.js";
import { onnxruntimeVenv } from "./library.js";
import { bundledPackage } from "./packages.js";

/** The measurement process of ONNX throughput. */
export const ONNX_THROUGHPUT_SCRIPT = join(PLUGINS_DIR, "runners", "onnx_throughput.py");

export const onnxThroughput: ThroughputDriver = {
  sharing: "shared-session",
  mechanism:
    "S Python threads share one onnxruntime InferenceSession (the wheel of the bundled onnxruntime-node's version)",
  async prepare(_job, _spec, progress) {
    const version = bundledPackage().version;
    const venv = await ensureVenv(onnxruntimeVenv(version), progress);
    return {
      command: (jobFile) => ({ file: venv.python, args: ["-u", ONNX_THROUGHPUT_SCRIPT, jobFile] }),
      preparation: { python: venv.python, wheel: `onnxruntime==${version}`, script: ONNX_THROUGHPUT_SCRIPT },
    };
  },
};
